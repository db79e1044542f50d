import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildApp, createDeps } from '../../service/app.js';
import { memorySink } from '../../service/audit.js';
import { createLogger } from '../../service/log.js';
import { createMetrics } from '../../service/metrics.js';
import { fastPredict } from '../../service/node/fast-predict.js';
import { createModelHolder } from '../../service/served-model.js';
import { fetchListener } from '../../service/server.js';
import { createStartApp } from '../../service/start-app.js';
import { fakeClock, loadFile, testApp, trainFixture } from './fixture.js';
import {
  comparable,
  httpRequest,
  listening,
  listenOnLoopback,
  openSocket,
  type RawResponse,
  requestOnce,
  runService,
} from './serve-process.js';

// `serve` listens with the start app (service/start-app.ts, plain node:http) and loads the
// documented app right after. Whatever arrives in between must be answered exactly as the
// documented app answers it: the probes by the start app itself, everything else by the
// documented app once it has loaded. Both are served over real sockets here, so status, headers
// and bytes are compared as a client sees them.
const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);

/** A zod-worded 422: a string where the features go (the hot path hands it to the zod route). */
const BAD_PREDICT = JSON.stringify({ features: 'x' });

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Serves `listener` on a free loopback port; resolves with a one-request client. */
async function serveOn(listener: RequestListener) {
  const { server, port } = await listenOnLoopback(listener);
  servers.push(server);
  return (method: string, path: string, body?: string, headers?: Record<string, string>) =>
    requestOnce(port, httpRequest(method, path, body, { connection: 'close', ...headers }));
}

/** Every deps option a test needs to see, fresh. */
function depsOptions(logger = createLogger(() => {})) {
  let next = 0;
  return {
    holder: createModelHolder(model),
    audit: memorySink(),
    metrics: createMetrics(),
    clock: fakeClock(),
    newId: () => `id-${++next}`,
    logger,
  };
}

/** The start app over deps like testApp's, with the documented app held back until `release`. */
async function gatedStartApp() {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const options = depsOptions();
  const deps = createDeps(options);
  let builds = 0;
  const app = createStartApp(deps, async () => {
    await gate;
    builds++;
    return fetchListener(buildApp(deps, options));
  });
  const request = await serveOn(app.listener);
  return { app, release, request, metrics: options.metrics, builds: () => builds };
}

/** The documented app alone, over its own deps, served the way serve serves it. */
async function reference() {
  const options = depsOptions();
  return serveOn(await fetchListener(buildApp(createDeps(options), options)));
}

/** Settles to 'pending' when `p` has not settled after a few turns of the event loop. */
const stateOf = (p: Promise<unknown>) =>
  Promise.race([p.then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 50))]);

describe('the start app', () => {
  it('answers the probes before the documented app has loaded, as the documented app does', async () => {
    const start = await gatedStartApp();
    const documented = await reference();
    for (const path of ['/health', '/ready', '/v2/health/live', '/v2/health/ready', '/ready?x=1']) {
      expect(comparable(await start.request('GET', path))).toEqual(
        comparable(await documented('GET', path)),
      );
    }
    expect(start.app.documentedLoaded).toBe(false);
    expect(start.builds()).toBe(0);
    // Counted as the documented app counts them, under the route pattern.
    const text = await start.metrics.render();
    expect(text).toContain(
      'oncoclear_http_requests_total{method="GET",route="/ready",status="200"} 2',
    );
    expect(text).toContain(
      'oncoclear_http_requests_total{method="GET",route="/v2/health/live",status="200"} 1',
    );
  });

  it('answers readiness from the same deps: 503 while draining, as the documented app does', async () => {
    const options = { ...depsOptions(), isDraining: () => true };
    const deps = createDeps(options);
    const app = createStartApp(deps, () => new Promise(() => {}));
    const start = await serveOn(app.listener);
    const documented = await serveOn(await fetchListener(buildApp(deps, options)));
    for (const path of ['/ready', '/v2/health/ready']) {
      const got = await start('GET', path);
      expect(got.status).toBe(503);
      expect(comparable(got)).toEqual(comparable(await documented('GET', path)));
    }
  });

  it('holds every other request until the documented app has loaded, then answers it as that app does', async () => {
    const start = await gatedStartApp();
    const documented = await reference();
    const spec = start.request('GET', '/openapi.json');
    const invalid = start.request('POST', '/predict', BAD_PREDICT);
    const wrongMethod = start.request('DELETE', '/ready');
    // A probe with a body is the documented app's too: it checks the body against the limit.
    const probeWithBody = start.request('GET', '/ready', 'x'.repeat(2_000_000));
    const scrape = start.request('GET', '/metrics');
    // A Host @hono/node-server refuses: the app's 400, not the start app's 200.
    const badHost = start.request('GET', '/ready', undefined, { host: 'a b' });
    start.app.loadDocumented();
    expect(await stateOf(spec)).toBe('pending');
    start.release();

    expect(comparable(await spec)).toEqual(comparable(await documented('GET', '/openapi.json')));
    const expected422 = comparable(await documented('POST', '/predict', BAD_PREDICT));
    expect(expected422.status).toBe(422);
    expect(comparable(await invalid)).toEqual(expected422);
    expect(comparable(await wrongMethod)).toEqual(comparable(await documented('DELETE', '/ready')));
    const tooLarge = await probeWithBody;
    expect(tooLarge.status).toBe(413);
    expect(comparable(tooLarge)).toEqual(
      comparable(await documented('GET', '/ready', 'x'.repeat(2_000_000))),
    );
    expect((await scrape).status).toBe(200);
    const refused = await badHost;
    expect(refused.status).toBe(400);
    expect(comparable(refused)).toEqual(
      comparable(await documented('GET', '/ready', undefined, { host: 'a b' })),
    );
    expect(start.app.documentedLoaded).toBe(true);
    expect(start.builds()).toBe(1);
    // Counted once each, by the documented app, under its route patterns.
    const text = await start.metrics.render();
    expect(text).toContain('route="/openapi.json",status="200"} 1');
    expect(text).toContain(
      'oncoclear_http_requests_total{method="POST",route="/predict",status="422"} 1',
    );
  });

  it('leaves nothing in flight when a client it held hangs up before the app (with fast /predict) loads', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const options = { ...depsOptions(), maxBodyBytes: 20_000 };
    const deps = createDeps(options);
    const app = createStartApp(deps, async () => {
      await gate;
      return fastPredict(deps, 20_000, await fetchListener(buildApp(deps, options)));
    });
    await serveOn(app.listener);
    const socket = await openSocket((servers.at(-1)!.address() as AddressInfo).port);
    const body = JSON.stringify({ features: model.artifact.preprocessing.fill });
    socket.write(
      `POST /predict HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    await new Promise((r) => setTimeout(r, 30));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 30));
    release();
    await app.loadDocumented();
    const gauge = 'oncoclear_http_requests_in_flight 0';
    let text = '';
    for (let i = 0; i < 100 && !text.includes(gauge); i++) {
      await new Promise((r) => setTimeout(r, 10));
      text = await options.metrics.render();
    }
    expect(text).toContain(gauge);
  });

  it('times a /predict it held while the app loaded from its arrival, as the app alone would', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const clock = fakeClock();
    const options = { ...depsOptions(), clock, maxBodyBytes: 20_000 };
    const deps = createDeps(options);
    const app = createStartApp(deps, async () => {
      await gate;
      return fastPredict(deps, 20_000, await fetchListener(buildApp(deps, options)));
    });
    const request = await serveOn(app.listener);
    const answer = request(
      'POST',
      '/predict',
      JSON.stringify({ features: model.artifact.preprocessing.fill }),
    );
    await new Promise((r) => setTimeout(r, 30));
    clock.advance(400);
    release();
    expect((await answer).status).toBe(200);
    const line = JSON.parse(options.audit.lines[0]!) as { latencyMs: number };
    expect(line.latencyMs).toBe(400);
    expect(await options.metrics.render()).toContain(
      'oncoclear_http_request_duration_seconds_sum{method="POST",route="/predict",status="200"} 0.4',
    );
  });

  it('loads the documented app after answering the first probe, or after the fallback with none', async () => {
    const options = depsOptions();
    const deps = createDeps(options);
    const events: string[] = [];
    const app = createStartApp(deps, async () => {
      events.push('load');
      return fetchListener(buildApp(deps, options));
    });
    // Notes when each answer has been handed to the socket.
    const request = await serveOn((req, res) => {
      res.once('finish', () => events.push(`answered ${req.url} ${res.statusCode}`));
      app.listener(req, res);
    });
    const loaded = app.loadSoon(60_000);
    await new Promise((r) => setTimeout(r, 30));
    expect(events).toEqual([]);
    expect((await request('GET', '/ready')).status).toBe(200);
    await loaded;
    // The probe's answer was out before the load began; the fallback (a minute) played no part.
    expect(events).toEqual(['answered /ready 200', 'load']);
    expect(app.documentedLoaded).toBe(true);

    const idle = createStartApp(deps, async () => {
      events.push('idle load');
      return fetchListener(buildApp(deps, options));
    });
    const started = performance.now();
    await idle.loadSoon(50);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(events.at(-1)).toBe('idle load');
  });

  it('answers the requests it held 500 in the usual error shape when the documented app fails to load', async () => {
    const logged: string[] = [];
    const options = depsOptions(createLogger((line) => logged.push(line)));
    const app = createStartApp(createDeps(options), () =>
      Promise.reject(new Error('chunk missing')),
    );
    const request = await serveOn(app.listener);
    const held = request('GET', '/openapi.json');
    const oip = request('POST', '/v2/models/oncoclear/infer', '{}');
    await expect(app.loadDocumented()).rejects.toThrow('chunk missing');
    const answer = await held;
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body)).toEqual({ error: 'Internal server error', details: {} });
    expect(JSON.parse((await oip).body)).toEqual({ error: 'Internal server error' });
    expect(logged.join('\n')).toContain('chunk missing');
    expect((await request('GET', '/ready')).status).toBe(200);
  });
});

describe('serve, the instant /ready answers', () => {
  it('answers /openapi.json and a zod-worded 422 exactly as the documented app does', async () => {
    const p = runService([
      'serve',
      '--model',
      fx.file,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--workers',
      '1',
    ]);
    try {
      const port = (await listening(p)).port as number;
      const get = (path: string) => requestOnce(port, httpRequest('GET', path));
      // Sent together with the first /ready, before the documented app can have loaded.
      const [ready, spec, invalid] = await Promise.all([
        get('/ready'),
        get('/openapi.json'),
        requestOnce(port, httpRequest('POST', '/predict', BAD_PREDICT)),
      ]);
      const reference = testApp(loadFile(fx.file)).app;
      const same = async (got: RawResponse, expected: Response) => {
        expect(got.status).toBe(expected.status);
        expect(got.headers['content-type']).toBe(expected.headers.get('content-type'));
        expect(got.body).toBe(await expected.text());
      };
      expect(ready.status).toBe(200);
      await same(spec, await reference.request('/openapi.json'));
      expect(spec.headers.etag).toBe(
        (await reference.request('/openapi.json')).headers.get('etag'),
      );
      await same(
        invalid,
        await reference.request('/predict', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: BAD_PREDICT,
        }),
      );
      expect(invalid.status).toBe(422);
    } finally {
      p.child.kill('SIGKILL');
    }
  }, 30_000);
});

describe('serve, the start path', () => {
  // What the start app is for: the server listens before the parts of Node a probe has no use
  // for are loaded. undici comes with the global Request/Response (@hono/node-server and every
  // fetch app), http2 with @hono/node-server, worker_threads only with training's worker pool.
  // Each costs milliseconds of every cold start. The floor is what a bare ESM node:http server
  // loads on the same Node: nothing of these on Node 20, all three on Node 24, whose ESM import of
  // node:http loads them itself. (Any listen loads cluster and child_process: Node's own too.)
  const HEAVY = [/undici/, /^NativeModule http2$/, /^NativeModule worker_threads$/];
  const heavyIn = (loaded: string[]) => loaded.filter((m) => HEAVY.some((h) => h.test(m)));

  /** Records Node's built-in modules when the first HTTP server starts listening. */
  const PRELOAD = `const http = require('node:http');
const listen = http.Server.prototype.listen;
let seen = false;
http.Server.prototype.listen = function (...args) {
  if (!seen) {
    seen = true;
    this.once('listening', () =>
      process.stderr.write('BUILTINS ' + JSON.stringify(process.moduleLoadList) + '\\n'),
    );
  }
  return listen.apply(this, args);
};
`;

  const builtinsOf = (stderr: string) => {
    const line = stderr.split('\n').find((l) => l.startsWith('BUILTINS '));
    return JSON.parse(line!.slice('BUILTINS '.length)) as string[];
  };

  it('listens, and answers /ready, having loaded no more of undici, http2 or worker_threads than a bare server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncoclear-start-path-'));
    const preload = join(dir, 'at-listen.cjs');
    // At listen, not later: the documented app starts loading right after, so a later look would
    // race it.
    writeFileSync(preload, PRELOAD);
    const bareFile = join(dir, 'bare.mjs');
    writeFileSync(
      bareFile,
      "import http from 'node:http';\nhttp.createServer(() => {}).listen(0, '127.0.0.1', () => process.exit(0));\n",
    );
    const bare = spawnSync(process.execPath, ['--require', preload, bareFile], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    const p = runService(
      ['serve', '--model', fx.file, '--port', '0', '--host', '127.0.0.1', '--workers', '1'],
      { NODE_OPTIONS: `--require ${preload}` },
    );
    try {
      const port = (await listening(p)).port as number;
      expect((await requestOnce(port, httpRequest('GET', '/ready'))).status).toBe(200);
      const loaded = builtinsOf(p.err());
      // Sanity: the lists name what a server does load.
      expect(loaded.some((m) => /\bhttp$/.test(m))).toBe(true);
      expect(builtinsOf(bare.stderr).some((m) => /\bhttp$/.test(m))).toBe(true);
      const floor = heavyIn(builtinsOf(bare.stderr));
      expect(heavyIn(loaded).filter((m) => !floor.includes(m))).toEqual([]);
    } finally {
      p.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

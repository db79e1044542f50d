import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, createDeps } from '../../service/app.js';
import { memorySink } from '../../service/audit.js';
import { createLogger } from '../../service/log.js';
import { createMetrics } from '../../service/metrics.js';
import { createModelHolder } from '../../service/served-model.js';
import { createStartApp } from '../../service/start-app.js';
import { fakeClock, loadFile, testApp, trainFixture } from './fixture.js';
import {
  httpRequest,
  listening,
  type RawResponse,
  requestOnce,
  runService,
} from './serve-process.js';

// `serve` listens with the start app (service/start-app.ts) and loads the documented app right
// after. Whatever arrives in between must be answered exactly as the documented app answers it:
// the probes by the start app itself, everything else by the documented app once it has loaded.
const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);

/** A zod-worded 422: a string where the features go (the hot path hands it to the zod route). */
const BAD_PREDICT = JSON.stringify({ features: 'x' });

/** The start app over deps like testApp's, with the documented app held back until `release`. */
function gatedStartApp() {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let next = 0;
  const options = {
    holder: createModelHolder(model),
    audit: memorySink(),
    metrics: createMetrics(),
    clock: fakeClock(),
    newId: () => `id-${++next}`,
    logger: createLogger(() => {}),
  };
  const deps = createDeps(options);
  let builds = 0;
  const app = createStartApp(deps, options, async () => {
    await gate;
    builds++;
    return buildApp(deps, options);
  });
  const request = (path: string, init?: RequestInit) =>
    app.fetch(new Request(`http://localhost${path}`, init));
  return { app, release, request, metrics: options.metrics, builds: () => builds };
}

const snapshot = async (res: Response | Promise<Response>) => {
  const r = await res;
  return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
};

/** Settles to 'pending' when `p` has not settled after a few turns of the event loop. */
const stateOf = (p: Response | Promise<Response>) =>
  Promise.race([
    Promise.resolve(p).then(() => 'settled'),
    new Promise((r) => setTimeout(() => r('pending'), 20)),
  ]);

describe('the start app', () => {
  it('answers the probes before the documented app has loaded, as the documented app does', async () => {
    const start = gatedStartApp();
    const reference = testApp(model).app;
    for (const path of ['/health', '/ready', '/v2/health/live', '/v2/health/ready']) {
      expect(await snapshot(start.request(path))).toEqual(await snapshot(reference.request(path)));
    }
    const scrape = await start.request('/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toBe(
      (await reference.request('/metrics')).headers.get('content-type'),
    );
    expect(await scrape.text()).toContain(
      'oncoclear_http_requests_total{method="GET",route="/ready",status="200"} 1',
    );
    expect(start.app.documentedLoaded).toBe(false);
  });

  it('holds every other request until the documented app has loaded, then answers it as that app does', async () => {
    const start = gatedStartApp();
    const reference = testApp(model).app;
    const post = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BAD_PREDICT,
    };
    const spec = start.request('/openapi.json');
    const invalid = start.request('/predict', post);
    const wrongMethod = start.request('/ready', { method: 'DELETE' });
    start.app.loadDocumented();
    expect(await stateOf(spec)).toBe('pending');
    start.release();

    expect(await snapshot(spec)).toEqual(await snapshot(reference.request('/openapi.json')));
    const expected422 = await snapshot(reference.request('/predict', post));
    expect(expected422.status).toBe(422);
    expect(await snapshot(invalid)).toEqual(expected422);
    expect(await snapshot(wrongMethod)).toEqual(
      await snapshot(reference.request('/ready', { method: 'DELETE' })),
    );
    expect(start.app.documentedLoaded).toBe(true);
    expect(start.builds()).toBe(1);
    // Counted once each, by the documented app, under its route patterns.
    const text = await (await start.request('/metrics')).text();
    expect(text).toContain('route="/openapi.json",status="200"} 1');
    expect(text).toContain(
      'oncoclear_http_requests_total{method="POST",route="/predict",status="422"} 1',
    );
  });

  it('answers the requests it held with the one error handler when the documented app fails to load', async () => {
    const logged: string[] = [];
    const options = {
      holder: createModelHolder(model),
      audit: memorySink(),
      metrics: createMetrics(),
      logger: createLogger((line) => logged.push(line)),
    };
    const deps = createDeps(options);
    const app = createStartApp(deps, options, () => Promise.reject(new Error('chunk missing')));
    const held = app.fetch(new Request('http://localhost/openapi.json'));
    await expect(app.loadDocumented()).rejects.toThrow('chunk missing');
    expect((await held).status).toBe(500);
    expect(logged.join('\n')).toContain('chunk missing');
    expect((await app.fetch(new Request('http://localhost/ready'))).status).toBe(200);
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

import type { RequestListener, Server } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildApp, createDeps } from '../../service/app.js';
import { memorySink } from '../../service/audit.js';
import { createLogger } from '../../service/log.js';
import { createMetrics } from '../../service/metrics.js';
import { fastPredict } from '../../service/node/fast-predict.js';
import { createModelHolder, type ServedModel } from '../../service/served-model.js';
import { fetchListener } from '../../service/server.js';
import { fakeClock, loadFile, TEST_AUDIT_KEY, trainFixture } from './fixture.js';
import {
  comparable,
  httpRequest,
  listenOnLoopback,
  openSocket,
  requestOnce,
} from './serve-process.js';

// `serve` answers POST /predict on node:http in front of the documented app
// (service/node/fast-predict.ts). Whatever it answers or hands on must reach the client, the
// audit log and /metrics exactly as the documented app alone would have it. Two servers over real
// sockets, one with the fast path and one without, get the same requests in the same order.
const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);
const LIMIT = 20_000;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function server(withFastPath: boolean, served: ServedModel | null = model) {
  let next = 0;
  const audit = memorySink();
  const metrics = createMetrics({ runtime: false, version: 'test' });
  const logged: string[] = [];
  const clock = fakeClock();
  const options = {
    holder: createModelHolder(served),
    audit,
    metrics,
    clock,
    newId: () => `id-${++next}`,
    logger: createLogger((line) => logged.push(line.replace(/"time":"[^"]*"/, ''))),
    maxBodyBytes: LIMIT,
    // The two servers' audit lines are compared: one fingerprint key for both.
    auditKey: TEST_AUDIT_KEY,
  };
  const deps = createDeps(options);
  const documented = await fetchListener(buildApp(deps, options));
  const listener: RequestListener = withFastPath
    ? fastPredict(deps, LIMIT, documented)
    : documented;
  const { server: s, port } = await listenOnLoopback(listener);
  servers.push(s);
  return { port, audit, metrics, logged, clock };
}

const values = model.artifact.preprocessing.fill;
const byName = Object.fromEntries(model.artifact.features.map((name, i) => [name, values[i]!]));
const { [model.artifact.features[0]!]: _dropped, ...missingOne } = byName;

const json = (value: unknown) => JSON.stringify(value);
/** Raw requests: [what it is, bytes]. */
const requests: [string, Buffer][] = [
  ['an array of features', httpRequest('POST', '/predict', json({ features: values }))],
  ['features by name', httpRequest('POST', '/predict', json({ features: byName }))],
  ['with explain', httpRequest('POST', '/predict', json({ features: values, explain: true }))],
  [
    'charset=utf-8',
    httpRequest('POST', '/predict', json({ features: values }), {
      'content-type': 'application/json; charset=UTF-8',
    }),
  ],
  [
    'another media type',
    httpRequest('POST', '/predict', json({ features: values }), { 'content-type': 'text/plain' }),
  ],
  ['malformed JSON', httpRequest('POST', '/predict', '{"features": [1, 2')],
  ['an empty body', httpRequest('POST', '/predict', '')],
  ['a string for features', httpRequest('POST', '/predict', json({ features: 'x' }))],
  ['an unknown key', httpRequest('POST', '/predict', json({ features: values, top: 3 }))],
  ['a missing feature', httpRequest('POST', '/predict', json({ features: missingOne }))],
  ['too few values', httpRequest('POST', '/predict', json({ features: values.slice(1) }))],
  [
    'unscorable values',
    httpRequest(
      'POST',
      '/predict',
      json({ features: values.map((_, i) => (i % 2 ? 1e308 : -1e308)) }),
    ),
  ],
  ['a body over the limit', httpRequest('POST', '/predict', ' '.repeat(LIMIT + 1))],
  [
    'a chunked body',
    Buffer.from(
      `POST /predict HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${(() => {
        const body = json({ features: values });
        return `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      })()}`,
    ),
  ],
  ['a query string', httpRequest('POST', '/predict?x=1', json({ features: values }))],
  ['a byte-order mark', httpRequest('POST', '/predict', `\uFEFF${json({ features: values })}`)],
  [
    'two Content-Type headers',
    Buffer.from(
      `POST /predict HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-type: text/plain\r\ncontent-length: ${json({ features: values }).length}\r\nconnection: close\r\n\r\n${json({ features: values })}`,
    ),
  ],
  [
    'no Host (HTTP/1.0)',
    Buffer.from(
      `POST /predict HTTP/1.0\r\ncontent-type: application/json\r\ncontent-length: ${json({ features: values }).length}\r\n\r\n${json({ features: values })}`,
    ),
  ],
  [
    'a Host with a space',
    httpRequest('POST', '/predict', json({ features: values }), { host: 'a b' }),
  ],
  [
    'an upper-case Host',
    httpRequest('POST', '/predict', json({ features: values }), { host: 'LOCALHOST:8000' }),
  ],
  // Parses to another name (127.0.0.1): @hono/node-server's 400.
  [
    'a Host that parses to another name',
    httpRequest('POST', '/predict', json({ features: values }), { host: '127.1:80' }),
  ],
  [
    'HTTP/1.0 with keep-alive',
    Buffer.from(
      `POST /predict HTTP/1.0\r\nhost: localhost\r\nconnection: keep-alive\r\ncontent-type: application/json\r\ncontent-length: ${json({ features: values }).length}\r\n\r\n${json({ features: values })}`,
    ),
  ],
  ['GET /predict', httpRequest('GET', '/predict')],
  ['the batch route', httpRequest('POST', '/predict/batch', json({ instances: [values] }))],
  ['an array of features again', httpRequest('POST', '/predict', json({ features: values }))],
];

describe('POST /predict on node:http (fast-predict)', () => {
  it('answers, audits and counts every request exactly as the documented app alone does', async () => {
    const fast = await server(true);
    const plain = await server(false);
    for (const [what, bytes] of requests) {
      const got = comparable(await requestOnce(fast.port, bytes));
      const expected = comparable(await requestOnce(plain.port, bytes));
      expect({ what, ...got }).toEqual({ what, ...expected });
      // The same header lines in the same order, not just the same headers.
      expect({ what, order: Object.keys(got.headers) }).toEqual({
        what,
        order: Object.keys(expected.headers),
      });
    }
    // The cases cover both sides of the hand-over: answered here, and worded by the app.
    const statuses = new Set<number>();
    for (const [, bytes] of requests) statuses.add((await requestOnce(plain.port, bytes)).status);
    expect([...statuses].sort()).toEqual([200, 400, 405, 413, 415, 422]);
    expect(fast.audit.lines).toEqual(plain.audit.lines.slice(0, fast.audit.lines.length));
    expect(fast.audit.lines.length).toBeGreaterThan(5);
    expect(fast.logged).toEqual(plain.logged.slice(0, fast.logged.length));
  });

  it('keeps /metrics as the documented app keeps it', async () => {
    const fast = await server(true);
    const plain = await server(false);
    for (const [, bytes] of requests) {
      await requestOnce(fast.port, bytes);
      await requestOnce(plain.port, bytes);
    }
    const series = async (m: typeof fast.metrics) =>
      (await m.render()).split('\n').filter((l) => l.startsWith('oncoclear_'));
    const got = await series(fast.metrics);
    expect(got).toEqual(await series(plain.metrics));
    expect(got).toContain(
      'oncoclear_http_requests_total{method="POST",route="/predict",status="200"} 10',
    );
  });

  it('hands a request to the documented app when no model is loaded (503)', async () => {
    const fast = await server(true, null);
    const plain = await server(false, null);
    const bytes = httpRequest('POST', '/predict', json({ features: values }));
    const got = comparable(await requestOnce(fast.port, bytes));
    expect(got.status).toBe(503);
    expect(got).toEqual(comparable(await requestOnce(plain.port, bytes)));
  });

  it('records a client that hangs up mid-body as the documented app does: 499, logged, not audited', async () => {
    const fast = await server(true);
    const plain = await server(false);
    for (const side of [fast, plain]) {
      const socket = await openSocket(side.port);
      socket.write(
        'POST /predict HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"features": [',
      );
      await new Promise((r) => setTimeout(r, 50));
      socket.destroy();
      const counted =
        'oncoclear_http_requests_total{method="POST",route="/predict",status="499"} 1';
      for (let i = 0; i < 100 && !(await side.metrics.render()).includes(counted); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(await side.metrics.render()).toContain(counted);
      expect(side.audit.lines).toEqual([]);
    }
    expect(fast.logged).toEqual(plain.logged);
    expect(fast.logged.join('\n')).toContain('client closed the request before it was answered');
  });

  it('times a request from its arrival, body upload included, whether it answers it or hands it on', async () => {
    const fast = await server(true);
    const plain = await server(false);
    const sums: string[][] = [];
    for (const side of [fast, plain]) {
      for (const body of [json({ features: values }), json({ features: 'x' })]) {
        const socket = await openSocket(side.port);
        const answered = new Promise<void>((r) => socket.on('data', () => r()));
        socket.write(
          `POST /predict HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
        );
        await new Promise((r) => setTimeout(r, 30));
        side.clock.advance(400);
        socket.write(body.slice(5));
        await answered;
        socket.destroy();
      }
      sums.push(
        (await side.metrics.render())
          .split('\n')
          .filter((l) => l.startsWith('oncoclear_http_request_duration_seconds_sum')),
      );
    }
    expect(sums[0]).toEqual(sums[1]);
    expect(sums[0]).toEqual([
      'oncoclear_http_request_duration_seconds_sum{method="POST",route="/predict",status="200"} 0.4',
      'oncoclear_http_request_duration_seconds_sum{method="POST",route="/predict",status="422"} 0.4',
    ]);
    // The audit line's latency is the same 400 ms.
    expect((JSON.parse(fast.audit.lines[0]!) as { latencyMs: number }).latencyMs).toBe(400);
  });

  it('answers plainly valid requests itself, whatever port the Host names (the app is never asked)', async () => {
    const options = {
      holder: createModelHolder(model),
      audit: memorySink(),
      metrics: createMetrics({ runtime: false, version: 'test' }),
      clock: fakeClock(),
      logger: createLogger(() => {}),
      maxBodyBytes: LIMIT,
    };
    const deps = createDeps(options);
    const documented = await fetchListener(buildApp(deps, options));
    const asked: string[] = [];
    const { server: s, port } = await listenOnLoopback(
      fastPredict(deps, LIMIT, (req, res) => {
        asked.push(String(req.headers.host));
        documented(req, res);
      }),
    );
    servers.push(s);
    const body = json({ features: values });
    // A kernel-chosen port is often 60000 or more, past @hono/node-server's own fast check.
    for (const host of ['localhost', '127.0.0.1:60001', '10.0.0.7:8080', 'svc.ns:80', 'x:65535'])
      expect(
        (await requestOnce(port, httpRequest('POST', '/predict', body, { host }))).status,
      ).toBe(200);
    expect(asked).toEqual([]);
    // And hands on what the app must word: a port past 65535 is its 400.
    expect(
      (await requestOnce(port, httpRequest('POST', '/predict', body, { host: 'x:65536' }))).status,
    ).toBe(400);
    expect(asked).toEqual(['x:65536']);
  });
});

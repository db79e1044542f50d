import type { Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { trainFixture } from './fixture.js';
import {
  httpRequest,
  listening,
  logLines,
  openSocket,
  type RawResponse,
  requestOnce,
  runService,
  type ServeProcess,
  until,
} from './serve-process.js';

const fx = trainFixture();
const running: ServeProcess[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
  fx.cleanup();
});

const PROBES = ['/health', '/ready', '/v2/health/live', '/v2/health/ready'];

/**
 * Like a container with 160 open files: below Node's need for a 200-connection flood. One worker
 * by default: the connection guard's cap and its refusals are per process (each worker of a
 * cluster has its own cap and its own descriptors), so the guard's guarantees are tested on one
 * process, and what a cluster adds is tested separately below.
 */
async function lowLimitServer(extra: string[] = ['--workers', '1']) {
  const p = runService(
    ['serve', '--model', fx.file, '--port', '0', '--host', '127.0.0.1', ...extra],
    {},
    { openFileLimit: 160 },
  );
  running.push(p);
  return { p, port: (await listening(p)).port as number };
}

/**
 * Opens `n` connections, one after the other, each settled by `onOpen` before the next: the server
 * may close any of them, which is the point.
 */
async function flood(
  port: number,
  n: number,
  onOpen: (s: Socket) => Promise<void> | void = () => {},
) {
  for (let i = 0; i < n; i++) {
    const s = await openSocket(port).catch(() => null);
    if (!s) continue;
    s.on('error', () => {});
    sockets.push(s);
    await onOpen(s);
  }
}

/** A server whose headers and request timeouts are short enough to wait for in a test. */
async function shortTimeoutServer(): Promise<number> {
  const p = runService([
    'serve',
    '--model',
    fx.file,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--headers-timeout-ms',
    '300',
    '--request-timeout-ms',
    '600',
  ]);
  running.push(p);
  return (await listening(p)).port as number;
}

/** A connection that keeps all it receives, and settles `closed` when the server closes it. */
async function collectingSocket(port: number) {
  const s = await openSocket(port);
  sockets.push(s);
  let received = '';
  s.on('data', (d) => {
    received += d;
  });
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  return { s, text: () => received, closed };
}

async function probeStatuses(port: number): Promise<number[]> {
  const out: number[] = [];
  for (const path of PROBES) out.push((await requestOnce(port, httpRequest('GET', path))).status);
  return out;
}

describe('connection limits', () => {
  it('keeps probes and predictions answering under an idle-connection flood past the file limit', async () => {
    const { port } = await lowLimitServer();
    await flood(port, 200);

    expect(await probeStatuses(port)).toEqual([200, 200, 200, 200]);
    const predict = await requestOnce(
      port,
      httpRequest('POST', '/predict', JSON.stringify({ features: fx.rows[0] })),
    );
    expect(predict.status).toBe(200);
  }, 30_000);

  it('keeps probes answering under a slow-body flood, and refuses other requests with 503 and Connection: close', async () => {
    const { port } = await lowLimitServer();
    const body = JSON.stringify({ features: fx.rows[0] });
    const head = httpRequest('POST', '/predict', body, { expect: '100-continue' }).subarray(
      0,
      -body.length,
    );
    // Headers and the first bytes of a body that never completes: each holds a request open. The
    // server's `100 Continue` (or its refusal, or a close) says it has taken the request in.
    await flood(port, 200, (s) => {
      s.write(Buffer.concat([head, Buffer.from(body.slice(0, 5))]));
      return new Promise<void>((settled) => {
        s.once('data', () => settled());
        s.once('close', () => settled());
      });
    });

    expect(await probeStatuses(port)).toEqual([200, 200, 200, 200]);
    const refused = await requestOnce(port, httpRequest('POST', '/predict', body));
    expect(refused.status).toBe(503);
    expect(refused.headers.connection).toBe('close');
    expect(JSON.parse(refused.body).error).toBe('Too many connections');
  }, 30_000);

  // Where the workers share the primary's socket (before Node 22.12; with SO_REUSEPORT each server
  // accepts on its own), the primary accepts every connection and hands it to a worker over IPC, one at a time
  // per worker (Node's round-robin): under a flood faster than the handoff, the primary's own
  // descriptors run out and libuv resets what it accepts meanwhile, probes included, before any
  // worker's guard sees them. (Workers accepting directly, SCHED_NONE, avoid that but put nearly
  // every connection on one worker.) What a cluster does guarantee: no process dies, and once the
  // primary has handed the flood over, each worker's guard keeps probes and predictions answering.
  it('in a cluster, survives an idle-connection flood past the file limit and answers probes and predictions after it', async () => {
    const { p, port } = await lowLimitServer(['--workers', '2']);
    await until(() => logLines(p, 'cluster listening').length === 1);
    await flood(port, 200);

    // The first probe may still find the primary out of descriptors (reset, not answered).
    let first: RawResponse | null = null;
    for (let attempt = 0; attempt < 50 && !first; attempt++) {
      first = await requestOnce(port, httpRequest('GET', '/health')).catch(() => null);
      if (!first) await new Promise((r) => setTimeout(r, 100));
    }
    expect(first?.status).toBe(200);
    expect(await probeStatuses(port)).toEqual([200, 200, 200, 200]);
    const predict = await requestOnce(
      port,
      httpRequest('POST', '/predict', JSON.stringify({ features: fx.rows[0] })),
    );
    expect(predict.status).toBe(200);
    expect(p.child.exitCode).toBeNull();
    expect(logLines(p, 'worker exited; starting a replacement')).toEqual([]);
  }, 30_000);

  it('answers a body that never completes with 408 once the request timeout passes', async () => {
    const port = await shortTimeoutServer();
    const body = JSON.stringify({ features: fx.rows[0] });
    const { s, text, closed } = await collectingSocket(port);
    s.write(httpRequest('POST', '/predict', body).subarray(0, -body.length + 5));

    await closed;
    expect(text()).toMatch(/^HTTP\/1\.1 408/);
  }, 30_000);

  it('answers headers that never complete with 408 once the headers timeout passes', async () => {
    const port = await shortTimeoutServer();
    const { s, text, closed } = await collectingSocket(port);
    s.write('GET /health HTTP/1.1\r\nhost: x\r\n');

    await closed;
    expect(text()).toMatch(/^HTTP\/1\.1 408/);
  }, 30_000);
});

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainFixture } from './fixture.js';
import { listening, logLines, type ServeProcess, until } from './serve-process.js';

// Audit lines on a stdout pipe whose reader falls behind, as a container's log pipe does when
// its log pipeline stalls. Before the service wrote to the descriptor itself
// (service/node/fd-writer.ts), process.stdout queued what a full pipe would not take, process.exit
// dropped the queue (a trial lost 3,447 of 5,031 lines at one SIGTERM), and workers' queued
// pieces went out merged past PIPE_BUF, torn by each other (530 of 11,636 lines).

const fx = trainFixture();
const running: ServeProcess[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
  fx.cleanup();
});

/** How fast the test reads the server's stdout: ~250 KB/s, far below what the load writes. */
const READ_BYTES_PER_MS = 250;

/** `serve` with its stdout read slowly; `out()` is what has been read so far. */
function serveWithSlowReader(workers: number): ServeProcess & { ended: Promise<void> } {
  const child = spawn(
    process.execPath,
    [
      resolve('bin/oncoclear.js'),
      ...['serve', '--model', fx.file, '--port', '0', '--host', '127.0.0.1'],
      ...['--workers', String(workers), '--drain-ms', '300'],
    ],
    { env: { ...process.env, WORKERS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const read: Buffer[] = [];
  const stdout = child.stdout!;
  // After each chunk the stream pauses as long as reading it at that rate takes, so the pipe
  // fills behind it. (A paused stream nobody listens to would lose data: Node resumes a child's
  // unread stdio when the child exits, and without a 'data' listener that discards it.)
  stdout.on('data', (chunk: Buffer) => {
    read.push(chunk);
    stdout.pause();
    setTimeout(() => stdout.resume(), chunk.length / READ_BYTES_PER_MS);
  });
  const ended = new Promise<void>((done) => stdout.once('end', done));
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((done) => child.on('exit', done));
  const p = {
    child,
    exited,
    out: () => Buffer.concat(read).toString(),
    err: () => stderr,
    ended,
  };
  running.push(p);
  return p;
}

/** {@link serveWithSlowReader} once every server of it listens; its port. */
async function servingWithSlowReader(workers: number) {
  const server = serveWithSlowReader(workers);
  const port = (await listening(server)).port as number;
  if (workers > 1) await until(() => logLines(server, 'cluster listening').length === 1);
  return { server, port };
}

/** POSTs /predict on `connections` keep-alive connections until `stop`; the 200s' predictionIds. */
function predictUntil(port: number, connections: number, rows: number[][]) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const ids: string[] = [];
  let stopped = false;
  let sent = 0;
  const one = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    const body = JSON.stringify({ features: rows[sent++ % rows.length] });
    return new Promise<void>((done) => {
      const req = request(
        {
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/predict',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () => {
            if (res.statusCode === 200) ids.push(JSON.parse(text).predictionId);
            done();
          });
        },
      );
      // Refused or reset once the server has closed: the client would retry elsewhere.
      req.on('error', () => {
        stopped = true;
        done();
      });
      req.end(body);
    }).then(one);
  };
  const finished = Promise.all(Array.from({ length: connections }, one));
  return {
    ids,
    stop: async () => {
      stopped = true;
      await finished;
      agent.destroy();
    },
  };
}

describe.each([1, 2])('audit lines on a slow stdout pipe, --workers %i', (workers) => {
  it('writes one whole line for every answered prediction, through a SIGTERM, none torn', async () => {
    const { server, port } = await servingWithSlowReader(workers);
    const load = predictUntil(port, 8, fx.rows);
    // Enough lines to fill the pipe and the reader's buffer several times over (~600 bytes each).
    await until(() => load.ids.length >= 600);
    server.child.kill('SIGTERM');
    const code = await server.exited;
    await load.stop();
    await server.ended;

    expect(code).toBe(0);
    const lines = server.out().split('\n').filter(Boolean);
    const torn = lines.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(torn.map((line) => `${line.slice(0, 80)}…${line.slice(-60)} (${line.length})`)).toEqual(
      [],
    );
    const audited = new Set(lines.map((line) => (JSON.parse(line) as { id: string }).id));
    const missing = load.ids.filter((id) => !audited.has(id));
    expect(missing.length, `${missing.length} of ${load.ids.length} answered without a line`).toBe(
      0,
    );
    expect(audited.size).toBe(load.ids.length);
  });
});

// stdout's reader going away (a log shipper that died, `serve | head`): the audit log cannot be
// written, so no prediction can be audited. The server used to die of an uncaught EPIPE thrown
// from the flush timer, a minified stack on stderr; a cluster's primary then replaced the worker
// with one that failed the same way.
/**
 * Whether a process with this pid still runs. A zombie does not: a worker orphaned by a primary
 * that exited first is re-parented to an init that may never reap it.
 */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe.each([1, 2])('audit lines when stdout has no reader, --workers %i', (workers) => {
  it('stops with exit code 3 and one line saying why, the cluster with it', async () => {
    const { server, port } = await servingWithSlowReader(workers);
    const before = predictUntil(port, 2, fx.rows);
    await until(() => before.ids.length >= 4);
    await before.stop();
    await until(() => server.out().split('\n').filter(Boolean).length >= 4);
    server.child.stdout!.destroy();
    const after = predictUntil(port, 4, fx.rows);
    const code = await server.exited;
    await after.stop();

    expect(code).toBe(3);
    const lost = logLines(
      server,
      'audit log cannot be written (stdout); stopping, since no prediction could be audited',
    );
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(lost[0]).toMatchObject({ level: 'error', error: 'EPIPE' });
    expect(lost[0]!.auditLinesNotWritten).toBeGreaterThanOrEqual(1);
    // No stack trace, no replacement worker.
    expect(server.err()).not.toMatch(/\n\s+at /);
    expect(logLines(server, 'worker exited; starting a replacement')).toEqual([]);
    // Whichever server met the closed pipe first (the primary serves too, where it has its own
    // socket), none is left running.
    const pids = (logLines(server, 'cluster listening')[0]?.pids as number[] | undefined) ?? [];
    await until(() => pids.every((pid) => !alive(pid)));
    // Where only forked workers serve (workers sharing the primary's socket, before Node 22.12),
    // the primary stops the cluster on a worker's exit code.
    if (workers > 1 && !pids.includes(server.child.pid!))
      expect(
        logLines(server, 'a server could not write its audit log; stopping the cluster'),
      ).toHaveLength(1);
  });
});

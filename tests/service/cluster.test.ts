import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reusePortSupported } from '../../service/options.js';
import { saveArtifact } from '../../src/model/artifact.js';
import { trainFixture } from './fixture.js';
import {
  httpRequest,
  keepAliveLoad,
  listening,
  logLines,
  requestOnce,
  runService,
  type ServeProcess,
  until,
} from './serve-process.js';

// `serve --workers 2` as users run it (dist/ is built by the vitest global setup): one port, two
// server processes, one audit stream, one /metrics.
const a = trainFixture(42);
const b = trainFixture(7); // another split: other coefficients, another checksum
const running: ServeProcess[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
  a.cleanup();
  b.cleanup();
});

async function cluster(file: string, env: Record<string, string> = {}) {
  const p = runService(
    ['serve', '--model', file, '--port', '0', '--host', '127.0.0.1', '--workers', '2'],
    { DRAIN_MS: '0', ...env },
  );
  running.push(p);
  const port = (await listening(p)).port as number;
  await until(() => logLines(p, 'cluster listening').length === 1);
  return { p, port };
}

/** A serving process the primary forked (where the primary serves too, it is not one of them). */
function forkedWorker(p: ServeProcess): number {
  const pids = logLines(p, 'cluster listening')[0]!.pids as number[];
  return pids.find((pid) => pid !== p.child.pid)!;
}

/** Whether `pid` or one of its children has `file` open (/proc, Linux). */
function holdsOpen(pid: number, file: string): boolean {
  const children = (() => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
    } catch {
      return [];
    }
  })();
  return [String(pid), ...children].some((id) => {
    try {
      return readdirSync(`/proc/${id}/fd`).some((fd) => {
        try {
          return readlinkSync(`/proc/${id}/fd/${fd}`) === file;
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}

/** Sum of every sample of `name` in an exposition, whatever its labels. */
function total(metrics: string, name: string, labels = ''): number {
  return metrics
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('serve --workers 2', () => {
  it('writes one whole audit line per prediction from both workers, never interleaved, and /metrics counts them all', async () => {
    // Arrange: two workers whose audit lines share one stdout pipe, under 64 keep-alive
    // connections, which the primary spreads over both.
    const { p, port } = await cluster(a.file);
    const workers = logLines(p, 'cluster listening')[0]!.pids as number[];
    expect(new Set(workers).size).toBe(2);
    expect(new Set(logLines(p, 'listening').map((l) => l.pid))).toEqual(new Set(workers));
    // With a socket per process the primary serves too, and first; without, it serves nothing.
    if (reusePortSupported()) expect(workers[0]).toBe(p.child.pid);
    else expect(workers).not.toContain(p.child.pid);
    const predict = httpRequest('POST', '/predict', JSON.stringify({ features: a.rows[0] }));

    // Act
    const load = keepAliveLoad(port, predict, 64);
    await until(() => load.stats.answered >= 4000);
    load.stop();
    const stats = await load.done;
    // Requests cut off by stop() may still be answered (and audited) by the server: let them be.
    await new Promise((r) => setTimeout(r, 300));
    const metrics = (await requestOnce(port, httpRequest('GET', '/metrics'))).body;
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);

    // Assert: every line is one complete record, one per prediction made, each id once.
    expect(stats.failed).toBe(0);
    expect(stats.statuses[200]).toBe(stats.answered);
    const lines = p.out().split('\n');
    expect(lines.pop()).toBe('');
    const records = lines.map((l) => JSON.parse(l) as { type: string; id: string });
    const predicted = total(metrics, 'oncoclear_predictions_total');
    expect(records).toHaveLength(predicted);
    expect(predicted).toBeGreaterThanOrEqual(stats.answered);
    expect(records.every((r) => r.type === 'prediction')).toBe(true);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    // /metrics is the cluster's: the predictions of both workers, whichever one answered.
    expect(total(metrics, 'oncoclear_http_requests_total', 'route="/predict"')).toBe(predicted);
    expect(total(metrics, 'oncoclear_model_info')).toBe(1);
  }, 60_000);

  it('reloads the model in every worker and reports both reloads in one /metrics', async () => {
    // Arrange
    const file = join(a.dir, 'watched.json');
    saveArtifact(file, a.artifact);
    const { p, port } = await cluster(file);
    const sha = (f: string) => readFileSync(`${f}.sha256`, 'utf8').split(' ')[0]!;
    const before = sha(file);

    // Act: replace the file; both workers watch it.
    saveArtifact(file, b.artifact);
    await until(() => logLines(p, 'model reloaded').length === 2);

    // Assert: whichever worker a fresh connection reaches, it serves the new model.
    const after = sha(file);
    expect(after).not.toBe(before);
    const body = JSON.stringify({ features: a.rows[0] });
    for (let i = 0; i < 20; i++) {
      const res = await requestOnce(port, httpRequest('POST', '/predict', body));
      expect(res.status).toBe(200);
      const model = await requestOnce(port, httpRequest('GET', '/model'));
      expect(JSON.parse(model.body).sha256).toBe(`sha256:${after}`);
    }
    const metrics = (await requestOnce(port, httpRequest('GET', '/metrics'))).body;
    expect(metrics).toContain('oncoclear_model_reloads_total{result="success"} 2');
    expect(total(metrics, 'oncoclear_model_info')).toBe(1);
    expect(metrics).toContain(`sha256="sha256:${after}"`);
  }, 60_000);

  it('replaces a worker that dies and keeps serving', async () => {
    const { p, port } = await cluster(a.file);
    const first = forkedWorker(p);
    process.kill(first, 'SIGKILL');
    await until(() => logLines(p, 'listening').length === 3);
    expect(logLines(p, 'worker exited; starting a replacement')[0]).toMatchObject({
      pid: first,
      signal: 'SIGKILL',
    });
    for (let i = 0; i < 10; i++) {
      const res = await requestOnce(port, httpRequest('GET', '/ready'));
      expect(res.status).toBe(200);
    }
  }, 60_000);

  it('keeps /metrics counters from going down when a worker is replaced', async () => {
    // Arrange: predictions on both workers, one scrape (the primary records what each reported).
    const { p, port } = await cluster(a.file);
    const body = JSON.stringify({ features: a.rows[0] });
    for (let i = 0; i < 10; i++)
      expect((await requestOnce(port, httpRequest('POST', '/predict', body))).status).toBe(200);
    const predictions = (metrics: string) =>
      total(metrics, 'oncoclear_http_requests_total', 'route="/predict"');
    const before = predictions((await requestOnce(port, httpRequest('GET', '/metrics'))).body);
    expect(before).toBe(10);

    // Act: one worker dies (its totals with it) and is replaced by a fresh one.
    const first = forkedWorker(p);
    process.kill(first, 'SIGKILL');
    await until(() => logLines(p, 'listening').length === 3);

    // Assert: what the dead worker had reported still counts; Prometheus sees no reset.
    const after = (await requestOnce(port, httpRequest('GET', '/metrics'))).body;
    expect(predictions(after)).toBe(10);
  }, 60_000);

  it('stops cleanly on SIGTERM while the model is still loading', async () => {
    // Arrange: the model file is a FIFO, so whichever process loads it (the primary where it
    // serves, else the first worker) blocks until the test writes it.
    const dir = mkdtempSync(join(tmpdir(), 'oncoclear-fifo-'));
    const file = join(dir, 'model.json');
    saveArtifact(file, a.artifact);
    const content = readFileSync(file);
    rmSync(file);
    expect(spawnSync('mkfifo', [file]).status).toBe(0);
    const writer = openSync(file, 'r+'); // read-write: opening does not wait for a reader
    const p = runService(
      ['serve', '--model', file, '--port', '0', '--host', '127.0.0.1', '--workers', '2'],
      { DRAIN_MS: '0' },
    );
    running.push(p);
    await until(() => holdsOpen(p.child.pid!, file));

    // Act: SIGTERM before any server listens, then let the load finish.
    p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    writeSync(writer, content);
    closeSync(writer);
    // A worker forked after this reads a plain file (a FIFO would give it nothing).
    writeFileSync(join(dir, 'plain.json'), content);
    renameSync(join(dir, 'plain.json'), file);

    // Assert: the signal was not lost on the way: the cluster stops, cleanly. Where the primary
    // serves, it loaded the model, listened and forked no one; where it serves nothing, its one
    // worker asked whether it may listen, was told no and left without joining the port.
    expect(await p.exited).toBe(0);
    expect(logLines(p, 'listening')).toHaveLength(reusePortSupported() ? 1 : 0);
    rmSync(dir, { recursive: true });
  }, 30_000);

  it('refuses to start, once, when the model does not verify', async () => {
    const file = join(a.dir, 'unverified.json');
    saveArtifact(file, a.artifact);
    const tampered = readFileSync(file, 'utf8').replace('"oncoclear"', '"oncoclear-x"');
    writeFileSync(file, tampered);
    const p = runService(['serve', '--model', file, '--port', '0', '--workers', '2']);
    running.push(p);
    expect(await p.exited).toBe(1);
    const lines = p.err().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^oncoclear serve: Checksum mismatch/);
  }, 30_000);
});

import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainFixture } from './fixture.js';
import { listening, logLines, runService, type ServeProcess, until } from './serve-process.js';

// The audit lines' input fingerprints are keyed (service/audit.ts inputFingerprinter): by a key
// file when one is given, else by a random key per start that every process of a cluster shares.

const fx = trainFixture();
const running: ServeProcess[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
  fx.cleanup();
});

function serve(extra: string[], env: Record<string, string> = {}) {
  const p = runService(
    ['serve', '--model', fx.file, '--port', '0', '--host', '127.0.0.1', ...extra],
    env,
  );
  running.push(p);
  return p;
}

/** POSTs row 0 `times` times on fresh connections; the fingerprints of the lines written. */
async function fingerprintsOf(p: ServeProcess, times: number): Promise<string[]> {
  const port = (await listening(p)).port as number;
  for (let i = 0; i < times; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ features: fx.rows[0] }),
    });
    expect(res.status).toBe(200);
  }
  p.child.kill('SIGINT');
  expect(await p.exited).toBe(0);
  return p
    .out()
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { inputFingerprint: string }).inputFingerprint);
}

const rowBytes = () => Buffer.from(Float64Array.from(fx.rows[0]!).buffer);

describe('audit fingerprint keys', () => {
  it('keys by --audit-key-file (or AUDIT_KEY_FILE): the same row, the same HMAC, across starts', async () => {
    const keyFile = join(fx.dir, 'audit.key');
    const key = Buffer.from('a key of thirty-two bytes, 32 b.');
    writeFileSync(keyFile, key);
    const first = await fingerprintsOf(serve(['--audit-key-file', keyFile]), 1);
    const second = await fingerprintsOf(serve([], { AUDIT_KEY_FILE: keyFile }), 1);
    const hmac = createHmac('sha256', key).update(rowBytes()).digest('hex');
    expect(first[0]).toMatch(new RegExp(`^hmac-sha256:[0-9a-f]{8}:${hmac}$`));
    expect(second).toEqual(first);
  });

  it('keys by a random key per start otherwise, one for all of a cluster’s processes', async () => {
    const a = await fingerprintsOf(serve([]), 1);
    const b = await fingerprintsOf(serve([]), 1);
    expect(b[0]).not.toBe(a[0]);
    const cluster = serve(['--workers', '2']);
    await until(() => logLines(cluster, 'cluster listening').length === 1);
    // The random key reaches the workers over IPC, not in their environment (Linux).
    for (const l of logLines(cluster, 'listening'))
      if (l.pid !== cluster.child.pid)
        expect(readFileSync(`/proc/${l.pid}/environ`, 'utf8')).not.toContain('auditKey"');
    // Fresh connections land on both servers; every line fingerprints the row alike.
    const lines = await fingerprintsOf(cluster, 24);
    expect(lines).toHaveLength(24);
    expect(new Set(lines).size).toBe(1);
    const listeningLines = logLines(cluster, 'listening');
    expect(new Set(listeningLines.map((l) => (l.auditKey as { id: string }).id)).size).toBe(1);
    expect(new Set(listeningLines.map((l) => l.pid)).size).toBe(2);
  });

  it('gives a cluster’s workers the key over IPC, read once by the primary, not in their environment', async () => {
    const keyFile = join(fx.dir, 'cluster.key');
    const key = Buffer.from('thirty-two bytes of cluster key!');
    writeFileSync(keyFile, key);
    const cluster = serve(['--workers', '2', '--audit-key-file', keyFile]);
    await until(() => logLines(cluster, 'cluster listening').length === 1);
    const pids = logLines(cluster, 'listening').map((l) => l.pid as number);
    expect(new Set(pids).size).toBe(2);
    // The workers' environments (Linux): neither the key nor an auditKey field in the options.
    for (const pid of pids.filter((p) => p !== cluster.child.pid)) {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      expect(environ).toContain('ONCOCLEAR_WORKER_OPTIONS');
      expect(environ).not.toContain(key.toString('base64'));
      expect(environ).not.toContain('auditKey"');
    }
    // A key file replaced under the running cluster changes nothing: the primary read it once.
    writeFileSync(keyFile, Buffer.from('another key of thirty-two bytes.'));
    const lines = await fingerprintsOf(cluster, 12);
    const hmac = createHmac('sha256', key).update(rowBytes()).digest('hex');
    expect(new Set(lines)).toEqual(new Set([expect.stringMatching(new RegExp(`:${hmac}$`))]));
  });

  it('refuses to start with a key file it cannot read or that is too short', async () => {
    const short = join(fx.dir, 'short.key');
    writeFileSync(short, 'tiny');
    const tooShort = serve(['--audit-key-file', short]);
    expect(await tooShort.exited).toBe(1);
    expect(tooShort.err()).toContain(
      `The audit key file '${short}' has 4 bytes; expected at least 16`,
    );
    const missing = serve([], { AUDIT_KEY_FILE: join(fx.dir, 'absent.key') });
    expect(await missing.exited).toBe(1);
    expect(missing.err()).toMatch(/Cannot read the audit key file '.*absent\.key'.*ENOENT/);
    expect(missing.err()).not.toContain('"msg":"listening"');
  });
});

import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainFixture } from './fixture.js';
import { listening as listeningLine, runService, type ServeProcess } from './serve-process.js';

// These run the built service the way users do: node bin/oncoclear.js serve … (dist/ is built
// once by the vitest global setup).
const fx = trainFixture();
afterAll(() => fx.cleanup());

const run = (args: string[], env: Record<string, string> = {}, cwd?: string) =>
  runService(args, env, cwd ? { cwd } : {});

/** Waits for the `listening` log line and returns its port. */
const listening = async (p: ServeProcess) => (await listeningLine(p)).port as number;

describe('refusing to start', () => {
  it('exits non-zero with one stderr line when the artifact does not match its checksum', async () => {
    const file = join(fx.dir, 'tampered.json');
    const text = readFileSync(fx.file, 'utf8');
    writeFileSync(file, text.replace('"oncoclear"', '"oncoclear-x"'));
    writeFileSync(`${file}.sha256`, readFileSync(`${fx.file}.sha256`));
    const p = run(['serve', '--model', file, '--port', '0', '--host', '127.0.0.1']);
    expect(await p.exited).not.toBe(0);
    const lines = p.err().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^oncoclear serve: Checksum mismatch for '.*tampered\.json'/);
  }, 20_000);

  it('exits non-zero with one stderr line for an unknown schema version', async () => {
    const file = join(fx.dir, 'future.json');
    const text = JSON.stringify({ ...fx.artifact, schemaVersion: 2 });
    writeFileSync(file, text);
    // A matching checksum, so the refusal comes from the schema check and nothing else.
    writeFileSync(
      `${file}.sha256`,
      `${createHash('sha256').update(text).digest('hex')}  future.json\n`,
    );
    const p = run(['serve', '--port', '0', '--host', '127.0.0.1'], { MODEL_PATH: file });
    expect(await p.exited).toBe(1);
    const lines = p.err().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/schemaVersion 2; this build reads 1/);
  }, 20_000);

  it('says where it looked and how to give it a model when nothing names one', async () => {
    // An empty directory: no --model, no MODEL_PATH, nothing at the default locations.
    const p = run(['serve', '--workers', '1', '--port', '0'], { MODEL_PATH: '' }, fx.dir);
    expect(await p.exited).toBe(1);
    const lines = p.err().split('\n').filter(Boolean);
    expect(lines).toEqual([
      'oncoclear serve: No model to serve: none of /mnt/models/model.json, model/model.json exists. Mount one at /mnt/models (model.json and its model.json.sha256), set MODEL_PATH or pass --model FILE, or serve a registry with --registry DIR.',
    ]);
  }, 20_000);

  it('exits 2 on a usage error', async () => {
    const p = run(['serve', '--bogus']);
    expect(await p.exited).toBe(2);
    expect(p.err()).toMatch(/--bogus/);
  }, 20_000);
});

describe('graceful shutdown', () => {
  let server: ReturnType<typeof run> | undefined;
  afterAll(() => {
    server?.child.kill('SIGKILL');
  });

  it('on SIGTERM finishes the in-flight request, then exits 0', async () => {
    server = run(['serve', '--model', fx.file, '--port', '0', '--host', '127.0.0.1'], {
      DRAIN_MS: '100',
    });
    const port = await listening(server);
    const body = JSON.stringify({ features: fx.rows[0] });
    // Send the headers and half the body, so the request is in flight when SIGTERM arrives.
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/predict',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 20));
      setTimeout(() => {
        (server!.child as ChildProcess).kill('SIGTERM');
        setTimeout(() => req.end(body.slice(20)), 300);
      }, 200);
    });
    const res = await response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).label).toMatch(/benign|malignant/);
    expect(await server.exited).toBe(0);
    expect(server.err()).toContain('"msg":"listener closed; finishing in-flight requests"');
    // The prediction's audit line was flushed to stdout before exit.
    const audit = server
      .out()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ type: 'prediction', id: JSON.parse(res.body).predictionId });
  }, 20_000);
});

describe('where it listens', () => {
  it('logs the addresses it really bound, not localhost, and takes HOST and PORT from the environment', async () => {
    const p = run(['serve', '--model', fx.file], { HOST: '127.0.0.1', PORT: '0' });
    try {
      const port = await listening(p);
      const line = JSON.parse(
        p
          .err()
          .split('\n')
          .find((l) => l.includes('"msg":"listening"'))!,
      );
      expect(line.addresses).toEqual([`127.0.0.1:${port}`]);
      expect(line.url).toBe(`http://127.0.0.1:${port}`);
      expect(p.err()).not.toContain('localhost');
    } finally {
      p.child.kill('SIGKILL');
    }
  }, 20_000);

  it('lists every interface address when bound to 0.0.0.0', async () => {
    const p = run(['serve', '--model', fx.file, '--port', '0', '--host', '0.0.0.0']);
    try {
      const port = await listening(p);
      const line = JSON.parse(
        p
          .err()
          .split('\n')
          .find((l) => l.includes('"msg":"listening"'))!,
      );
      expect(line.addresses).toContain(`127.0.0.1:${port}`);
      expect(p.err()).not.toContain('localhost');
    } finally {
      p.child.kill('SIGKILL');
    }
  }, 20_000);
});

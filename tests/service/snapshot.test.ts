import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainFixture } from './fixture.js';
import { listening, logLines, runService, type ServeProcess } from './serve-process.js';

// The V8 startup snapshot of `serve` (service/snapshot.ts, scripts/snapshot.mjs) and the image's
// entrypoint that picks it (bin/image-entrypoint.sh), on this node. A blob runs only on the node
// that built it, so the build happens here, in a copy of the package laid out as the image's /app.
// Node 20 has no process.execve, the snapshot's hand-over to the bundle, so it builds none: the
// suite runs on Node 22.15+ (the Node 24 pass of .ci/run, and test:image in the real image).
const supported = typeof (process as { execve?: unknown }).execve === 'function';

const fx = trainFixture();
const running: ServeProcess[] = [];
let app = '';
let blob = '';

beforeAll(() => {
  if (!supported) return;
  // Built in one directory and run from another, as the image builds in /src and runs in /app.
  const buildDir = mkdtempSync(join(tmpdir(), 'oncoclear-snapshot-'));
  app = `${buildDir}-moved`;
  for (const part of ['package.json', 'oncoclear.config.json', 'bin', 'scripts', 'service', 'src'])
    cpSync(part, join(buildDir, part), { recursive: true });
  symlinkSync(resolve('node_modules'), join(buildDir, 'node_modules'));
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--snapshot'], {
    cwd: buildDir,
    encoding: 'utf8',
  });
  expect(built.stderr).toBe('');
  expect(built.status).toBe(0);
  renameSync(buildDir, app);
  blob = join(app, 'dist', 'serve.blob');
}, 120_000);

afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
  fx.cleanup();
  if (app) for (const dir of [app, `${app}-bin`]) rmSync(dir, { recursive: true, force: true });
});

const SERVE = ['serve', '--model', fx.file, '--port', '0', '--host', '127.0.0.1'];

/** `serve` through `launch` (default: node bin/oncoclear.js). */
function start(launch: string[] | undefined, env: Record<string, string> = {}, args = SERVE) {
  const p = runService(args, env, launch ? { launch } : {});
  running.push(p);
  return p;
}

const fromBlob = () => [process.execPath, '--snapshot-blob', blob];

/** PATH with this node first: the entrypoint script runs `node`. */
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;

/** Through the image's entrypoint script. */
function viaEntrypoint(env: Record<string, string> = {}, args = SERVE) {
  return start([join(app, 'bin', 'image-entrypoint.sh')], { PATH, ...env }, args);
}

async function answers(p: ServeProcess) {
  const port = (await listening(p)).port as number;
  const post = async (path: string, request: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    // Prediction ids differ by design (collected apart); everything else must match.
    const ids: unknown[] = [];
    const body = JSON.parse(await res.text(), (key, value) => {
      if (key !== 'predictionId') return value;
      ids.push(value);
      return undefined;
    });
    return { status: res.status, body, predictionId: ids[0] };
  };
  return {
    one: await post('/predict', { features: fx.named(0), explain: true }),
    batch: await post('/predict/batch', { instances: [fx.named(1), fx.rows[2]] }),
    bad: await post('/predict', { features: { ...fx.named(0), 'mean radius': 'x' } }),
    model: (await (await fetch(`http://127.0.0.1:${port}/model`)).json()) as unknown,
    // Read from dist/swagger-ui beside the bundle: the running tree's, not the build's.
    asset: (await fetch(`http://127.0.0.1:${port}/docs/assets/swagger-ui-dist/swagger-ui.css`))
      .status,
  };
}

describe.skipIf(!supported)('serve from its startup snapshot', () => {
  it('answers exactly as the bundle does, and says it started from the snapshot', async () => {
    const spawnedAt = Date.now();
    const fromBundle = start(undefined);
    const fromSnapshot = start(fromBlob());
    const [a, b] = [await answers(fromBundle), await answers(fromSnapshot)];
    expect(a.one.status).toBe(200);
    expect([a.asset, b.asset]).toEqual([200, 200]);
    expect(a.bad.status).toBe(422);
    expect(b.one.body).toEqual(a.one.body);
    expect(b.batch.body).toEqual(a.batch.body);
    expect(b.bad).toEqual(a.bad);
    // The load time is each start's own, not the snapshot build's.
    const { loadedAt: loadedA, ...modelA } = a.model as { loadedAt: string };
    const { loadedAt: loadedB, ...modelB } = b.model as { loadedAt: string };
    expect(modelB).toEqual(modelA);
    // At or after the spawn, so not a time the snapshot's build recorded (it ran before).
    expect(Date.parse(loadedB)).toBeGreaterThanOrEqual(spawnedAt - 5);
    expect(Date.parse(loadedA)).toBeGreaterThanOrEqual(spawnedAt - 5);
    expect((await listening(fromBundle)).startedFrom).toBe('bundle');
    expect((await listening(fromSnapshot)).startedFrom).toBe('snapshot');
  });

  it('draws its own audit key and prediction ids at every start', async () => {
    const first = start(fromBlob());
    const second = start(fromBlob());
    const [one, two] = [await answers(first), await answers(second)];
    const keyOf = async (p: ServeProcess) =>
      ((await listening(p)).auditKey as { source: string; id: string }).id;
    expect(await keyOf(first)).not.toBe(await keyOf(second));
    expect(one.one.predictionId).not.toBe(two.one.predictionId);
  });

  it('runs a cluster whose workers start from the snapshot too', async () => {
    const p = start(fromBlob(), { WORKERS: '2' }, [...SERVE, '--drain-ms', '0']);
    const port = (await listening(p)).port as number;
    const cluster = await new Promise<Record<string, unknown>>((resolveLine, reject) => {
      const poll = setInterval(() => {
        const line = logLines(p, 'cluster listening')[0];
        if (line) resolveLine(line);
        if (p.child.exitCode !== null) reject(new Error(p.err()));
      }, 20);
      setTimeout(() => clearInterval(poll), 20_000).unref();
    });
    expect(cluster.workers).toBe(2);
    const lines = logLines(p, 'listening');
    expect(lines.map((l) => l.startedFrom)).toEqual(['snapshot', 'snapshot']);
    expect(new Set(lines.map((l) => l.pid)).size).toBe(2);
    // /metrics is the cluster's: every prediction, whichever process answered it.
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ features: fx.rows[i % 5] }),
      });
      expect(res.status).toBe(200);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const predicted = metrics
      .split('\n')
      .filter((l) => l.startsWith('oncoclear_predictions_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(predicted).toBe(20);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 30_000);

  it('hands over to the bundle, in the same process, when dist/ holds another build', async () => {
    const idFile = join(app, 'dist', 'build-id');
    const id = readFileSync(idFile, 'utf8');
    writeFileSync(idFile, 'another-build\n');
    try {
      const p = start(fromBlob());
      const line = await listening(p);
      expect(line.startedFrom).toBe('bundle');
      const [warning] = logLines(p, 'startup snapshot not used');
      expect(warning?.reason).toMatch(/dist\/ is build another-build, the snapshot is of build/);
      // execve kept the pid: the process spawned is the one serving.
      expect(p.child.exitCode).toBeNull();
      expect((await answers(p)).one.status).toBe(200);
    } finally {
      writeFileSync(idFile, id);
    }
  });

  it('hands over to the bundle when an --import preload would not run from the snapshot', async () => {
    const preload = join(app, 'preload.mjs');
    writeFileSync(preload, "process.stderr.write('PRELOAD RAN\\n');\n");
    const p = start(fromBlob(), { NODE_OPTIONS: `--import ${preload}` });
    expect((await listening(p)).startedFrom).toBe('bundle');
    expect(logLines(p, 'startup snapshot not used')[0]?.reason).toMatch(/--import preloads/);
    expect(p.err()).toContain('PRELOAD RAN');
  });

  it('hands over once, not in a loop, when --snapshot-blob comes through NODE_OPTIONS', async () => {
    // node bin/oncoclear.js with the blob in NODE_OPTIONS: the blob runs, sees a script argument
    // and hands over; the bundle's process must not start from the blob again.
    const p = start(undefined, { NODE_OPTIONS: `--snapshot-blob ${blob}` });
    expect((await listening(p)).startedFrom).toBe('bundle');
    expect(logLines(p, 'startup snapshot not used')).toHaveLength(1);
  });

  it('says so in one line when a blob is run away from its tree', async () => {
    const lone = mkdtempSync(join(tmpdir(), 'oncoclear-lone-blob-'));
    try {
      cpSync(blob, join(lone, 'serve.blob'));
      const run = spawnSync(
        process.execPath,
        ['--snapshot-blob', join(lone, 'serve.blob'), ...SERVE],
        {
          encoding: 'utf8',
        },
      );
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('"msg":"startup snapshot not used"');
      expect(run.stderr).toMatch(
        /oncoclear: no bundle to start instead: .*bin\/oncoclear\.js is missing/,
      );
      expect(run.stderr).not.toContain('MODULE_NOT_FOUND');
    } finally {
      rmSync(lone, { recursive: true, force: true });
    }
  });

  it('the image entrypoint starts serve from the blob, and the bundle otherwise', async () => {
    const startedFrom = async (p: ServeProcess) => (await listening(p)).startedFrom;
    expect(await startedFrom(viaEntrypoint())).toBe('snapshot');
    expect(await startedFrom(viaEntrypoint({ ONCOCLEAR_SNAPSHOT: '0' }))).toBe('bundle');
    // A blob built by another node (its stamp names another binary) is not run: it would abort.
    const stamp = `${blob}.node`;
    const built = readFileSync(stamp, 'utf8');
    writeFileSync(stamp, '1 2\n');
    const other = viaEntrypoint();
    expect(await startedFrom(other)).toBe('bundle');
    expect(logLines(other, 'startup snapshot not used')[0]?.reason).toMatch(
      /built by another node/,
    );
    writeFileSync(stamp, built);
    // With the stamp of the node on PATH back, the snapshot again.
    expect(await startedFrom(viaEntrypoint())).toBe('snapshot');
    // Every other command goes to the CLI.
    const version = spawnSync(join(app, 'bin', 'image-entrypoint.sh'), ['--version'], {
      encoding: 'utf8',
      env: { ...process.env, PATH },
    });
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
    // Through a symlink elsewhere (as an image that links it onto PATH), the tree is the target's.
    const link = join(`${app}-bin`, 'oncoclear');
    mkdirSync(dirname(link));
    symlinkSync(join(app, 'bin', 'image-entrypoint.sh'), link);
    expect(await startedFrom(start([link], { PATH }))).toBe('snapshot');
  });

  it('and the bundle when there is no blob', async () => {
    rmSync(blob);
    const p = viaEntrypoint();
    expect((await listening(p)).startedFrom).toBe('bundle');
    expect((await answers(p)).one.status).toBe(200);
  });
});

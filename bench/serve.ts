// `npm run bench:serve`: OncoClear's service against a FastAPI + scikit-learn peer in one run —
// /predict throughput and latency under wrk, batch rows/s, and cold start to /ready — with a bare
// Hono route as the ceiling for this machine. See bench/README.md.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DRAIN_MS, reusePortSupported } from '../service/options.js';
import { httpRequest, keepAliveLoad, type LoadStats } from '../tests/service/serve-process.js';
import {
  BARE_NODE_SOURCE,
  CLI,
  coldStart,
  DATA,
  fmt,
  fmtRange,
  freePort,
  log,
  markdownTable,
  median,
  PEER_DIR,
  PYTHON,
  positive,
  RESULTS,
  ROOT,
  ratios,
  run,
  sleep,
  stop,
  uvicornArgs,
  waitReady,
} from './support.js';

const HELP = `Usage: npm run bench:serve -- [options]

Serving benchmark, all in one run on this machine (loopback, wrk from Debian):
  a. OncoClear: node bin/oncoclear.js serve with a freshly trained artifact, with --workers N,
     one per available CPU (serve's default on Node 22.12+ on Linux, the image's), and with
     --workers 1 (one process, the default on older Node); its audit lines (one per prediction, on
     stdout) go to a file, as a container's stdout would go to a log. Run the bench under Node 24
     (node_modules/tsx/dist/cli.mjs bench/serve.ts) to measure the image's runtime
  b. the ceilings: a minimal Hono route doing the same math on the same artifact (no validation,
     audit or metrics), and a bare Hono route that parses the JSON body and returns a constant;
     and the floor: node:http alone doing the same, in one process and, where serve's default
     runs a cluster, in as many processes on SO_REUSEPORT sockets
  c. the peer: FastAPI + uvicorn (uvloop, httptools) with a scikit-learn
     SimpleImputer + StandardScaler + LogisticRegression pipeline trained on data/wdbc.csv
     (bench/serve-peer/app.py, Debian's /usr/bin/python3): 1 worker with async handlers (its
     best here, the comparison), 1 worker with sync handlers, and 2 workers

Measures /predict req/s and p50/p99 latency (wrk, --connections, --threads, after a warm-up),
batch rows/s (--batch-rows rows per POST /predict/batch), /predict req/s while a second wrk
floods GET /openapi.json (--flood-connections), requests lost when SIGTERM lands under keep-alive
load (--drain-connections), and cold start from spawn to the first 200 from /ready (median of
--cold-runs, against a bare node:http server). Prints the tables and writes
bench/results/serve-latest.md.

Options:
  --duration S      seconds per wrk measurement (default 10)
  --warmup S        seconds of wrk warm-up before each (default 3)
  --connections N   wrk connections (default 32)
  --threads N       wrk threads (default 2)
  --batch-rows N    rows per batch request (default 100)
  --cold-runs N     cold starts per server (default 5)
  --flood-connections N  wrk connections flooding /openapi.json during the flood row (default 8)
  --drain-connections N  keep-alive connections under load when SIGTERM lands (default 32)
  --rounds N        load rounds, the three servers taking turns; each server's median round by
                    req/s is reported (default 1; 3 or more on a machine shared with other work)
  -h, --help        show this help
`;

/** Issue 15's goals: 1 (throughput, latency, the same-math ceiling) and 2 (cold start). */
const GOALS = { speedup: 15, p99Ms: 5, ceilingShare: 0.75, coldStartRatio: 2.5 };

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  threads: number;
  batchRows: number;
  coldRuns: number;
  rounds: number;
  floodConnections: number;
  drainConnections: number;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      'batch-rows': { type: 'string' },
      'cold-runs': { type: 'string' },
      rounds: { type: 'string' },
      'flood-connections': { type: 'string' },
      'drain-connections': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  return {
    duration: positive(values.duration, 10, '--duration'),
    warmup: positive(values.warmup, 3, '--warmup'),
    connections: positive(values.connections, 32, '--connections'),
    threads: positive(values.threads, 2, '--threads'),
    batchRows: positive(values['batch-rows'], 100, '--batch-rows'),
    coldRuns: positive(values['cold-runs'], 5, '--cold-runs'),
    rounds: positive(values.rounds, 1, '--rounds'),
    floodConnections: positive(values['flood-connections'], 8, '--flood-connections'),
    drainConnections: positive(values['drain-connections'], 32, '--drain-connections'),
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Newlines in a file, read in chunks (audit files outgrow a string). */
function countLines(file: string): number {
  const fd = openSync(file, 'r');
  const buffer = Buffer.alloc(1 << 20);
  let lines = 0;
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) return lines;
      for (let i = 0; i < n; i++) if (buffer[i] === 10) lines++;
    }
  } finally {
    closeSync(fd);
  }
}

/** Rows of data/wdbc.csv as feature arrays (every column but the last, the target). */
function loadRows(): number[][] {
  const lines = readFileSync(DATA, 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => line.split(',').slice(0, -1).map(Number));
}

// ---------------------------------------------------------------------------------------------
// Servers

interface ServerSpec {
  name: string;
  /**
   * Spawns the server on `port`; stdout/stderr go to the given file descriptors. OncoClear runs
   * without a drain (so that stopping it between measurements is quick) unless `env` sets one.
   */
  start(
    port: number,
    stdout: number | 'ignore',
    stderr: number | 'ignore',
    env?: Record<string, string>,
  ): ChildProcess;
}

const live = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
}

function oncoclear(model: string, workers: number): ServerSpec {
  return {
    name: workers === 1 ? 'oncoclear' : `oncoclear --workers ${workers}`,
    start: (port, stdout, stderr, env = {}) =>
      spawn(
        process.execPath,
        [
          CLI,
          'serve',
          '--model',
          model,
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
          '--workers',
          String(workers),
        ],
        {
          cwd: ROOT,
          env: { ...process.env, DRAIN_MS: '0', ...env },
          stdio: ['ignore', stdout, stderr],
        },
      ),
  };
}

/** What the constant ceilings answer: a prediction the size of ours. */
const CONSTANT_PREDICTION = {
  label: 'malignant',
  probabilities: { benign: 0.0123, malignant: 0.9877 },
  model: { name: 'oncoclear', version: '1' },
  predictionId: '00000000-0000-4000-8000-000000000000',
};

const CEILING_SOURCE = `
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
const prediction = ${JSON.stringify(CONSTANT_PREDICTION)};
const app = new Hono();
app.get('/ready', (c) => c.json({ status: 'ready' }));
app.post('/predict', async (c) => {
  await c.req.json();
  return c.json(prediction);
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
`;

const ceiling: ServerSpec = {
  name: 'bare Hono',
  start: (port, stdout, stderr) =>
    spawn(process.execPath, ['--input-type=module', '-e', CEILING_SOURCE], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', stdout, stderr],
    }),
};

// The second ceiling: a minimal Hono route doing OncoClear's math on the same artifact (impute,
// standardise, dot product, sigmoid, threshold, a UUID) with no validation, audit or metrics.
const MATH_CEILING_SOURCE = `
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
const artifact = JSON.parse(readFileSync(process.env.MODEL, 'utf8'));
const { fill, mean, scale } = artifact.preprocessing;
const { coefficients, intercept } = artifact.model;
const [negative, positive] = artifact.classes;
const threshold = artifact.operatingPoint?.threshold ?? 0.5;
const model = { name: artifact.name, version: '1', threshold };
const p = coefficients.length;
const app = new Hono();
app.get('/ready', (c) => c.json({ status: 'ready' }));
app.post('/predict', async (c) => {
  const { features } = await c.req.json();
  let z = intercept;
  for (let i = 0; i < p; i++) {
    const x = Number.isNaN(features[i]) ? fill[i] : features[i];
    z += coefficients[i] * ((x - mean[i]) / scale[i]);
  }
  const q = 1 / (1 + Math.exp(-z));
  return c.json({
    label: q >= threshold ? positive : negative,
    probabilities: { [negative]: 1 - q, [positive]: q },
    model,
    predictionId: randomUUID(),
  });
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
`;

function mathCeiling(model: string): ServerSpec {
  return {
    name: 'Hono, same math',
    start: (port, stdout, stderr) =>
      spawn(process.execPath, ['--input-type=module', '-e', MATH_CEILING_SOURCE], {
        cwd: ROOT,
        env: { ...process.env, PORT: String(port), MODEL: model },
        stdio: ['ignore', stdout, stderr],
      }),
  };
}

// The floor under every Node server here: node:http reading the body, parsing it and answering a
// constant, with nothing between. WORKERS > 1 runs that many processes on SO_REUSEPORT sockets, as
// `serve`'s default cluster does (the first spawns the others from BARE_SOURCE, the source itself):
// what no server built on node:http can pass on this machine.
const BARE_LOAD_SOURCE = `
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
const { createServer } = createRequire(import.meta.url)('node:http');
const body = ${JSON.stringify(JSON.stringify(CONSTANT_PREDICTION))};
const workers = Number(process.env.WORKERS);
const others = [];
for (let i = 1; i < workers; i++)
  others.push(spawn(process.execPath, ['--input-type=module', '-e', process.env.BARE_SOURCE], {
    env: { ...process.env, WORKERS: '1', REUSE_PORT: '1' },
    stdio: 'inherit',
  }));
process.once('SIGTERM', () => {
  for (const other of others) other.kill();
  process.exit(0);
});
createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method === 'POST') JSON.parse(Buffer.concat(chunks).toString());
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
}).listen({
  port: Number(process.env.PORT),
  host: '127.0.0.1',
  reusePort: workers > 1 || process.env.REUSE_PORT === '1',
});
`;

function bareLoad(workers: number): ServerSpec {
  return {
    name: workers === 1 ? 'bare node:http, a constant' : `bare node:http ×${workers}, a constant`,
    start: (port, stdout, stderr) =>
      spawn(process.execPath, ['--input-type=module', '-e', BARE_LOAD_SOURCE], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: String(port),
          WORKERS: String(workers),
          BARE_SOURCE: BARE_LOAD_SOURCE,
        },
        stdio: ['ignore', stdout, stderr],
      }),
  };
}

/** A bare node:http server answering /ready with a constant: the cold-start floor for Node. */
const bareNode: ServerSpec = {
  name: 'bare node:http',
  start: (port, stdout, stderr) =>
    spawn(process.execPath, ['--input-type=module', '-e', BARE_NODE_SOURCE], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', stdout, stderr],
    }),
};

interface PeerConfig {
  workers: number;
  handlers: 'async' | 'sync';
}

function peer(model: string, config: PeerConfig = { workers: 1, handlers: 'async' }): ServerSpec {
  return {
    name: `FastAPI ${config.handlers} def, ${config.workers} worker${config.workers > 1 ? 's' : ''}`,
    start: (port, stdout, stderr) =>
      spawn(PYTHON, uvicornArgs(port, config.workers), {
        cwd: ROOT,
        env: { ...process.env, PEER_MODEL: model, PEER_HANDLERS: config.handlers },
        stdio: ['ignore', stdout, stderr],
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// wrk

interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: string | null;
}

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(value);
  if (!match) throw new Error(`wrk latency '${value}' not understood`);
  const n = Number(match[1]);
  return { us: n / 1000, ms: n, s: n * 1000, m: n * 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
}

function wrkScript(dir: string, name: string, body: unknown): string {
  const file = join(dir, `${name}.lua`);
  // Lua long brackets: the JSON needs no escaping (it never contains "]==]").
  writeFileSync(
    file,
    [
      'wrk.method = "POST"',
      'wrk.headers["Content-Type"] = "application/json"',
      `wrk.body = [==[${JSON.stringify(body)}]==]`,
      '',
    ].join('\n'),
  );
  return file;
}

function wrk(url: string, script: string, seconds: number, opts: Options): WrkResult {
  const out = run(
    'wrk',
    [
      `-t${opts.threads}`,
      `-c${opts.connections}`,
      `-d${seconds}s`,
      '--timeout',
      '5s',
      '--latency',
      '-s',
      script,
      url,
    ],
    'wrk',
  );
  return parseWrk(out);
}

/** A background wrk flooding GET `url` (no script) until killed; its output is ignored. */
function floodWith(url: string, seconds: number, connections: number): ChildProcess {
  return track(
    spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', url], {
      stdio: 'ignore',
    }),
  );
}

function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const total = /(\d+) requests in/.exec(out);
  if (!rps || !p50 || !p99 || !total) throw new Error(`wrk output not understood:\n${out}`);
  const problems = [
    /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[0],
    /Socket errors: .*/.exec(out)?.[0],
  ].filter((p): p is string => Boolean(p));
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: toMs(p50[1]!),
    p99Ms: toMs(p99[1]!),
    requests: Number(total[1]),
    errors: problems.length > 0 ? problems.join('; ') : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface Row {
  metric: string;
  ours: string;
  peer: string;
  ratio: string;
}

interface LoadResult {
  single: WrkResult;
  batch: WrkResult | null;
  /** /predict while another wrk floods /openapi.json (null for the ceiling). */
  flooded: WrkResult | null;
  auditLines: number | null;
}

async function measureLoad(
  spec: ServerSpec,
  work: string,
  scripts: { single: string; batch: string | null },
  opts: Options,
  auditFile: string | null,
  flood = scripts.batch !== null,
): Promise<LoadResult> {
  const port = await freePort();
  const outFd = auditFile ? openSync(auditFile, 'w') : 'ignore';
  const errFd = openSync(join(work, `${spec.name.replace(/\W+/g, '-')}.stderr.log`), 'a');
  const child = track(spec.start(port, outFd, errFd));
  try {
    await waitReady(spec.name, port, child, performance.now());
    const base = `http://127.0.0.1:${port}`;
    log(`${spec.name}: /predict warm-up ${opts.warmup}s, then ${opts.duration}s`);
    wrk(`${base}/predict`, scripts.single, opts.warmup, opts);
    const single = wrk(`${base}/predict`, scripts.single, opts.duration, opts);
    let batch: WrkResult | null = null;
    if (scripts.batch) {
      log(`${spec.name}: /predict/batch (${opts.batchRows} rows) warm-up, then ${opts.duration}s`);
      wrk(`${base}/predict/batch`, scripts.batch, opts.warmup, opts);
      batch = wrk(`${base}/predict/batch`, scripts.batch, opts.duration, opts);
    }
    // The ceilings have no /openapi.json to flood; the extra configurations are /predict only.
    let flooded: WrkResult | null = null;
    if (flood) {
      log(`${spec.name}: /predict for ${opts.duration}s under a /openapi.json flood`);
      const flood = floodWith(`${base}/openapi.json`, opts.duration + 2, opts.floodConnections);
      await sleep(500); // let the flood reach full speed first
      flooded = wrk(`${base}/predict`, scripts.single, opts.duration, opts);
      flood.kill('SIGTERM');
      if (flood.exitCode === null) await new Promise((resolve) => flood.once('exit', resolve));
    }
    for (const [what, r] of [
      ['/predict', single],
      ['/predict/batch', batch],
      ['/predict under the /openapi.json flood', flooded],
    ] as const) {
      if (r?.errors) throw new Error(`${spec.name} ${what}: ${r.errors}`);
    }
    await stop(child);
    let auditLines: number | null = null;
    if (auditFile) {
      auditLines = countLines(auditFile);
    }
    return { single, batch, flooded, auditLines };
  } finally {
    await stop(child);
    if (typeof outFd === 'number') closeSync(outFd);
    closeSync(errFd);
  }
}

/** The round with the median /predict req/s, and the median batch req/s across rounds. */
function medianRound(results: LoadResult[]): LoadResult {
  const sorted = [...results].sort(
    (x, y) => x.single.requestsPerSecond - y.single.requestsPerSecond,
  );
  const middle = sorted[(sorted.length - 1) >> 1]!;
  const batches = results.map((r) => r.batch).filter((r): r is WrkResult => r !== null);
  if (batches.length === 0) return middle;
  const batch = [...batches].sort((x, y) => x.requestsPerSecond - y.requestsPerSecond)[
    (batches.length - 1) >> 1
  ]!;
  return { ...middle, batch };
}

interface DrainResult extends LoadStats {
  /** ms from SIGTERM to exit. */
  exitMs: number;
  exitCode: number | null;
}

/**
 * Keep-alive /predict load on `connections` connections, SIGTERM after a second of it, and the
 * load kept up until the server stops: requests written on an open connection that got no
 * response are lost; a refused connection (the listener closed) sent nothing. Each server as it
 * ships: OncoClear with its default drain, uvicorn with its default graceful shutdown.
 */
async function measureDrain(
  spec: ServerSpec,
  body: string,
  connections: number,
): Promise<DrainResult> {
  const port = await freePort();
  const child = track(spec.start(port, 'ignore', 'ignore', { DRAIN_MS: String(DEFAULT_DRAIN_MS) }));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  await waitReady(spec.name, port, child, performance.now());
  const load = keepAliveLoad(port, httpRequest('POST', '/predict', body), connections);
  await sleep(1000);
  const t0 = performance.now();
  child.kill('SIGTERM');
  const guard = setTimeout(() => load.stop(), 30_000);
  const stats = await load.done;
  const exitCode = await exited;
  clearTimeout(guard);
  return { ...stats, exitMs: performance.now() - t0, exitCode };
}

/** Median ms from spawn to exit of a bare interpreter: the floor under any cold start here. */
async function interpreterFloor(command: string, args: string[], runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const child = track(spawn(command, args, { stdio: 'ignore' }));
    await new Promise((resolve) => child.once('exit', resolve));
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Share of rows both servers label alike, over all of WDBC in one batch each. */
async function agreement(ours: ServerSpec, theirs: ServerSpec, rows: number[][]): Promise<number> {
  const labels: string[][] = [];
  for (const spec of [ours, theirs]) {
    const port = await freePort();
    const child = track(spec.start(port, 'ignore', 'ignore'));
    try {
      await waitReady(spec.name, port, child, performance.now());
      const response = await fetch(`http://127.0.0.1:${port}/predict/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: rows }),
      });
      const body = (await response.json()) as { predictions?: { label: string }[] };
      if (response.status !== 200 || !body.predictions) {
        throw new Error(`${spec.name} /predict/batch: HTTP ${response.status}`);
      }
      labels.push(body.predictions.map((p) => p.label));
    } finally {
      await stop(child);
    }
  }
  const [a, b] = labels as [string[], string[]];
  return a.filter((label, i) => label === b[i]).length / a.length;
}

// ---------------------------------------------------------------------------------------------
// Main

function checkTools(): void {
  const missing: string[] = [];
  if (spawnSync('wrk', ['-v']).error) missing.push('wrk (apt-get install wrk)');
  // uvloop and httptools are uvicorn's fast event loop and parser (`uvicorn[standard]`, what a
  // FastAPI deployment runs): without them uvicorn falls back to asyncio and h11 at about a third
  // of the speed, and every ratio here would flatter OncoClear.
  const py = spawnSync(PYTHON, [
    '-c',
    'import fastapi, uvicorn, sklearn, pandas, joblib, uvloop, httptools',
  ]);
  if (py.status !== 0) {
    missing.push(
      `${PYTHON} with fastapi, uvicorn (uvloop, httptools), sklearn, pandas (apt-get install python3-fastapi python3-uvicorn python3-uvloop python3-httptools python3-sklearn python3-pandas)`,
    );
  }
  if (missing.length > 0) throw new Error(`missing: ${missing.join('; ')}`);
}

async function main(): Promise<number> {
  let opts: Options | null;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench:serve: ${(error as Error).message}\n${HELP}`);
    return 2;
  }
  if (!opts) {
    process.stdout.write(HELP);
    return 0;
  }
  checkTools();
  // Containers do not set it, and on Node 20 it makes every start parse the whole CA bundle
  // (~60 ms): the servers are spawned without it.
  delete process.env.NODE_EXTRA_CA_CERTS;

  const work = mkdtempSync(join(tmpdir(), 'oncoclear-bench-serve-'));
  try {
    const loadAtStart = fmt(loadavg()[0] ?? 0, 2);
    log(`artifacts in ${work}`);
    run(process.execPath, [CLI, 'train', '--out', work], 'oncoclear train');
    const model = join(work, 'model.json');
    const peerModel = join(work, 'peer.joblib');
    run(PYTHON, [join(PEER_DIR, 'app.py'), '--train', DATA, peerModel], 'peer training');

    const rows = loadRows();
    const batchRows = Array.from({ length: opts.batchRows }, (_, i) => rows[i % rows.length]!);
    const single = wrkScript(work, 'predict', { features: rows[0] });
    const batch = wrkScript(work, 'batch', { instances: batchRows });

    // `serve --workers N` with one worker per available CPU (the default where each worker has its
    // own SO_REUSEPORT socket), and one process.
    const workers = availableParallelism();
    const ours = oncoclear(model, workers);
    const ours1 = oncoclear(model, 1);
    const theirs = peer(peerModel);
    const math = mathCeiling(model);
    const floor = bareLoad(1);
    // The cluster's floor needs a socket per process, as serve's default does.
    const floorN = workers > 1 && reusePortSupported() ? bareLoad(workers) : null;
    const auditFile = join(work, 'audit.jsonl');
    const audit1File = join(work, 'audit-1.jsonl');
    // Every server of a round, in the order they take turns. The full ones also get the batch
    // and /openapi.json flood measurements.
    const contenders: {
      spec: ServerSpec;
      full: boolean;
      audit: string | null;
    }[] = [
      { spec: ours, full: true, audit: auditFile },
      ...(workers > 1 ? [{ spec: ours1, full: true, audit: audit1File }] : []),
      { spec: math, full: false, audit: null },
      { spec: ceiling, full: false, audit: null },
      { spec: floor, full: false, audit: null },
      ...(floorN ? [{ spec: floorN, full: false, audit: null }] : []),
      { spec: theirs, full: true, audit: null },
      { spec: peer(peerModel, { workers: 1, handlers: 'sync' }), full: false, audit: null },
      { spec: peer(peerModel, { workers: 2, handlers: 'async' }), full: false, audit: null },
    ];

    const agree = await agreement(ours, theirs, rows);
    log(`labels agree on ${fmt(agree * 100, 1)}% of WDBC's ${rows.length} rows`);

    const rounds = new Map<string, LoadResult[]>(contenders.map((c) => [c.spec.name, []]));
    for (let round = 1; round <= opts.rounds; round++) {
      if (opts.rounds > 1) log(`round ${round} of ${opts.rounds}`);
      for (const { spec, full, audit } of contenders) {
        const scripts = { single, batch: full ? batch : null };
        rounds.get(spec.name)!.push(await measureLoad(spec, work, scripts, opts, audit, full));
      }
    }
    const a = medianRound(rounds.get(ours.name)!);
    const a1 = medianRound(rounds.get(ours1.name)!);
    const c = medianRound(rounds.get(ceiling.name)!);
    const m = medianRound(rounds.get(math.name)!);
    const b = medianRound(rounds.get(theirs.name)!);

    log(`drain: keep-alive load on ${opts.drainConnections} connections, SIGTERM after 1 s`);
    const drainBody = JSON.stringify({ features: rows[0] });
    const drainOurs = await measureDrain(ours, drainBody, opts.drainConnections);
    const drainPeer = await measureDrain(theirs, drainBody, opts.drainConnections);

    log(`cold start: ${opts.coldRuns} runs each, taking turns`);
    const coldSpecs = [ours, ...(workers > 1 ? [ours1] : []), theirs, bareNode];
    const cold = new Map<string, number[]>(coldSpecs.map((spec) => [spec.name, []]));
    for (let i = 0; i < opts.coldRuns; i++)
      for (const spec of coldSpecs) {
        const start = (port: number) => track(spec.start(port, 'ignore', 'ignore'));
        cold.get(spec.name)!.push(await coldStart(spec.name, start));
      }
    const coldOurs = median(cold.get(ours.name)!);
    const coldPeer = median(cold.get(theirs.name)!);
    const coldBare = cold.get(bareNode.name)!;
    const coldRatio = (name: string) => median(ratios(cold.get(name)!, coldBare));
    const floorNode = await interpreterFloor(process.execPath, ['-e', '0'], opts.coldRuns);
    const floorPython = await interpreterFloor(PYTHON, ['-c', 'pass'], opts.coldRuns);

    // Every server's /predict: median round, min–max over rounds, and ratios paired by round.
    const rps = (name: string) => rounds.get(name)!.map((r) => r.single.requestsPerSecond);
    const paired = (x: string, y: string) => median(ratios(rps(x), rps(y)));
    const loadHeaders = [
      'server',
      '/predict req/s (median)',
      'min–max',
      'p50',
      'p99',
      `÷ ${theirs.name}`,
      `÷ ${math.name}`,
    ];
    const loadCells = contenders.map(({ spec }) => {
      const r = medianRound(rounds.get(spec.name)!);
      const all = rps(spec.name);
      return [
        spec.name,
        fmt(r.single.requestsPerSecond),
        fmtRange(all),
        `${fmt(r.single.p50Ms, 2)} ms`,
        `${fmt(r.single.p99Ms, 2)} ms`,
        `${fmt(paired(spec.name, theirs.name), 2)}×`,
        `${fmt(paired(spec.name, math.name), 2)}×`,
      ];
    });
    const coldHeaders = ['server', 'cold start (median)', 'min–max', '÷ bare node:http (paired)'];
    const coldCells = coldSpecs.map((spec) => {
      const t = cold.get(spec.name)!;
      return [
        spec.name,
        `${fmt(median(t))} ms`,
        `${fmtRange(t)} ms`,
        `${fmt(coldRatio(spec.name), 2)}×`,
      ];
    });

    const ratio = (x: number, y: number, digits = 1) => `${fmt(x / y, digits)}×`;
    const batchOurs = a.batch!.requestsPerSecond * opts.batchRows;
    const batchPeer = b.batch!.requestsPerSecond * opts.batchRows;
    const table: Row[] = [
      {
        metric: '/predict req/s',
        ours: fmt(a.single.requestsPerSecond),
        peer: fmt(b.single.requestsPerSecond),
        ratio: ratio(a.single.requestsPerSecond, b.single.requestsPerSecond),
      },
      {
        metric: '/predict p50 latency',
        ours: `${fmt(a.single.p50Ms, 2)} ms`,
        peer: `${fmt(b.single.p50Ms, 2)} ms`,
        ratio: ratio(b.single.p50Ms, a.single.p50Ms),
      },
      {
        metric: '/predict p99 latency',
        ours: `${fmt(a.single.p99Ms, 2)} ms`,
        peer: `${fmt(b.single.p99Ms, 2)} ms`,
        ratio: ratio(b.single.p99Ms, a.single.p99Ms),
      },
      {
        metric: `batch rows/s (${opts.batchRows}-row requests)`,
        ours: fmt(batchOurs),
        peer: fmt(batchPeer),
        ratio: ratio(batchOurs, batchPeer),
      },
      {
        metric: `/predict req/s under a /openapi.json flood (${opts.floodConnections} conns)`,
        ours: fmt(a.flooded!.requestsPerSecond),
        peer: fmt(b.flooded!.requestsPerSecond),
        ratio: ratio(a.flooded!.requestsPerSecond, b.flooded!.requestsPerSecond),
      },
      {
        metric: '/predict p99 under the /openapi.json flood',
        ours: `${fmt(a.flooded!.p99Ms, 2)} ms`,
        peer: `${fmt(b.flooded!.p99Ms, 2)} ms`,
        ratio: ratio(b.flooded!.p99Ms, a.flooded!.p99Ms),
      },
      {
        metric: `requests lost at SIGTERM (${opts.drainConnections} keep-alive conns)`,
        ours: `${fmt(drainOurs.failed)} of ${fmt(drainOurs.answered + drainOurs.failed)}`,
        peer: `${fmt(drainPeer.failed)} of ${fmt(drainPeer.answered + drainPeer.failed)}`,
        ratio:
          drainOurs.failed === 0
            ? drainPeer.failed === 0
              ? 'both lossless'
              : 'none lost'
            : `${fmt(drainOurs.failed / Math.max(drainPeer.failed, 1), 1)}×`,
      },
      {
        metric: 'SIGTERM to exit (exit code)',
        ours: `${fmt(drainOurs.exitMs)} ms (${drainOurs.exitCode})`,
        peer: `${fmt(drainPeer.exitMs)} ms (${drainPeer.exitCode})`,
        ratio: '',
      },
      {
        metric: 'cold start to /ready 200 (median)',
        ours: `${fmt(coldOurs)} ms`,
        peer: `${fmt(coldPeer)} ms`,
        ratio: ratio(coldPeer, coldOurs),
      },
      {
        metric: 'floor: bare node / python3 start→exit',
        ours: `${fmt(floorNode)} ms`,
        peer: `${fmt(floorPython)} ms`,
        ratio: '',
      },
      {
        metric: 'ceiling: Hono doing the same math, /predict req/s',
        ours: fmt(m.single.requestsPerSecond),
        peer: '',
        ratio: `oncoclear --workers 1 at ${fmt(paired(ours1.name, math.name) * 100)}%`,
      },
      {
        metric: 'ceiling: bare Hono /predict req/s',
        ours: fmt(c.single.requestsPerSecond),
        peer: '',
        ratio: `oncoclear --workers 1 at ${fmt(paired(ours1.name, ceiling.name) * 100)}%`,
      },
      ...[floor, ...(floorN ? [floorN] : [])].map((spec) => ({
        metric: `floor: ${spec.name}, req/s`,
        ours: fmt(medianRound(rounds.get(spec.name)!).single.requestsPerSecond),
        peer: '',
        // How far the speed-up goal is from what no Node server can pass here.
        ratio: `${fmt(paired(spec.name, theirs.name), 1)}× the peer; oncoclear --workers ${spec === floor ? 1 : workers} at ${fmt(paired(spec === floor ? ours1.name : ours.name, spec.name) * 100)}%`,
      })),
    ];

    const speedup = paired(ours.name, theirs.name);
    const share = paired(ours1.name, math.name);
    const coldVsBare = coldRatio(ours.name);
    const goals = [
      [
        `serve --workers ${workers} /predict ≥ ${GOALS.speedup}× ${theirs.name} req/s`,
        speedup >= GOALS.speedup,
        `${fmt(speedup, 1)}×`,
      ],
      [
        `serve --workers ${workers} /predict p99 ≤ ${GOALS.p99Ms} ms`,
        a.single.p99Ms <= GOALS.p99Ms,
        `${fmt(a.single.p99Ms, 2)} ms`,
      ],
      [
        `one worker ≥ ${GOALS.ceilingShare * 100}% of ${math.name}`,
        share >= GOALS.ceilingShare,
        `${fmt(share * 100)}%`,
      ],
      [
        'no request lost at SIGTERM, exit 0',
        drainOurs.failed === 0 && drainOurs.exitCode === 0,
        `${fmt(drainOurs.failed)} lost, exit ${drainOurs.exitCode}`,
      ],
      [
        `cold start ≤ ${GOALS.coldStartRatio}× a bare node:http server`,
        coldVsBare <= GOALS.coldStartRatio,
        `${fmt(coldVsBare, 2)}× (--workers 1: ${fmt(coldRatio(ours1.name), 2)}×)`,
      ],
    ] as const;

    const headers = ['metric', 'oncoclear', 'FastAPI peer', 'ratio'];
    const cells = table.map((r) => [r.metric, r.ours, r.peer, r.ratio]);
    const versusTable = markdownTable(headers, cells);
    const loadTable = markdownTable(loadHeaders, loadCells);
    const coldTable = markdownTable(coldHeaders, coldCells);
    const goalLines = goals.map(
      ([goal, met, value]) => `- ${met ? 'met' : 'MISSED'}: ${goal} (${value})`,
    );
    const auditNote =
      a.auditLines === null
        ? ''
        : `${fmt(a.auditLines)} audit lines (one per prediction; a batch request makes ${opts.batchRows}) for ${fmt(a.single.requests)} /predict and ${fmt(a.batch!.requests)} batch requests measured, plus warm-ups${a1 !== a && a1.auditLines !== null ? ` (--workers 1: ${fmt(a1.auditLines)} for ${fmt(a1.single.requests)} and ${fmt(a1.batch!.requests)})` : ''}`;
    const setup = [
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, loopback; 1-minute load average ${loadAtStart} when the run began (other work on the machine skews every number).`,
      `wrk ${opts.threads} threads, ${opts.connections} connections, ${opts.duration} s after a ${opts.warmup} s warm-up, on the same cores as the servers; ${opts.rounds} round(s), the servers taking turns, median round reported.`,
      `Ratio: oncoclear ÷ peer for throughput, peer ÷ oncoclear for latency and cold start (higher is better for oncoclear). In the per-server table each ratio is the median over rounds of that round's ratio (paired: both servers measured in the same round).`,
      `Peer: FastAPI + uvicorn, uvloop + httptools, scikit-learn pipeline loaded with joblib; no audit log. Its best configuration here is 1 worker with async handlers (the comparison column); sync def handlers and --workers 2 are measured beside it.`,
      `OncoClear: \`serve --workers ${workers}\` (one server process per available CPU: the default on Node 22.12+ on Linux) and \`serve --workers 1\` (one process, no cluster: the default on older Node); Node ${process.versions.node}; stdout (audit) to a file, stderr to a file; ${auditNote}.`,
      `Ceilings: a minimal Hono route on @hono/node-server doing the same math on the same artifact (impute, standardise, dot product, sigmoid, a UUID; no validation, audit or metrics), and a bare Hono POST route that parses the body and returns a constant JSON prediction; one process each.`,
      `Floor: node:http alone, reading and parsing the body and answering the same constant: one process${floorN ? `, and ${workers} processes on SO_REUSEPORT sockets as serve's default runs` : ''}. No server built on node:http passes it on this machine.`,
      `Flood: a second wrk (1 thread, ${opts.floodConnections} connections) GETs /openapi.json throughout the /predict measurement.`,
      `Drain: ${opts.drainConnections} keep-alive connections POST /predict back to back (a Node client on raw sockets, tests/service/serve-process.ts); SIGTERM after 1 s; a request written on an open connection without a response is lost, a refused connection sent nothing. OncoClear drains ${fmt(DEFAULT_DRAIN_MS / 1000, 1)} s by default (readiness 503, still serving), uvicorn shuts down at once. Answered: ours ${fmt(drainOurs.answered)}, peer ${fmt(drainPeer.answered)}; refused connects: ours ${fmt(drainOurs.refused)}, peer ${fmt(drainPeer.refused)}.`,
      `Cold start: spawn to the first 200 from GET /ready, polled every ~1 ms, median of ${opts.coldRuns}, the servers taking turns; the ratio to a bare node:http server is paired by turn (\`npm run bench:cold\` does only this, without NODE_EXTRA_CA_CERTS).`,
      `Both models label WDBC's ${rows.length} rows alike on ${fmt(agree * 100, 1)}% of them.`,
    ];

    process.stdout.write(
      `\n${loadTable}\n\n${versusTable}\n\n${coldTable}\n\nGoals:\n${goalLines.join('\n')}\n\n`,
    );
    process.stdout.write(`${setup.map((s) => `- ${s}`).join('\n')}\n`);
    mkdirSync(RESULTS, { recursive: true });
    const md = [
      '# Serving benchmark (`npm run bench:serve`)',
      '',
      `Run at ${new Date().toISOString()}.`,
      '',
      '## /predict, every server',
      '',
      loadTable,
      '',
      `## ${ours.name} against ${theirs.name}`,
      '',
      versusTable,
      '',
      '## Cold start',
      '',
      coldTable,
      '',
      '## Goals',
      '',
      ...goalLines,
      '',
      '## Setup',
      '',
      ...setup.map((s) => `- ${s}`),
      '',
    ].join('\n');
    writeFileSync(join(RESULTS, 'serve-latest.md'), md);
    log(`wrote ${join(RESULTS, 'serve-latest.md')}`);
    return 0;
  } finally {
    killAll();
    rmSync(work, { recursive: true, force: true });
  }
}

process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    killAll();
    process.stderr.write(`bench:serve: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);

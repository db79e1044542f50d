// What the benchmark scripts share: paths, progress on stderr, number and table formatting,
// medians and paired ratios, a free port, starting a server and waiting for /ready, and how the
// FastAPI peer and the bare node:http floor are started.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RESULTS = join(ROOT, 'bench', 'results');
export const CLI = join(ROOT, 'bin', 'oncoclear.js');
export const DATA = join(ROOT, 'data', 'wdbc.csv');

/** Progress goes to stderr, so stdout holds only the tables. */
export const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a command in ROOT and returns its stdout, failing loudly with its stderr. */
export function run(command: string, args: string[], what: string): string {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${what} failed (${command} ${args.join(' ')}):\n${result.stderr}`);
  }
  return result.stdout;
}

/** A command-line option that must be a whole number ≥ 1; `fallback` when it is not given. */
export function positive(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} '${value}': expected an integer ≥ 1`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Numbers and tables

/** `n` with thousands separators and exactly `digits` decimals: 12,345 or 2.31. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** `min–max` of some values, each as `fmt` writes it. */
export function fmtRange(values: number[], digits = 0): string {
  return `${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** xs[i] ÷ ys[i] for each i: ratios paired by run, so both sides saw about the same load. */
export function ratios(xs: number[], ys: number[]): number[] {
  return xs.map((x, i) => x / ys[i]!);
}

/** A Markdown table with every column padded and left-aligned. */
export function markdownTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(headers),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

/**
 * A Markdown table of numbers: padded columns, the first `textColumns` left-aligned and the rest
 * right-aligned (`---:`), each at least 3 wide.
 */
export function numberTable(headers: string[], rows: string[][], textColumns = 1): string {
  const widths = headers.map((h, c) => Math.max(h.length, 3, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, c) => (c < textColumns ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c < textColumns ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Servers

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls GET /ready every millisecond or so; resolves with ms from `t0` to the first 200. `name`
 * is for the errors: the server exited, or no 200 within `limitMs`.
 */
export async function waitReady(
  name: string,
  port: number,
  child: ChildProcess,
  t0: number,
  limitMs = 30_000,
): Promise<number> {
  const url = `http://127.0.0.1:${port}/ready`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - t0;
    } catch {
      // not listening yet
    }
    if (performance.now() - t0 > limitMs)
      throw new Error(`${name}: no 200 from ${url} in ${limitMs} ms`);
    await sleep(1);
  }
}

/** Sends `signal` and waits for the exit, with SIGKILL after 5 s. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** ms from `start(port)` spawning a server to its first 200 from /ready; then `stop` with `signal`. */
export async function coldStart(
  name: string,
  start: (port: number) => ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = start(port);
  try {
    return await waitReady(name, port, child, t0);
  } finally {
    await stop(child, signal);
  }
}

// ---------------------------------------------------------------------------------------------
// The peer and the floor

export const PYTHON = '/usr/bin/python3';
export const PEER_DIR = fileURLToPath(new URL('./serve-peer', import.meta.url));

/** The FastAPI peer's command line after PYTHON: uvicorn serving bench/serve-peer/app.py. */
export function uvicornArgs(port: number, workers: number): string[] {
  return [
    '-m',
    'uvicorn',
    'app:app',
    '--app-dir',
    PEER_DIR,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    String(workers),
    '--no-access-log',
    '--log-level',
    'warning',
  ];
}

/**
 * The floor for any Node server's cold start: `node --input-type=module -e BARE_NODE_SOURCE`
 * answers every request on $PORT with a constant readiness body. It takes node:http by require()
 * as the service does: from Node 22 on, importing it as an ES module also loads undici, http2 and
 * worker_threads (~20 ms on Node 24), which a floor should not pay.
 */
export const BARE_NODE_SOURCE = `import { createRequire } from 'node:module';
const { createServer } = createRequire(import.meta.url)('node:http');
createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"ready"}');
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

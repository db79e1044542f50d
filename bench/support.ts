// What the benchmark scripts share: progress on stderr, medians, a free port, and how the FastAPI
// peer and the bare node:http floor are started.
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Progress goes to stderr, so stdout holds only the tables. */
export const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

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

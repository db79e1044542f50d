// Helpers for tests that run the built service as a process and talk to it over real sockets.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { resolve } from 'node:path';

export interface ServeProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  out(): string;
  err(): string;
}

/**
 * Runs `node bin/oncoclear.js …args` (dist/ is built by the vitest global setup). With
 * `openFileLimit`, the process starts under that `ulimit -n`, as a container with a low limit.
 * One server process unless the test asks for more (`--workers`, or WORKERS in `env`): serve's
 * default is one per CPU on Node 22.12+, which would make a test's shape depend on the machine's
 * cores (options.test.ts checks the default's rule, and test:image the default in real containers).
 */
export function runService(
  args: string[],
  env: Record<string, string> = {},
  options: { openFileLimit?: number; cwd?: string; launch?: string[] } = {},
): ServeProcess {
  // `launch`: what runs in place of `node bin/oncoclear.js`, e.g. [node, '--snapshot-blob', blob].
  const node = [...(options.launch ?? [process.execPath, resolve('bin/oncoclear.js')]), ...args];
  const [command, argv] = options.openFileLimit
    ? [
        'bash',
        ['-c', `ulimit -n ${options.openFileLimit} && exec "$@"`, 'bash', ...node] as string[],
      ]
    : [node[0]!, node.slice(1)];
  const child = spawn(command, argv, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { ...process.env, WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** The JSON log lines with this `msg`. */
export function logLines(p: ServeProcess, msg: string): Record<string, unknown>[] {
  return p
    .err()
    .split('\n')
    .filter((l) => l.includes(`"msg":${JSON.stringify(msg)}`))
    .map((l) => JSON.parse(l));
}

/** Resolves once `check` holds, polling; the test's own timeout bounds the wait. */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

/** Waits for the `listening` log line and returns it. */
export async function listening(p: ServeProcess): Promise<Record<string, unknown>> {
  let line: Record<string, unknown> | undefined;
  await until(() => {
    if (p.child.exitCode !== null) throw new Error(`server exited; stderr: ${p.err()}`);
    line = logLines(p, 'listening')[0];
    return line !== undefined;
  });
  return line!;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What a client can compare of two answers: status, headers (in wire order) but the date, body. */
export function comparable({ status, headers, body }: RawResponse) {
  const { date: _date, ...rest } = headers;
  return { status, headers: rest, body };
}

/** An in-process node:http server for `listener` on a free loopback port. */
export async function listenOnLoopback(
  listener: RequestListener,
): Promise<{ server: Server; port: number }> {
  const server = createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Parses one HTTP/1.1 response at the start of `buf`; null while incomplete. */
function parseResponse(buf: Buffer): { response: RawResponse; length: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const status = Number(statusLine!.split(' ')[1]);
  let bodyStart = end + 4;
  if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', bodyStart);
      if (lineEnd === -1) return null;
      const size = Number.parseInt(buf.subarray(bodyStart, lineEnd).toString(), 16);
      if (buf.length < lineEnd + 2 + size + 2) return null;
      if (size === 0)
        return {
          response: { status, headers, body: Buffer.concat(parts).toString() },
          length: lineEnd + 4,
        };
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      bodyStart = lineEnd + 2 + size + 2;
    }
  }
  const length = Number(headers['content-length'] ?? 0);
  if (buf.length < bodyStart + length) return null;
  return {
    response: { status, headers, body: buf.subarray(bodyStart, bodyStart + length).toString() },
    length: bodyStart + length,
  };
}

/** An HTTP/1.1 request's bytes. */
export function httpRequest(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Buffer {
  const all: Record<string, string> = { host: 'localhost', ...headers };
  if (body !== undefined) {
    all['content-type'] ??= 'application/json';
    all['content-length'] ??= String(Buffer.byteLength(body));
  }
  const head = Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return Buffer.from(`${method} ${path} HTTP/1.1\r\n${head}\r\n${body ?? ''}`);
}

/** One request on a fresh connection; rejects when the connection fails or closes first. */
export function requestOnce(port: number, bytes: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const parsed = parseResponse(buf);
      if (parsed) {
        socket.destroy();
        resolve(parsed.response);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('connection closed before a response')));
  });
}

/** Opens a connection and resolves once it is established (or rejects). */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

export interface LoadStats {
  /** Requests answered with a complete response. */
  answered: number;
  /** Requests written on an established connection that got no complete response. */
  failed: number;
  /** Connection attempts refused: the listener was closed, so nothing was sent. */
  refused: number;
  /** Responses by status. */
  statuses: Record<number, number>;
  /** Responses that carried `Connection: close`. */
  closes: number;
}

/**
 * A small wrk: `connections` keep-alive connections each sending `request` back to back. A
 * response with `Connection: close` makes the connection reconnect; a refused connection ends its
 * worker. Runs until every worker has ended or `stop()` is called.
 */
export function keepAliveLoad(port: number, request: Buffer, connections: number) {
  const stats: LoadStats = { answered: 0, failed: 0, refused: 0, statuses: {}, closes: 0 };
  let stopped = false;
  const sockets = new Set<Socket>();
  const worker = async () => {
    while (!stopped) {
      let socket: Socket;
      try {
        socket = await openSocket(port);
      } catch {
        stats.refused++;
        return;
      }
      sockets.add(socket);
      const reconnect = await new Promise<boolean>((resolve) => {
        let buf = Buffer.alloc(0);
        let outstanding = false;
        const send = () => {
          if (stopped) {
            socket.destroy();
            return resolve(false);
          }
          outstanding = true;
          socket.write(request);
        };
        socket.on('data', (d) => {
          buf = Buffer.concat([buf, d]);
          for (let parsed = parseResponse(buf); parsed; parsed = parseResponse(buf)) {
            buf = buf.subarray(parsed.length);
            outstanding = false;
            stats.answered++;
            stats.statuses[parsed.response.status] =
              (stats.statuses[parsed.response.status] ?? 0) + 1;
            if (parsed.response.headers.connection === 'close') {
              stats.closes++;
              socket.destroy();
              return resolve(true);
            }
            send();
          }
        });
        socket.on('error', () => {});
        socket.on('close', () => {
          if (outstanding && !stopped) stats.failed++;
          outstanding = false;
          resolve(!stopped);
        });
        send();
      });
      sockets.delete(socket);
      if (!reconnect) return;
    }
  };
  const done = Promise.all(Array.from({ length: connections }, worker)).then(() => stats);
  return {
    stats,
    done,
    stop() {
      stopped = true;
      for (const s of sockets) s.destroy();
    },
  };
}

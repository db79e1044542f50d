import type * as Http from 'node:http';
import type { RequestListener, Server } from 'node:http';
import { createRequire } from 'node:module';
import { type AddressInfo, Server as NetServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from './log.js';
import {
  type ConnectionGuard,
  createConnectionGuard,
  PROBE_RESERVE,
} from './node/connection-guard.js';
import type { ConnectionLimits } from './options.js';

// node:http by require(), not import: from Node 22 on, importing it as an ES module reads every
// export to build the namespace, and its lazy WebSocket and CloseEvent load undici, http2 and
// worker_threads with them (20 ms of every start on Node 24, against 3 ms for require()). And on
// first use, not at import: a V8 startup snapshot (service/snapshot.ts) cannot hold node:http.
let http: typeof Http | undefined;
function httpModule(): typeof Http {
  http ??= createRequire(import.meta.url)('node:http') as typeof Http;
  return http;
}

/** Anything with a fetch handler, e.g. the app from createApp. */
export interface Fetchable {
  fetch: (request: Request, ...rest: never[]) => Response | Promise<Response>;
}

export interface Listening {
  server: Server;
  port: number;
  /** The addresses actually bound: every interface's address when bound to 0.0.0.0 or ::. */
  addresses: string[];
  guard: ConnectionGuard;
}

/**
 * How often Node enforces headersTimeout and requestTimeout (its default is 30 s, which would
 * let a 10 s header timeout run to 40 s). One pass walks the open connections: cheap.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * The node:http listener of a fetch app (@hono/node-server's). Loaded on first use: importing
 * @hono/node-server touches the global Request and Response, which loads Node's undici, and the
 * start path (service/start-app.ts) has no use for it.
 */
export async function fetchListener(app: Fetchable): Promise<RequestListener> {
  const { getRequestListener } = await import('@hono/node-server');
  return getRequestListener(app.fetch as never) as never;
}

/**
 * Starts an HTTP server for `listener` and resolves once it is listening. The server enforces the
 * header, request and keep-alive timeouts and the connection cap of `limits`.
 */
export function listen(
  listener: RequestListener,
  options: { port: number; host: string; limits: ConnectionLimits; reusePort?: boolean },
): Promise<Listening> {
  const { limits } = options;
  const guard = createConnectionGuard(limits.maxConnections);
  const server = httpModule().createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    guard.wrap(listener),
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // A backstop under the guard: past the cap and a full probe reserve Node refuses at accept.
  server.maxConnections = limits.maxConnections + PROBE_RESERVE + 1;
  guard.attach(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const address = options.reusePort
      ? // A cluster worker's own socket on the shared port (the kernel balances the sockets);
        // exclusive, so node:cluster does not route the listen through the primary.
        { port: options.port, host: options.host, reusePort: true, exclusive: true }
      : { port: options.port, host: options.host };
    server.listen(address, () => {
      server.off('error', reject);
      const info = server.address() as AddressInfo;
      resolve({ server, port: info.port, addresses: boundAddresses(info), guard });
    });
  });
}

/** `host:port` for each address a listener serves (brackets around IPv6). */
export function boundAddresses(
  info: AddressInfo,
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): string[] {
  const show = (address: string) =>
    address.includes(':') ? `[${address}]:${info.port}` : `${address}:${info.port}`;
  const any4 = info.address === '0.0.0.0';
  const any6 = info.address === '::';
  if (!any4 && !any6) return [show(info.address)];
  // On Linux `::` also accepts IPv4 (dual stack), so list both families for it.
  const all = Object.values(interfaces)
    .flat()
    .filter((i): i is NonNullable<typeof i> => Boolean(i))
    .filter((i) => any6 || i.family === 'IPv4')
    .map((i) => show(i.address));
  return all.length > 0 ? all : [show(info.address)];
}

export interface ShutdownOptions {
  logger: Logger;
  guard: ConnectionGuard;
  /** Called first: flip readiness, stop watching files. */
  onDrain: () => void;
  /** Called once every in-flight request has finished: flush the audit log. */
  onClosed: () => void;
  /** After SIGTERM, keep serving this long (readiness failing) before closing the listener. */
  drainMs: number;
  /**
   * After the listener closes, an idle keep-alive connection is closed once it has been idle this
   * long: a client may have just sent a request on it, and closing under that request would lose it.
   */
  idleGraceMs?: number;
  /** Give up waiting for slow requests this long after the listener closed; drop their connections. */
  timeoutMs?: number;
  exit?: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
  /**
   * Where the signals come from (default: the process's `signals`). A cluster worker takes them
   * from its primary (service/node/cluster.ts). Returns the unsubscribe function.
   */
  subscribe?: (handler: (signal: NodeJS.Signals) => void) => () => void;
  /**
   * Called once the listener has stopped accepting; `finish` then tells the open connections to go
   * (default: at once). A cluster worker calls it when every worker's listener is closed: a client
   * told to go reconnects at once, and a listener still open elsewhere would queue that connection
   * and reset it when it closes in turn, with the request already written.
   */
  afterListenerClosed?: (finish: () => void) => void;
}

/**
 * Graceful shutdown in the order Kubernetes needs. On SIGTERM readiness fails at once while the
 * server keeps serving for `drainMs` (endpoints controllers, kube-proxies and ingresses take that
 * long to stop sending traffic). Then the listener closes, every response from then on carries
 * `Connection: close`, idle connections are closed once past `idleGraceMs`, and when the last
 * connection is gone the audit log is flushed and the process exits 0 (a cluster's workers close
 * their listeners first, all of them, then their connections: `afterListenerClosed`). SIGINT
 * (Ctrl-C) skips the drain; a second signal drops everything at once.
 */
export function installShutdown(server: Server, options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const idleGraceMs = options.idleGraceMs ?? 500;
  const { guard, logger } = options;
  let stopping = false;
  let drainTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let idle: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const finish = () => {
    if (closed) return; // every connection went before the cluster's word came
    logger.log({
      level: 'info',
      msg: 'listener closed; finishing in-flight requests',
      ...guard.counts(),
    });
    guard.closeAfterResponses();
    idle = setInterval(() => guard.closeIdle(idleGraceMs), 25);
  };
  const close = () => {
    // From the listener's close, whether or not the cluster's word to finish has come.
    deadline = setTimeout(() => {
      logger.log({
        level: 'warn',
        msg: 'shutdown deadline passed; closing connections',
        ...guard.counts(),
      });
      server.closeAllConnections();
    }, options.timeoutMs ?? 10_000);
    // `Server.prototype.close` would also close idle connections at once, under requests that may
    // be on the wire; net's close only stops accepting, and `finish` does the rest.
    NetServer.prototype.close.call(server, () => {
      closed = true;
      clearInterval(idle);
      clearTimeout(deadline);
      options.onClosed();
      logger.log({ level: 'info', msg: 'stopped' });
      exit(0);
    });
    if (options.afterListenerClosed) options.afterListenerClosed(finish);
    else finish();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (drainTimer) {
        clearTimeout(drainTimer);
        drainTimer = undefined;
        close();
      }
      server.closeAllConnections();
      return;
    }
    stopping = true;
    const drainMs = signal === 'SIGINT' ? 0 : options.drainMs;
    logger.log({
      level: 'info',
      msg: 'shutting down: readiness fails; serving on while the endpoint is removed',
      signal,
      drainMs,
    });
    options.onDrain();
    drainTimer = setTimeout(() => {
      drainTimer = undefined;
      close();
    }, drainMs);
  };
  if (options.subscribe) return options.subscribe(onSignal);
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}

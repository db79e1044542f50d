import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Logger } from './log.js';

/** Anything with a fetch handler, e.g. the app from createApp. */
export interface Fetchable {
  fetch: (request: Request, ...rest: never[]) => Response | Promise<Response>;
}

/** Starts an HTTP server for the app and resolves once it is listening. */
export function listen(
  app: Fetchable,
  options: { port: number; host: string },
): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch as never, port: options.port, hostname: options.host },
      (info: AddressInfo) => resolve({ server, port: info.port }),
    ) as Server;
    server.once('error', reject);
  });
}

export interface ShutdownOptions {
  logger: Logger;
  /** Called first: flip readiness, stop watching files. */
  onDrain: () => void;
  /** Called once every in-flight request has finished: flush the audit log. */
  onClosed: () => void;
  /** Give up waiting for slow requests after this long and drop their connections. */
  timeoutMs?: number;
  exit?: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
}

/**
 * On SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, then exit 0.
 * `server.close()` waits for open connections, so keep-alive connections are closed as soon as
 * they go idle (polled, since a request may finish at any moment) and a deadline bounds the wait.
 * A second signal drops everything at once.
 */
export function installShutdown(server: Server, options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      server.closeAllConnections();
      return;
    }
    stopping = true;
    options.logger.log({
      level: 'info',
      msg: 'shutting down: finishing in-flight requests',
      signal,
    });
    options.onDrain();
    const idle = setInterval(() => server.closeIdleConnections(), 25);
    const deadline = setTimeout(() => {
      options.logger.log({ level: 'warn', msg: 'shutdown deadline passed; closing connections' });
      server.closeAllConnections();
    }, options.timeoutMs ?? 10_000);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(deadline);
      options.onClosed();
      options.logger.log({ level: 'info', msg: 'stopped' });
      exit(0);
    });
    server.closeIdleConnections();
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}

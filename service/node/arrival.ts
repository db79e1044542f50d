import type { IncomingMessage } from 'node:http';

// When a request reached the server, for the requests a node:http listener reads or holds before
// the documented app sees them (service/start-app.ts while the app loads, and
// service/node/fast-predict.ts, which reads the body first). The app's request metrics and audit
// latency then run from here, as they would had the app had the request from the start.
// A symbol-keyed property rather than a WeakMap: it is set on every /predict, and a WeakMap entry
// cost ten times as much (0.3 µs).
const ARRIVED = Symbol('oncoclear.arrivedAt');

type Marked = IncomingMessage & { [ARRIVED]?: number };

/** Records `at` (the deps clock's monotonic ms) as the request's arrival, unless one is set. */
export function markArrival(req: IncomingMessage, at: number): void {
  (req as Marked)[ARRIVED] ??= at;
}

/** The arrival a listener recorded, if any. */
export function arrivalOf(req: IncomingMessage | undefined): number | undefined {
  return (req as Marked | undefined)?.[ARRIVED];
}

/**
 * Whether the request has exactly one Content-Type header. Node keeps only the first of several
 * in `headers`; @hono/node-server joins them all and so refuses the result. (Counted in
 * rawHeaders: `headersDistinct` builds every header's list, 0.7 µs a request.)
 */
export function hasOneContentType(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 12 && name.toLowerCase() === 'content-type') count++;
  }
  return count === 1;
}

/**
 * The Host values @hono/node-server accepts: its fast check (`reValidHost`) takes a name of these
 * characters with a port of 1000–59999 as it is, and parses any other Host as a URL, keeping it
 * when that works, so the rest of the ports (a kernel-chosen one is often 60000 or more) pass
 * too. Anything else (upper case, IPv6, a space, no Host) a node:http listener hands on to it.
 */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(\d{1,5}))?$/;

/** Whether the documented app would take this request's Host. */
export function hasPlainHost(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (host === undefined) return false;
  const match = PLAIN_HOST.exec(host);
  return match !== null && (match[1] === undefined || Number(match[1]) <= 65535);
}

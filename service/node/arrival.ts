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

/** @hono/node-server's `reValidHost`: a Host it takes as it is, without parsing. */
const FAST_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;

/**
 * Whether @hono/node-server would take this request's Host (its `buildUrl`): as it is when it
 * passes its fast check; otherwise parsed as a URL, and kept only when parsing leaves the name as
 * it was (so `127.1:80`, which parses to 127.0.0.1, is its 400). A node:http listener answering
 * in its place hands on any request this refuses. Only uncommon Hosts, e.g. a kernel-chosen port
 * of 60000 or more, pay for the parse.
 */
export function hasPlainHost(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (!host) return false;
  if (FAST_HOST.test(host)) return true;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    return false; // not a URL's host: @hono/node-server's 400
  }
  const name = host.includes(':') ? host.replace(/:\d+$/, '') : host;
  return hostname.length === host.length || hostname === name.toLowerCase();
}

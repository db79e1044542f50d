import type { IncomingMessage } from 'node:http';

// When a request reached the server, for the requests a node:http listener reads or holds before
// the documented app sees them (service/start-app.ts while the app loads, and
// service/node/fast-predict.ts, which reads the body first). The app's request metrics and audit
// latency then run from here, as they would had the app had the request from the start.
const arrivals = new WeakMap<IncomingMessage, number>();

/** Records `at` (the deps clock's monotonic ms) as the request's arrival, unless one is set. */
export function markArrival(req: IncomingMessage, at: number): void {
  if (!arrivals.has(req)) arrivals.set(req, at);
}

/** The arrival a listener recorded, if any. */
export function arrivalOf(req: IncomingMessage | undefined): number | undefined {
  return req ? arrivals.get(req) : undefined;
}

/**
 * The Host values @hono/node-server takes as they are (its `reValidHost`); any other Host it parses
 * as a URL or refuses with 400, so a node:http listener answering for it hands such a request on.
 */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;

/** Whether the documented app would take this request's Host without a second look. */
export function hasPlainHost(req: IncomingMessage): boolean {
  const host = req.headers.host;
  return host !== undefined && PLAIN_HOST.test(host);
}

import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Clock } from '../clock.js';
import { type ServiceMetrics, trackRequest } from '../metrics.js';
import { arrivalOf } from '../node/arrival.js';

/** Variables this middleware puts on the context. */
export interface RequestTimingVariables {
  /** Monotonic ms when the request entered the app; audit latency is measured from here. */
  startedAt: number;
}

/**
 * The matched route pattern (e.g. `/v2/models/:name/infer`), never the raw path, so label
 * cardinality stays bounded whatever clients send. Middleware is registered for every method
 * ('ALL'), so the last non-ALL match is the route handler; no match is `unmatched`.
 */
function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]!;
    if (r.method !== 'ALL') return r.path;
  }
  return 'unmatched';
}

/**
 * Times every request and records it by method, route pattern and status (499 when the client
 * hung up first; see errors.ts), and keeps the in-flight gauge.
 */
export const requestMetrics = (opts: { metrics: ServiceMetrics; clock: Clock }) =>
  async function requestMetrics(c, next) {
    // From its arrival when a node:http listener held or read it first (service/node/arrival.ts).
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const started = arrivalOf(incoming) ?? opts.clock.monotonic();
    c.set('startedAt', started);
    const request = trackRequest(opts.metrics, opts.clock, started);
    try {
      await next();
    } catch (error) {
      request.handOff();
      throw error;
    }
    request.done(c.req.method, routeLabel(c), c.res.status);
  } satisfies MiddlewareHandler<{ Variables: RequestTimingVariables }>;

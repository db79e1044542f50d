// What `serve` answers while the documented app (service/app.ts: the zod-openapi routes, /docs,
// /openapi.json, /model, OIP inference, the validation that words errors) is still loading.
// Building that app is most of a cold start (issue 15, goal 2: evaluating zod-openapi, zod and
// every route's schema), and a probe needs none of it, so serve listens with this app first and
// loads the documented one right after (a separate file of the bundle: scripts/build.mjs).
//
// Until it has loaded, this app answers the probes and the scrape (/health, /ready,
// /v2/health/live, /v2/health/ready, /metrics) with the documented app's own handlers
// (routes/probes.ts) and middleware, in the same order; every other request waits for the
// documented app and is handed to it untouched (its body unread), so it is answered exactly as it
// would have been. Once loaded, every request goes straight to the documented app.
import { Hono } from 'hono';
import { type AppOptions, bodyLimitOf } from './app-deps.js';
import type { AppDeps, AppEnv } from './deps.js';
import { handleError } from './errors.js';
import { limitBody } from './middleware/limit-body.js';
import { requestMetrics } from './middleware/request-metrics.js';
import {
  liveHandler,
  metricsHandler,
  oipLiveHandler,
  oipReadyHandler,
  readyHandler,
} from './routes/probes.js';

/** A fetch handler as service/server.ts serves it (@hono/node-server passes its bindings). */
export interface FetchApp {
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
}

export interface StartApp extends FetchApp {
  /**
   * Starts loading the documented app (once; later calls return the same promise). Requests that
   * need it wait for it; a failure rejects them and this promise alike.
   */
  loadDocumented(): Promise<FetchApp>;
  /** True once the documented app answers every request. */
  readonly documentedLoaded: boolean;
}

/**
 * The start app over `deps` (the documented app must be built over the same deps, so metrics,
 * audit and readiness are one). `documented` builds the documented app; it is called once.
 */
export function createStartApp(
  deps: AppDeps,
  options: AppOptions,
  documented: () => Promise<FetchApp>,
): StartApp {
  let loaded: FetchApp | null = null;
  let loading: Promise<FetchApp> | null = null;
  const loadDocumented = () => {
    loading ??= documented().then((app) => {
      loaded = app;
      return app;
    });
    return loading;
  };

  // The documented app runs these two as `app.use('*', …)` before every route; here they run
  // per route, so a request handed on has not been counted or limited twice.
  const before = [
    requestMetrics({ metrics: deps.metrics, clock: deps.clock }),
    limitBody({ maxBytes: bodyLimitOf(options) }),
  ] as const;
  const app = new Hono<AppEnv>();
  app.get('/health', ...before, liveHandler);
  app.get('/ready', ...before, readyHandler(deps));
  app.get('/v2/health/live', ...before, oipLiveHandler);
  app.get('/v2/health/ready', ...before, oipReadyHandler(deps));
  app.get('/metrics', ...before, metricsHandler(deps));
  // Anything else (another path or method, HEAD included: Hono answers it as a GET) is the
  // documented app's, with the request as it came.
  app.notFound(async (c) => (await loadDocumented()).fetch(c.req.raw, c.env));
  app.onError(handleError(deps.logger));

  return {
    fetch: (request, env) => (loaded ? loaded.fetch(request, env) : app.fetch(request, env)),
    loadDocumented,
    get documentedLoaded() {
      return loaded !== null;
    },
  };
}

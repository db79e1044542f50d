// What `serve` answers while the documented app (service/app.ts: the zod-openapi routes, /docs,
// /openapi.json, /model, OIP inference, the validation that words errors) is still loading.
// Building that app is most of a cold start (issue 15, goal 2), and so is @hono/node-server,
// whose import touches the global Request and Response and so loads Node's undici (15 ms on
// Node 20). A probe needs none of it, so serve listens with this plain node:http listener first
// and loads the documented app right after (separate files of the bundle: scripts/build.mjs).
//
// Until it has loaded, this app answers the GET probes (/health, /ready, /v2/health/live,
// /v2/health/ready) that carry a plain Host and no body itself, with the answers the documented
// app's routes give (routes/probes.ts), counted in the same metrics under the same route labels.
// Every other request (/metrics, a probe with a body or another method, any other path) waits for
// the documented app and is handed to it untouched, its body unread, so it is answered exactly as
// it would have been. Once loaded, every request goes straight to the documented app.
import type { IncomingMessage, RequestListener } from 'node:http';
import type { AppDeps } from './deps.js';
import { errorBody, logUnhandled } from './errors.js';
import { trackRequest } from './metrics.js';
import { hasPlainHost, markArrival } from './node/arrival.js';
import { pathOf } from './node/connection-guard.js';
import { writeJson } from './node/write-json.js';
import { PROBE_ANSWERS } from './routes/probes.js';

export interface StartApp {
  /** What to serve: the start app until the documented app has loaded, then the documented app. */
  readonly listener: RequestListener;
  /**
   * Starts loading the documented app (once; later calls return the same promise). Requests that
   * need it wait for it; a failure answers them 500 and rejects this promise.
   */
  loadDocumented(): Promise<RequestListener>;
  /**
   * Loads the documented app once the start app has answered its first probe, or at once for the
   * first request that needs it, or after `fallbackMs`, whichever comes first. Loading it blocks
   * the event loop for tens of milliseconds (compiling it; on Node 24 also undici), so a probe
   * that arrives just after listening is answered before that, not after.
   */
  loadSoon(fallbackMs: number): Promise<RequestListener>;
  /** True once the documented app answers every request. */
  readonly documentedLoaded: boolean;
}

/**
 * The start app over `deps` (the documented app must be built over the same deps, so metrics,
 * audit and readiness are one). `documented` loads the documented app's listener; it is called
 * once.
 */
export function createStartApp(
  deps: AppDeps,
  documented: () => Promise<RequestListener>,
): StartApp {
  let loaded: RequestListener | null = null;
  let loading: Promise<RequestListener> | null = null;
  const loadDocumented = () => {
    loading ??= documented().then((listener) => {
      loaded = listener;
      return listener;
    });
    return loading;
  };

  const handOn: RequestListener = (req, res) => {
    // Timed from here by the documented app, as if it had had the request all along.
    markArrival(req, deps.clock.monotonic());
    loadDocumented().then(
      (listener) => listener(req, res),
      (error: unknown) => {
        const path = pathOf(req.url);
        logUnhandled(deps.logger, path, error);
        writeJson(res, 500, errorBody(path, 'Internal server error', {}));
      },
    );
  };

  // Set by loadSoon: told once, when the first probe has been answered.
  let afterFirstProbe: (() => void) | null = null;

  const start: RequestListener = (req, res) => {
    const path = pathOf(req.url);
    const answer =
      req.method === 'GET' && !hasBody(req) && hasPlainHost(req)
        ? PROBE_ANSWERS.get(path)
        : undefined;
    if (!answer) return handOn(req, res);
    // The route label is the path itself, which is each probe route's pattern.
    const tracked = trackRequest(deps.metrics, deps.clock, deps.clock.monotonic());
    const { status, body } = answer(deps);
    writeJson(res, status, body);
    tracked.done('GET', path, status);
    afterFirstProbe?.();
  };

  const loadSoon = (fallbackMs: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, fallbackMs);
      afterFirstProbe = () => {
        afterFirstProbe = null;
        clearTimeout(timer);
        // Once the answer is on its way.
        setImmediate(resolve);
      };
    }).then(loadDocumented);

  return {
    listener: (req, res) => (loaded ? loaded(req, res) : start(req, res)),
    loadDocumented,
    loadSoon,
    get documentedLoaded() {
      return loaded !== null;
    },
  };
}

/**
 * Whether the request declares a body. The documented app checks a body against the size limit
 * even on a probe (service/middleware/limit-body.ts), so such a request is left to it.
 */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

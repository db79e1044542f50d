// The probe and scrape handlers (/health, /ready, /v2/health/*, /metrics) without their OpenAPI
// route definitions. Two apps share them: the documented app (service/app.ts, via health.ts,
// oip.ts and metrics.ts) and the start app (service/start-app.ts), which answers probes while
// the documented app is still loading. One function per answer, so both give the same bytes.
import type { Context } from 'hono';
import type { AppDeps, AppEnv } from '../deps.js';
import { METRICS_CONTENT_TYPE } from '../metrics.js';

/** Why the service is not ready, or null when it is. */
export function notReadyReason(deps: AppDeps): string | null {
  if (deps.isDraining()) return 'shutting down';
  if (!deps.holder.current) return 'no verified model loaded';
  return null;
}

/** GET /health. */
export const liveHandler = (c: Context<AppEnv>) => c.json({ status: 'ok' }, 200);

/** GET /ready. */
export const readyHandler = (deps: AppDeps) => (c: Context<AppEnv>) => {
  const reason = notReadyReason(deps);
  if (reason)
    return c.json(
      { error: 'Not ready', details: { issues: [{ field: 'model', message: reason }] } },
      503,
    );
  const fresh = deps.modelFreshness?.() ?? null;
  if (!fresh) return c.json({ status: 'ready' }, 200);
  // `reason` (a load error) stays in the log: it can name host paths.
  const { serving, production, stale, staleSince } = fresh;
  return c.json({ status: 'ready', registry: { serving, production, stale, staleSince } }, 200);
};

/** GET /v2/health/live (Open Inference Protocol). */
export const oipLiveHandler = (c: Context<AppEnv>) => c.json({ live: true }, 200);

/** GET /v2/health/ready (Open Inference Protocol). */
export const oipReadyHandler = (deps: AppDeps) => (c: Context<AppEnv>) => {
  const reason = notReadyReason(deps);
  if (reason) return c.json({ error: `not ready: ${reason}` }, 503);
  return c.json({ ready: true }, 200);
};

/** GET /metrics. */
export const metricsHandler = (deps: AppDeps) => async (c: Context<AppEnv>) =>
  c.text(await deps.metrics.render(), 200, { 'content-type': METRICS_CONTENT_TYPE });

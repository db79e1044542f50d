// The probe and scrape answers (/health, /ready, /v2/health/*, /metrics) without their OpenAPI
// route definitions. Two apps share them: the documented app (service/app.ts, via health.ts,
// oip.ts and metrics.ts) and the start app (service/start-app.ts), which answers probes on plain
// node:http while the documented app is still loading. Each probe's answer is data, made in one
// place, so both give the same status and bytes.
import type { Context } from 'hono';
import type { AppDeps, AppEnv } from '../deps.js';
import { METRICS_CONTENT_TYPE } from '../metrics.js';

/** A JSON answer: the status and the value whose JSON is the body. */
export interface ProbeAnswer {
  status: number;
  body: unknown;
}

/** Why the service is not ready, or null when it is. */
function notReadyReason(deps: AppDeps): string | null {
  if (deps.isDraining()) return 'shutting down';
  if (!deps.holder.current) return 'no verified model loaded';
  return null;
}

/** GET /health. */
const liveAnswer = () => ({ status: 200 as const, body: { status: 'ok' } });

/** GET /ready. */
export function readyAnswer(deps: AppDeps) {
  const reason = notReadyReason(deps);
  if (reason)
    return {
      status: 503 as const,
      body: { error: 'Not ready', details: { issues: [{ field: 'model', message: reason }] } },
    };
  const fresh = deps.modelFreshness?.() ?? null;
  if (!fresh) return { status: 200 as const, body: { status: 'ready' } };
  // `reason` (a load error) stays in the log: it can name host paths.
  const { serving, production, stale, staleSince } = fresh;
  return {
    status: 200 as const,
    body: { status: 'ready', registry: { serving, production, stale, staleSince } },
  };
}

/** GET /v2/health/live (Open Inference Protocol). */
export const oipLiveAnswer = () => ({ status: 200 as const, body: { live: true } });

/** GET /v2/health/ready (Open Inference Protocol). */
export function oipReadyAnswer(deps: AppDeps) {
  const reason = notReadyReason(deps);
  if (reason) return { status: 503 as const, body: { error: `not ready: ${reason}` } };
  return { status: 200 as const, body: { ready: true } };
}

/** The GET probes by path: what the start app answers itself. */
export const PROBE_ANSWERS: ReadonlyMap<string, (deps: AppDeps) => ProbeAnswer> = new Map<
  string,
  (deps: AppDeps) => ProbeAnswer
>([
  ['/health', liveAnswer],
  ['/ready', readyAnswer],
  ['/v2/health/live', oipLiveAnswer],
  ['/v2/health/ready', oipReadyAnswer],
]);

/** GET /health. */
export const liveHandler = (c: Context<AppEnv>) => c.json(liveAnswer().body, 200);

/** GET /ready. */
export const readyHandler = (deps: AppDeps) => (c: Context<AppEnv>) => {
  const answer = readyAnswer(deps);
  return answer.status === 200 ? c.json(answer.body, 200) : c.json(answer.body, 503);
};

/** GET /v2/health/live (Open Inference Protocol). */
export const oipLiveHandler = (c: Context<AppEnv>) => c.json(oipLiveAnswer().body, 200);

/** GET /v2/health/ready (Open Inference Protocol). */
export const oipReadyHandler = (deps: AppDeps) => (c: Context<AppEnv>) => {
  const answer = oipReadyAnswer(deps);
  return answer.status === 200 ? c.json(answer.body, 200) : c.json(answer.body, 503);
};

/** GET /metrics. */
export const metricsHandler = (deps: AppDeps) => async (c: Context<AppEnv>) =>
  c.text(await deps.metrics.render(), 200, { 'content-type': METRICS_CONTENT_TYPE });

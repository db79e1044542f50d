import { createRoute } from '@hono/zod-openapi';
import { type AppDeps, createRouter } from '../deps.js';
import { ErrorResponse, Health } from '../schemas.js';

const live = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness: the process is up and answering',
  responses: {
    200: { description: 'Alive', content: { 'application/json': { schema: Health } } },
  },
});

const ready = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['health'],
  summary: 'Readiness: a checksum-verified model is loaded and the server is not draining',
  description:
    "In registry mode the body also says whether the served version is the registry's production version; a stale model stays ready (it still serves a verified model) and shows in `oncoclear_model_stale`.",
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: Health } } },
    503: { description: 'Not ready', content: { 'application/json': { schema: ErrorResponse } } },
  },
});

/** Why the service is not ready, or null when it is. */
export function notReadyReason(deps: AppDeps): string | null {
  if (deps.isDraining()) return 'shutting down';
  if (!deps.holder.current) return 'no verified model loaded';
  return null;
}

/** GET /health and /ready. */
export function healthRoutes(deps: AppDeps) {
  const app = createRouter(deps);
  app.openapi(live, (c) => c.json({ status: 'ok' }, 200));
  app.openapi(ready, (c) => {
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
  });
  return app;
}

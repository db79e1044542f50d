import { createRoute } from '@hono/zod-openapi';
import { type AppDeps, createRouter } from '../deps.js';
import { ErrorResponse, Health } from '../schemas.js';
import { liveHandler, readyHandler } from './probes.js';

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

/** GET /health and /ready. */
export function healthRoutes(deps: AppDeps) {
  const app = createRouter(deps);
  app.openapi(live, liveHandler);
  app.openapi(ready, readyHandler(deps));
  return app;
}

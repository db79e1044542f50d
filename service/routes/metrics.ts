import { createRoute, z } from '@hono/zod-openapi';
import { type AppDeps, createRouter } from '../deps.js';

const route = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['operations'],
  summary: 'Prometheus metrics (text exposition format 0.0.4)',
  responses: {
    200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } },
  },
});

/** GET /metrics. */
export function metricsRoutes(deps: AppDeps) {
  const app = createRouter(deps);
  app.openapi(route, (c) =>
    c.text(deps.metrics.render(), 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    }),
  );
  return app;
}

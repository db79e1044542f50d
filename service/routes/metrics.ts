import { createRoute, z } from '@hono/zod-openapi';
import { type AppDeps, createRouter } from '../deps.js';
import { metricsHandler } from './probes.js';

const route = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['operations'],
  summary: 'Prometheus metrics (text exposition format 0.0.4)',
  description:
    'Request, prediction and model series (oncoclear_*), the build info, and the process and Node runtime series (process_*, nodejs_*: CPU, memory, event-loop lag, GC, open fds).',
  responses: {
    200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } },
  },
});

/** GET /metrics. */
export function metricsRoutes(deps: AppDeps) {
  const app = createRouter(deps);
  app.openapi(route, metricsHandler(deps));
  return app;
}

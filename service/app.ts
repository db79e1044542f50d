import { createHash } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type AppOptions, bodyLimitOf, createDeps } from './app-deps.js';
import { type AppDeps, type AppEnv, validationHook } from './deps.js';
import { clip, errorResponse, handleError, notFound } from './errors.js';
import { limitBody } from './middleware/limit-body.js';
import { requestMetrics } from './middleware/request-metrics.js';
import { describeForModel, docsTitle } from './openapi-model.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { allowedMethods } from './routes/methods.js';
import { metricsRoutes } from './routes/metrics.js';
import { modelRoutes } from './routes/model.js';
import { oipRoutes } from './routes/oip.js';
import { predictRoutes } from './routes/predict.js';
import type { ModelHolder } from './served-model.js';

export { type AppOptions, createDeps } from './app-deps.js';

const OPENAPI_INFO = {
  openapi: '3.0.0',
  info: {
    title: 'OncoClear',
    description:
      'Breast-cancer (Wisconsin diagnostic) logistic-regression classifier. Every prediction is audited; see GET /model for the loaded version and its lineage.',
  },
} as const;

/**
 * Builds the HTTP app. It never listens: service/server.ts does that, and tests call
 * `app.request()` directly.
 */
export function createApp(options: AppOptions) {
  return buildApp(createDeps(options), options);
}

/**
 * The documented app over deps already built (createDeps). `serve` builds the deps first for its
 * start app (service/start-app.ts) and this app, loaded right after it listens, over the same deps.
 */
export function buildApp(deps: AppDeps, options: Pick<AppOptions, 'holder' | 'maxBodyBytes'>) {
  const { metrics, clock, serverVersion } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook(deps) });
  app.use('*', requestMetrics({ metrics, clock }));
  app.use('*', limitBody({ maxBytes: bodyLimitOf(options) }));

  app.route('/', healthRoutes(deps));
  app.route('/', predictRoutes(deps));
  app.route('/', modelRoutes(deps));
  app.route('/', oipRoutes(deps));
  app.route('/', metricsRoutes(deps));

  // Generated once, on first request, then served from memory: generating it costs milliseconds
  // of CPU, and a flood of /openapi.json used to starve /predict. The titles and examples come
  // from the loaded model, so the text is rebuilt (from the same routes document) when a hot
  // reload swaps the model, and the ETag changes with it.
  let routesDocument: ReturnType<typeof app.getOpenAPIDocument> | null = null;
  let spec: { model: ModelHolder['current']; body: string; etag: string } | null = null;
  app.get('/openapi.json', (c) => {
    const model = options.holder.current;
    if (!spec || spec.model !== model) {
      routesDocument ??= app.getOpenAPIDocument({
        ...OPENAPI_INFO,
        info: { ...OPENAPI_INFO.info, version: serverVersion },
      });
      const body = JSON.stringify(describeForModel(routesDocument, model));
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
      spec = { model, body, etag };
    }
    const headers = { etag: spec.etag, 'cache-control': 'no-cache' };
    if (c.req.header('if-none-match') === spec.etag) return c.body(null, 304, headers);
    return c.body(spec.body, 200, { ...headers, 'content-type': 'application/json' });
  });
  app.route(
    '/',
    docsRoutes(undefined, () => docsTitle(options.holder.current)),
  );

  let allowed: ((path: string) => string[]) | null = null;
  app.notFound((c: Context) => {
    allowed ??= allowedMethods(app.routes);
    const methods = allowed(c.req.path);
    if (!methods.length) return notFound(c);
    const allow = methods.join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { allow });
    return errorResponse(
      c,
      405,
      `Method ${clip(c.req.method, 16)} not allowed on ${clip(c.req.path)}`,
      { issues: [{ field: 'method', message: `expected one of ${allow}` }], allowed: methods },
      { allow },
    );
  });
  app.onError(handleError(deps.logger));
  return app;
}

/** The app type, for callers that keep a reference. */
export type ServiceApp = ReturnType<typeof createApp>;

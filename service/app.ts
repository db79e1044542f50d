import { createHash, randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { packageVersion } from '../src/cli/context.js';
import { type AuditSink, bufferedSink } from './audit.js';
import { type Clock, systemClock } from './clock.js';
import { type AppDeps, type AppEnv, validationHook } from './deps.js';
import { clip, errorResponse, handleError, notFound } from './errors.js';
import type { ModelFreshness } from './lifecycle.js';
import { DEFAULT_MAX_BATCH_ROWS, DEFAULT_MAX_BODY_BYTES } from './limits.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
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

export { DEFAULT_MAX_BATCH_ROWS, DEFAULT_MAX_BODY_BYTES } from './limits.js';

/** Everything the app needs; all side effects are injectable so tests can fake them. */
export interface AppOptions {
  /** The model reference; reloads swap it, routes read it once per request. */
  holder: ModelHolder;
  /** Audit line sink (default: stdout, batched per event-loop turn). */
  audit?: AuditSink;
  metrics?: ServiceMetrics;
  clock?: Clock;
  /** Prediction and request ids (default: random UUIDs). */
  newId?: () => string;
  /** Operational log (default: JSON lines on stderr). */
  logger?: Logger;
  /** Include raw measurements in audit lines (default false: only their fingerprint). */
  logInputs?: boolean;
  maxBatchRows?: number;
  maxBodyBytes?: number;
  /**
   * Readiness fails while this returns true (set from SIGTERM for the whole drain period):
   * `/ready` and `/v2/health/ready` answer 503 while every other route keeps serving.
   */
  isDraining?: () => boolean;
  /**
   * A second name the OIP routes answer to (KServe's `MODEL_NAME`), so an InferenceService need
   * not be named after the model. `/v2/models/{alias}/…` then works like the model's own name.
   */
  modelAlias?: string;
  /**
   * Registry mode: the served version against the registry's production version, read on each
   * `/ready` and scrape. `/ready` stays 200 (it serves a verified model) and its body reports
   * them under `registry`; `oncoclear_model_stale` is 1 while `stale`. Null in file mode.
   */
  modelFreshness?: () => ModelFreshness | null;
}

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
  const clock = options.clock ?? systemClock;
  const serverVersion = packageVersion();
  const metrics = options.metrics ?? createMetrics({ version: serverVersion });
  const deps: AppDeps = {
    holder: options.holder,
    audit: options.audit ?? bufferedSink(),
    metrics,
    clock,
    newId: options.newId ?? randomUUID,
    logger: options.logger ?? createLogger(),
    logInputs: options.logInputs ?? false,
    maxBatchRows: options.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS,
    isDraining: options.isDraining ?? (() => false),
    serverVersion,
    ...(options.modelAlias ? { modelAlias: options.modelAlias } : {}),
    ...(options.modelFreshness ? { modelFreshness: options.modelFreshness } : {}),
  };
  if (options.holder.current) metrics.setModel(options.holder.current);
  if (options.modelFreshness) metrics.trackFreshness(options.modelFreshness);

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook(deps) });
  app.use('*', requestMetrics({ metrics, clock }));
  app.use('*', limitBody({ maxBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES }));

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

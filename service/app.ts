import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import { packageVersion } from '../src/cli/context.js';
import { type AuditSink, bufferedSink } from './audit.js';
import { type Clock, systemClock } from './clock.js';
import { type AppDeps, type AppEnv, validationHook } from './deps.js';
import { handleError, notFound } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
import { limitBody } from './middleware/limit-body.js';
import { requestMetrics } from './middleware/request-metrics.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { modelRoutes } from './routes/model.js';
import { oipRoutes } from './routes/oip.js';
import { predictRoutes } from './routes/predict.js';
import type { ModelHolder } from './served-model.js';

export const DEFAULT_MAX_BATCH_ROWS = 1000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

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
  /** Readiness fails while this returns true (set during graceful shutdown). */
  isDraining?: () => boolean;
}

/**
 * Builds the HTTP app. It never listens: service/server.ts does that, and tests call
 * `app.request()` directly.
 */
export function createApp(options: AppOptions) {
  const clock = options.clock ?? systemClock;
  const metrics = options.metrics ?? createMetrics();
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
  };
  if (options.holder.current) metrics.setModel(options.holder.current);

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook(deps) });
  app.use('*', requestMetrics({ metrics, clock }));
  app.use('*', limitBody({ maxBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES }));

  app.route('/', healthRoutes(deps));
  app.route('/', predictRoutes(deps));
  app.route('/', modelRoutes(deps));
  app.route('/', oipRoutes(deps));
  app.route('/', metricsRoutes(deps));

  app.doc('/openapi.json', {
    openapi: '3.0.0',
    info: {
      title: 'OncoClear',
      version: packageVersion(),
      description:
        'Breast-cancer (Wisconsin diagnostic) logistic-regression classifier. Every prediction is audited; see GET /model for the loaded version and its lineage.',
    },
  });
  app.route('/', docsRoutes());

  app.notFound(notFound);
  app.onError(handleError(deps.logger));
  return app;
}

/** The app type, for callers that keep a reference. */
export type ServiceApp = ReturnType<typeof createApp>;

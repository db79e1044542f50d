// What both of serve's apps are built from: the options and the deps made of them. Kept apart
// from service/app.ts, which imports the zod-openapi routes, so the start path (service/serve.ts,
// service/start-app.ts) can build the deps without loading the documented app.
import { randomBytes, randomUUID } from 'node:crypto';
import { packageVersion } from '../src/util/package-version.js';
import { type AuditSink, bufferedSink, inputFingerprinter } from './audit.js';
import { type Clock, systemClock } from './clock.js';
import type { AppDeps } from './deps.js';
import type { ModelFreshness } from './lifecycle.js';
import { DEFAULT_MAX_BATCH_ROWS, DEFAULT_MAX_BODY_BYTES } from './limits.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
import type { ModelHolder } from './served-model.js';

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
  /**
   * The key of the audit lines' input fingerprints (default: 32 random bytes, so fingerprints
   * match within this app only). `serve` resolves it once for every process of a cluster.
   */
  auditKey?: Uint8Array;
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

/**
 * The deps every route shares, with the defaults filled in; the metrics learn the loaded model
 * and the registry freshness here, once, whichever app answers first.
 */
export function createDeps(options: AppOptions): AppDeps {
  const clock = options.clock ?? systemClock;
  const serverVersion = packageVersion();
  const metrics = options.metrics ?? createMetrics({ version: serverVersion });
  const deps: AppDeps = {
    holder: options.holder,
    audit: options.audit ?? bufferedSink(),
    metrics,
    clock,
    newId: options.newId ?? randomUUID,
    fingerprint: inputFingerprinter(options.auditKey ?? randomBytes(32)),
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
  return deps;
}

/** The request body limit of `options`, default filled in. */
export const bodyLimitOf = (options: Pick<AppOptions, 'maxBodyBytes'>): number =>
  options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

import { type AuditSink, auditLine, inputFingerprint } from './audit.js';
import type { Clock } from './clock.js';
import { ApiError } from './errors.js';
import type { ServiceMetrics } from './metrics.js';
import type { ServedModel } from './served-model.js';

/** What predictions need besides the model: sinks and time, all injectable. */
export interface InferenceDeps {
  audit: AuditSink;
  metrics: ServiceMetrics;
  clock: Clock;
  newId: () => string;
  /** Put raw measurements in audit lines; off by default because they are patient data. */
  logInputs: boolean;
}

/** One prediction as the JSON endpoints return it. */
export interface RowPrediction {
  label: string;
  probabilities: Record<string, number>;
  predictionId: string;
}

/** A human-readable description of the accepted shapes for one row. */
export function expectedRowShape(model: ServedModel | null): string {
  const n = model ? model.artifact.features.length : 'N';
  return `an object with exactly the model's ${n} feature names as keys and finite numbers as values, or an array of ${n} finite numbers in the model's feature order`;
}

/**
 * Turns one validated `features` value into a row in the model's feature order. Missing, unknown
 * or miscounted features are a 422 naming the field and listing what the model expects; nothing is
 * imputed silently for a client that misspelt a name.
 */
export function toRow(
  model: ServedModel,
  features: Record<string, number> | number[],
  field: string,
): Float64Array {
  const names = model.artifact.features;
  const p = names.length;
  if (Array.isArray(features)) {
    if (features.length !== p) {
      throw new ApiError(422, 'Wrong number of feature values', {
        issues: [{ field, message: `got ${features.length} values; expected ${p}` }],
        expected: expectedRowShape(model),
        expectedFeatures: names,
      });
    }
    return Float64Array.from(features);
  }
  const row = new Float64Array(p).fill(Number.NaN);
  // Lists are only allocated on the error path; the common case touches each key once.
  let unknown: string[] | null = null;
  for (const key in features) {
    const i = model.featureIndex.get(key);
    if (i !== undefined) row[i] = features[key]!;
    else if (unknown) unknown.push(key);
    else unknown = [key];
  }
  let missing: string[] | null = null;
  for (let i = 0; i < p; i++) {
    if (!Number.isNaN(row[i]!)) continue;
    if (missing) missing.push(names[i]!);
    else missing = [names[i]!];
  }
  if (unknown || missing) {
    const issues = [
      ...(missing ?? []).map((name) => ({ field: `${field}.${name}`, message: 'missing' })),
      ...(unknown ?? []).map((name) => ({ field: `${field}.${name}`, message: 'unknown feature' })),
    ];
    throw new ApiError(422, 'Feature names do not match the model', {
      issues,
      missing: missing ?? [],
      unknown: unknown ?? [],
      expected: expectedRowShape(model),
      expectedFeatures: names,
    });
  }
  return row;
}

/** Request context for audit lines. */
export interface PredictContext {
  endpoint: string;
  /** Monotonic ms the request started. */
  startedAt: number;
  /** Set for multi-row requests: audit lines carry it with each row's index. */
  requestId?: string;
}

/**
 * Predicts each row with the model's shared predictor, writes one audit line per row and counts
 * predictions by class. The caller passes the model it captured at request start.
 */
/** The shared predictor, with its refusal of unscorable values turned into a 422. */
function predictRow(model: ServedModel, row: Float64Array, field: string) {
  try {
    return model.predictor.predict(row);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ApiError(422, 'Feature values out of range', {
      issues: [{ field, message: error.message }],
      expected: expectedRowShape(model),
    });
  }
}

export function predictRows(
  deps: InferenceDeps,
  model: ServedModel,
  rows: readonly Float64Array[],
  context: PredictContext,
): RowPrediction[] {
  const time = new Date(deps.clock.now()).toISOString();
  const out: RowPrediction[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const field = context.requestId ? `instances[${i}]` : 'features';
    const { label, probabilities } = predictRow(model, row, field);
    const id = deps.newId();
    const latencyMs = Math.round((deps.clock.monotonic() - context.startedAt) * 1000) / 1000;
    deps.audit.write(
      auditLine(model, {
        id,
        time,
        endpoint: context.endpoint,
        ...(context.requestId ? { request: { id: context.requestId, row: i } } : {}),
        inputSha256: inputFingerprint(row),
        ...(deps.logInputs ? { input: Array.from(row) } : {}),
        output: { label, probabilities },
        latencyMs,
      }),
    );
    deps.metrics.countPredictions(model, label);
    out[i] = { label, probabilities, predictionId: id };
  }
  return out;
}

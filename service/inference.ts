import type { Explanation, Prediction } from '../src/model/predictor.js';
import { type AuditSink, auditLine, requestAuditLine, rowAuditLine } from './audit.js';
import type { Clock } from './clock.js';
import { ApiError, firstListed, MAX_LISTED_ISSUES } from './errors.js';
import type { ServiceMetrics } from './metrics.js';
import type { ServedModel } from './served-model.js';

/** What predictions need besides the model: sinks and time, all injectable. */
export interface InferenceDeps {
  audit: AuditSink;
  metrics: ServiceMetrics;
  clock: Clock;
  newId: () => string;
  /** The audit lines' keyed fingerprint of a row (audit.ts inputFingerprinter). */
  fingerprint: (row: Float64Array) => string;
  /** Put raw measurements in audit lines; off by default because they are patient data. */
  logInputs: boolean;
}

/** One prediction as the JSON endpoints return it. */
export interface RowPrediction {
  label: string;
  probabilities: Record<string, number>;
  predictionId: string;
  /** Only when the request asked for it. */
  explanation?: Explanation;
}

/** A human-readable description of the accepted shapes for one row. */
export function expectedRowShape(model: ServedModel | null): string {
  const n = model ? model.artifact.features.length : 'N';
  return `an object with exactly the model's ${n} feature names as keys and finite numbers as values, or an array of ${n} finite numbers in the model's feature order`;
}

/**
 * Turns one validated `features` value into a row in the model's feature order. Missing, unknown
 * or miscounted features are a 422 naming the field and listing what the model expects; nothing is
 * imputed silently for a client that misspelt a name. Names are looked up in a Map over own keys,
 * so `constructor`, `toString` and the like are unknown features like any other. The lists in
 * the error are capped (with counts), so a request with thousands of bad keys gets a small answer.
 */
export function toRow(
  model: ServedModel,
  features: Record<string, number> | number[],
  field: string,
  /** Where to write the row (length: the model's feature count); default a new array. */
  into?: Float64Array,
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
    if (!into) return Float64Array.from(features);
    into.set(features);
    return into;
  }
  const row = (into ?? new Float64Array(p)).fill(Number.NaN);
  // Lists are only allocated on the error path; the common case touches each key once.
  let unknown: string[] | null = null;
  for (const key of Object.keys(features)) {
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
    const m = missing ?? [];
    const u = unknown ?? [];
    const issues = [
      ...firstListed(m).map((name) => ({ field: `${field}.${name}`, message: 'missing' })),
      ...firstListed(u).map((name) => ({ field: `${field}.${name}`, message: 'unknown feature' })),
    ];
    throw new ApiError(422, 'Feature names do not match the model', {
      issues,
      missing: firstListed(m),
      unknown: firstListed(u),
      ...(m.length > MAX_LISTED_ISSUES ? { missingCount: m.length } : {}),
      ...(u.length > MAX_LISTED_ISSUES ? { unknownCount: u.length } : {}),
      expected: expectedRowShape(model),
      expectedFeatures: names,
    });
  }
  return row;
}

const scratchRows = new WeakMap<ServedModel, Float64Array>();

/**
 * One reusable row per model for single-row requests, which score it synchronously from
 * {@link toRow} to the end of {@link predictOne} and keep nothing of it (issue 15 measured the
 * allocation at ~2 µs a request).
 */
export function scratchRow(model: ServedModel): Float64Array {
  let row = scratchRows.get(model);
  if (!row) {
    row = new Float64Array(model.artifact.features.length);
    scratchRows.set(model, row);
  }
  return row;
}

/** Request context for audit lines. */
export interface PredictContext {
  endpoint: string;
  /** Monotonic ms the request started. */
  startedAt: number;
  /** Multi-row requests ({@link predictRows}): the client's own id (OIP `id`), on the request line. */
  clientId?: string;
  /** Return each row's explanation (never logged). */
  explain?: boolean;
}

type Scored = Prediction & { explanation?: Explanation };

/** The shared predictor, with its refusal of unscorable values turned into a 422. */
function scoreRow(model: ServedModel, row: Float64Array, field: string, explain: boolean): Scored {
  try {
    return explain ? model.predictor.explain(row) : model.predictor.predict(row);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ApiError(422, 'Feature values out of range', {
      issues: [{ field, message: error.message }],
      expected: expectedRowShape(model),
    });
  }
}

/**
 * One row of a single-row request (`POST /predict`): scored, audited in one line and counted,
 * the same work and order as {@link predictRows} without the per-request lists and maps.
 */
export function predictOne(
  deps: InferenceDeps,
  model: ServedModel,
  row: Float64Array,
  context: PredictContext,
): RowPrediction {
  const explain = context.explain === true;
  const { label, probabilities, explanation } = scoreRow(model, row, 'features', explain);
  const time = isoTime(deps.clock.now());
  const id = deps.newId();
  deps.audit.write(
    auditLine(model, {
      id,
      time,
      endpoint: context.endpoint,
      inputFingerprint: deps.fingerprint(row),
      ...(deps.logInputs ? { input: Array.from(row) } : {}),
      output: { label, probabilities },
      ...(explain ? { explained: true as const } : {}),
      latencyMs: latencySince(deps.clock, context.startedAt),
    }),
  );
  deps.metrics.countPredictions(model, label, 1);
  return explanation
    ? { label, probabilities, predictionId: id, explanation }
    : { label, probabilities, predictionId: id };
}

/**
 * Predicts every row of a multi-row request (batch, OIP) with the model's shared predictor, then
 * writes the audit lines (one for the request under `requestId`, a compact one per row pointing
 * at it) and counts predictions by class. Scoring comes first and is all-or-nothing: a request
 * refused for any row leaves no audit line and no count. The caller passes the model it captured
 * at request start. A single-row `POST /predict` is {@link predictOne}.
 */
export function predictRows(
  deps: InferenceDeps,
  model: ServedModel,
  rows: readonly Float64Array[],
  context: PredictContext & { requestId: string },
): RowPrediction[] {
  const explain = context.explain === true;
  const scored: Scored[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++)
    scored[i] = scoreRow(model, rows[i]!, `instances[${i}]`, explain);

  const time = isoTime(deps.clock.now());
  const out: RowPrediction[] = new Array(rows.length);
  const lines: string[] = [];
  const byClass = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const { label, probabilities, explanation } = scored[i]!;
    const id = deps.newId();
    const row = rows[i]!;
    lines.push(
      rowAuditLine({
        id,
        request: { id: context.requestId, row: i },
        inputFingerprint: deps.fingerprint(row),
        ...(deps.logInputs ? { input: Array.from(row) } : {}),
        output: { label, probabilities },
      }),
    );
    byClass.set(label, (byClass.get(label) ?? 0) + 1);
    out[i] = explanation
      ? { label, probabilities, predictionId: id, explanation }
      : { label, probabilities, predictionId: id };
  }
  deps.audit.write(
    requestAuditLine(model, {
      id: context.requestId,
      ...(context.clientId !== undefined ? { clientId: context.clientId } : {}),
      time,
      endpoint: context.endpoint,
      rows: rows.length,
      ...(explain ? { explained: true as const } : {}),
      latencyMs: latencySince(deps.clock, context.startedAt),
    }),
  );
  for (const line of lines) deps.audit.write(line);
  for (const [label, count] of byClass) deps.metrics.countPredictions(model, label, count);
  return out;
}

let lastMs = Number.NaN;
let lastIso = '';

/**
 * `new Date(ms).toISOString()`, remembered for the last millisecond: under load many requests
 * share one, and formatting a date is a measurable part of an audit line.
 */
function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

function latencySince(clock: Clock, startedAt: number): number {
  return Math.round((clock.monotonic() - startedAt) * 1000) / 1000;
}

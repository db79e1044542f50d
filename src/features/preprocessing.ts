import { z } from 'zod';

// A fitted preprocessing (the artifact's `preprocessing`) and how it is applied. Fitting it is
// src/features/preprocess.ts, with its worker pool; scoring needs only this module, so reading an
// artifact (the service's start path among others) does not load node:worker_threads.

export const PreprocessingSchema = z.strictObject({
  impute: z.enum(['median', 'mean']),
  /** Value that replaces a missing cell, per feature, in raw units. */
  fill: z.array(z.number()),
  /** Mean and scale after imputation; scale is 1 when standardising is off or a column is constant. */
  mean: z.array(z.number()),
  scale: z.array(z.number()),
});
export type Preprocessing = z.infer<typeof PreprocessingSchema>;

/** Applies a fitted transform to one raw row, writing into `out`. NaN means missing. */
export function transformRow(prep: Preprocessing, raw: ArrayLike<number>, out: Float64Array): void {
  for (let j = 0; j < prep.fill.length; j++) {
    const v = raw[j]!;
    out[j] = ((Number.isNaN(v) ? prep.fill[j]! : v) - prep.mean[j]!) / prep.scale[j]!;
  }
}

/** Transforms a row-major table into a new one. */
export function transformTable(
  prep: Preprocessing,
  x: Float64Array,
  rowCount: number,
  /** Row indices into `x`; all rows in order when omitted. */
  rows?: ArrayLike<number>,
  /** Where to write the `rowCount × features` result; a new array when omitted. */
  out: Float64Array = new Float64Array(rowCount * prep.fill.length),
): Float64Array {
  const p = prep.fill.length;
  const fill = Float64Array.from(prep.fill);
  const mean = Float64Array.from(prep.mean);
  const scale = Float64Array.from(prep.scale);
  for (let k = 0, i = 0; i < rowCount; i++) {
    const from = (rows ? rows[i]! : i) * p;
    for (let j = 0; j < p; j++, k++) {
      const v = x[from + j]!;
      out[k] = ((Number.isNaN(v) ? fill[j]! : v) - mean[j]!) / scale[j]!;
    }
  }
  return out;
}

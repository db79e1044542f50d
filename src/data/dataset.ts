/**
 * A labelled table of numbers in one row-major Float64Array: `x[row * featureCount + col]`.
 * Missing cells are NaN; preprocessing imputes them.
 */
export interface Dataset {
  featureNames: string[];
  rowCount: number;
  x: Float64Array;
  /** 1 for the positive class, 0 for the other. */
  y: Uint8Array;
  /** `[negative, positive]`. */
  classes: [string, string];
  positiveClass: string;
}

/** Unlabelled rows for batch inference. */
export interface FeatureTable {
  featureNames: string[];
  rowCount: number;
  x: Float64Array;
}

/** Copies the given rows into a new dataset, preserving their order. */
export function selectRows(data: Dataset, rows: ArrayLike<number>): Dataset {
  const p = data.featureNames.length;
  const x = new Float64Array(rows.length * p);
  const y = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    x.set(data.x.subarray(r * p, r * p + p), i * p);
    y[i] = data.y[r]!;
  }
  return { ...data, rowCount: rows.length, x, y };
}

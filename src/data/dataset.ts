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
  /** `sha256:` of the source file's bytes, when loaded from a file. */
  sha256?: string;
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
  const source = data.x;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    // A plain loop: a subarray per row costs an allocation each, a million times over.
    const from = r * p;
    const to = i * p;
    for (let j = 0; j < p; j++) x[to + j] = source[from + j]!;
    y[i] = data.y[r]!;
  }
  return { ...data, rowCount: rows.length, x, y };
}

import {
  PARALLEL_MIN_ROWS,
  type PoolOptions,
  poolArray,
  poolWorkers,
  SyncPool,
} from '../parallel/sync-pool.js';
import type { Preprocessing } from './preprocessing.js';

export { transformRow, transformTable } from './preprocessing.js';

/** Columns gathered per pass over the rows: 8 × 800k rows × 8 bytes = 51 MB of scratch. */
const GATHER_COLUMNS = 8;

interface PreprocessingOptions {
  impute: 'median' | 'mean';
  standardize: boolean;
}

/**
 * Learns imputation values and standardisation from the training rows only. Uses the population
 * standard deviation (ddof = 0), as scikit-learn's StandardScaler does.
 */
export function fitPreprocessing(
  x: Float64Array,
  rowCount: number,
  featureNames: string[],
  options: PreprocessingOptions,
  /** Row indices into `x` to fit on; all rows when omitted. */
  rows?: ArrayLike<number>,
  /**
   * Memory to gather columns in, overwritten: the buffer transformTable will fill next does, so a
   * million rows need no extra copy. Without it, 8 columns' worth is allocated.
   */
  scratch?: Float64Array,
  /** Worker threads for the column statistics; the result is the same bits either way. */
  parallel: PoolOptions = {},
): Preprocessing {
  const p = featureNames.length;
  const fill: number[] = [];
  const mean: number[] = [];
  const scale: number[] = [];
  // Columns are gathered a group at a time, so each row's cells are read in one go rather than
  // once per column: with the rows in split order that is a random access per row per pass.
  // Within a column the values keep the row order, so every sum is the same as column by column.
  const group = Math.max(
    1,
    Math.min(p, scratch ? Math.floor(scratch.length / Math.max(1, rowCount)) : GATHER_COLUMNS),
  );
  const columns =
    scratch && scratch.length >= group * rowCount ? scratch : new Float64Array(group * rowCount);
  // Each column's statistics are independent, so with the whole table gathered into shared
  // memory they are computed on worker threads too; every column is one chunk, by one thread.
  const workers = group === p ? poolWorkers(rowCount, PARALLEL_MIN_ROWS, parallel, columns) : 0;
  const sharedMemory = workers > 0;
  const shared: ColumnStatsShared = {
    columns,
    present: poolArray(Int32Array, group, sharedMemory),
    stats: poolArray(Float64Array, group * 3, sharedMemory),
    sizes: poolArray(Float64Array, 3, sharedMemory),
  };
  shared.sizes.set([rowCount, options.impute === 'median' ? 1 : 0, rowCount]);
  // Started before the gather, so the workers boot while this thread reads the rows.
  const pool = new SyncPool(
    columnStatsKernel,
    shared,
    workers,
    !parallel.workersOnly,
    parallel.onWorkerLost,
  );
  const present = shared.present;
  try {
    for (let first = 0; first < p; first += group) {
      const width = Math.min(group, p - first);
      present.fill(0);
      for (let i = 0; i < rowCount; i++) {
        const from = (rows ? rows[i]! : i) * p + first;
        for (let g = 0; g < width; g++) {
          const v = x[from + g]!;
          if (!Number.isNaN(v)) columns[g * rowCount + present[g]!++] = v;
        }
      }
      for (let g = 0; g < width; g++) {
        if (present[g] === 0) {
          throw new Error(
            `Feature '${featureNames[first + g]}' has no values in the training rows; expected at least one number to impute from.`,
          );
        }
      }
      pool.run(width);
      for (let g = 0; g < width; g++) {
        const f = shared.stats[g * 3]!;
        const m = shared.stats[g * 3 + 1]!;
        const sd = shared.stats[g * 3 + 2]!;
        fill.push(f);
        mean.push(options.standardize ? m : 0);
        scale.push(options.standardize && sd > 0 ? sd : 1);
      }
    }
  } finally {
    pool.close();
  }
  return { impute: options.impute, fill, mean, scale };
}

interface ColumnStatsShared extends Record<string, unknown> {
  /** Gathered columns, each the present values of one feature in row order, `stride` apart. */
  columns: Float64Array;
  /** How many values each column has. */
  present: Int32Array;
  /** Per column: [fill, mean, standard deviation] after imputation. */
  stats: Float64Array;
  /** [rowCount, 1 for median imputation else 0, stride]. */
  sizes: Float64Array;
}

/**
 * One column's imputation value, mean and population standard deviation. Self-contained (no
 * imports, no outer variables): worker threads get it as source text (src/parallel/sync-pool.ts).
 */
const columnStatsKernel = (shared: ColumnStatsShared) => {
  const { columns, present, stats, sizes } = shared;
  const selection = { buffer: new Float64Array(0) };

  /** Hoare's selection: returns the k-th smallest, partially ordering `a` in place. */
  function select(a: Float64Array, k: number): number {
    let left = 0;
    let right = a.length - 1;
    while (left < right) {
      const pivot = a[(left + right) >> 1]!;
      let i = left;
      let j = right;
      while (i <= j) {
        while (a[i]! < pivot) i++;
        while (a[j]! > pivot) j--;
        if (i <= j) {
          const t = a[i]!;
          a[i] = a[j]!;
          a[j] = t;
          i++;
          j--;
        }
      }
      if (k <= j) right = j;
      else if (k >= i) left = i;
      else return a[k]!;
    }
    return a[k]!;
  }

  /** Median by quickselect: O(n), where sorting a million values per column took ~200 ms each. */
  function medianInPlace(a: Float64Array): number {
    const mid = a.length >> 1;
    const upper = select(a, mid);
    if (a.length % 2) return upper;
    // After selecting `mid`, everything left of it is ≤ it: the lower middle is their maximum.
    let lower = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < mid; i++) if (a[i]! > lower) lower = a[i]!;
    return (lower + upper) / 2;
  }

  const run = (g: number): void => {
    const rowCount = sizes[0]! | 0;
    const byMedian = sizes[1] === 1;
    const stride = sizes[2]! | 0;
    const count = present[g]! | 0;
    const values = columns.subarray(g * stride, g * stride + count);
    let total = 0;
    for (let i = 0; i < count; i++) total += values[i]!;
    let f: number;
    if (byMedian) {
      // Selection reorders its input; a copy keeps `values` in row order for the sums below.
      if (selection.buffer.length < count) selection.buffer = new Float64Array(stride);
      const copy = selection.buffer.subarray(0, count);
      copy.set(values);
      f = medianInPlace(copy);
    } else f = total / count;
    // Statistics after imputation: missing cells count as the fill value.
    const missing = rowCount - count;
    const m = (total + missing * f) / rowCount;
    let ss = missing * (f - m) * (f - m);
    for (let i = 0; i < count; i++) ss += (values[i]! - m) * (values[i]! - m);
    stats[g * 3] = f;
    stats[g * 3 + 1] = m;
    stats[g * 3 + 2] = Math.sqrt(ss / rowCount);
  };
  return run;
};

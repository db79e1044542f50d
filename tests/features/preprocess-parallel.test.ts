// Column statistics on worker threads must be the very numbers the main thread computes.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/data/split.js';
import { fitPreprocessing, transformTable } from '../../src/features/preprocess.js';

function rawTable(rows: number, p: number) {
  const random = seededRandom(9);
  const x = new Float64Array(rows * p);
  for (let i = 0; i < x.length; i++) {
    // Mixed scales, ties (rounded values) and about 3% missing cells.
    x[i] = random() < 0.03 ? Number.NaN : Math.round((random() - 0.3) * 10 ** (i % 4) * 100) / 100;
  }
  return x;
}

describe('fitPreprocessing on worker threads', () => {
  it.each(['median', 'mean'] as const)(
    'gives the same %s imputation and scaling as one thread, with the workers doing every column',
    (impute) => {
      const rows = 5001; // odd, so the median is one value; the training rows are every other
      const p = 6;
      const x = rawTable(rows * 2, p);
      const train = Uint32Array.from({ length: rows }, (_, i) => 2 * i + 1);
      const names = Array.from({ length: p }, (_, j) => `f${j}`);
      const options = { impute, standardize: true };
      const single = fitPreprocessing(x, rows, names, options, train, undefined, { workers: 0 });
      const scratch = new Float64Array(new SharedArrayBuffer(rows * p * 8));
      const parallel = fitPreprocessing(x, rows, names, options, train, scratch, {
        workers: 2,
        minRows: 0,
        workersOnly: true,
      });
      expect(parallel).toEqual(single);
      // The scratch is then the transformed table's memory, and transforming overwrites it whole.
      const out = transformTable(parallel, x, rows, train, scratch);
      expect(Array.from(out)).toEqual(Array.from(transformTable(single, x, rows, train)));
      expect(single.scale.every((s) => s > 0)).toBe(true);
    },
  );
});

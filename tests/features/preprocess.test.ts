import { describe, expect, it } from 'vitest';
import { fitPreprocessing, transformRow } from '../../src/features/preprocess.js';

describe('preprocessing', () => {
  // Two features, four rows; the second feature has a missing cell.
  const x = Float64Array.from([1, 10, 2, Number.NaN, 3, 30, 10, 40]);

  it('imputes the training median and standardises with the population standard deviation', () => {
    const prep = fitPreprocessing(x, 4, ['a', 'b'], { impute: 'median', standardize: true });
    expect(prep.fill).toEqual([2.5, 30]);
    expect(prep.mean[0]).toBeCloseTo(4, 12);
    // population sd of [1, 2, 3, 10] = sqrt(12.5)
    expect(prep.scale[0]).toBeCloseTo(Math.sqrt(12.5), 12);
    expect(prep.mean[1]).toBeCloseTo((10 + 30 + 30 + 40) / 4, 12);
  });

  it('applies the stored transform to a row, imputing NaN', () => {
    const prep = fitPreprocessing(x, 4, ['a', 'b'], { impute: 'mean', standardize: true });
    const out = new Float64Array(2);
    transformRow(prep, [prep.mean[0]!, Number.NaN], out);
    expect(out[0]).toBeCloseTo(0, 12);
    expect(out[1]).toBeCloseTo((prep.fill[1]! - prep.mean[1]!) / prep.scale[1]!, 12);
  });

  it('leaves values unscaled when standardising is off, and constant columns unscaled', () => {
    const constant = Float64Array.from([5, 5, 5]);
    const prep = fitPreprocessing(constant, 3, ['c'], { impute: 'median', standardize: true });
    expect(prep.scale).toEqual([1]);
    const raw = fitPreprocessing(x, 4, ['a', 'b'], { impute: 'median', standardize: false });
    expect(raw.mean).toEqual([0, 0]);
    expect(raw.scale).toEqual([1, 1]);
  });

  it('refuses a feature with no values in the training rows', () => {
    const empty = Float64Array.from([Number.NaN, Number.NaN]);
    expect(() =>
      fitPreprocessing(empty, 2, ['blank'], { impute: 'median', standardize: true }),
    ).toThrow("Feature 'blank' has no values in the training rows");
  });
});

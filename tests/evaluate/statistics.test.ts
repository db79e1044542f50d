import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRIC_KEYS } from '../../src/evaluate/metric-catalog.js';
import {
  calibrationSummary,
  computeMetrics,
  precisionRecallCurve,
} from '../../src/evaluate/metrics.js';
import {
  correctedResampledT,
  delongAuc,
  pairedDelong,
  pairedT,
  studentQuantile95,
  studentTwoSided,
  wilson,
} from '../../src/evaluate/statistics.js';

/** Values computed by scikit-learn 1.2 and SciPy (tests/evaluate/fixtures/reference.py). */
const ref = JSON.parse(
  readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8'),
) as Record<string, number & number[]>;
const y = Uint8Array.from(ref.y);
const a = Float64Array.from(ref.a);
const b = Float64Array.from(ref.b);

describe('statistics, checked against scikit-learn and SciPy', () => {
  it('computes ROC AUC and its DeLong variance', () => {
    const d = delongAuc(y, a);
    expect(d.auc).toBeCloseTo(ref.rocAuc, 12);
    expect(d.variance).toBeCloseTo(ref.delongVariance, 14);
  });

  it("runs DeLong's paired test of two models on the same rows", () => {
    const t = pairedDelong(y, a, b);
    expect(t.z).toBeCloseTo(ref.pairedDelongZ, 9);
    expect(t.pValue).toBeCloseTo(ref.pairedDelongP, 6);
  });

  it('computes average precision, Brier score and log loss', () => {
    expect(precisionRecallCurve(y, a).ap).toBeCloseTo(ref.averagePrecision, 12);
    const m = computeMetrics(y, a);
    expect(m.brier).toBeCloseTo(ref.brier, 12);
    expect(m.logLoss).toBeCloseTo(ref.logLoss, 12);
    expect(m.prAuc).toBeCloseTo(ref.averagePrecision, 12);
  });

  it('gives the Wilson interval of sensitivity', () => {
    const [low, high] = wilson(ref.tp, ref.tp + ref.fn);
    expect(low).toBeCloseTo(ref.sensitivityWilson[0]!, 12);
    expect(high).toBeCloseTo(ref.sensitivityWilson[1]!, 12);
    expect(computeMetrics(y, a).intervals?.recall?.[0]).toBeCloseTo(ref.sensitivityWilson[0]!, 12);
  });

  it('fits the calibration slope', () => {
    // scikit-learn fits with L-BFGS, to about 1e-6.
    expect(calibrationSummary(y, a).slope).toBeCloseTo(ref.calibrationSlope, 5);
  });

  it("matches SciPy's t distribution and paired t-test", () => {
    expect(studentTwoSided(2.1, 7)).toBeCloseTo(ref.tTwoSided_2_1_df7, 10);
    expect(studentQuantile95(9)).toBeCloseTo(ref.tQuantile95_df9, 8);
    const diff = new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) {
      const loss = (p: number) => (y[i] ? -Math.log(p) : -Math.log(1 - p));
      diff[i] = loss(a[i]!) - loss(b[i]!);
    }
    expect(pairedT(diff).pValue).toBeCloseTo(ref.pairedTP, 10);
  });
});

describe('hand-computed cases', () => {
  it('Wilson: 0 of 10 is [0, 0.2775]; an empty sample has no interval', () => {
    const [low, high] = wilson(0, 10);
    expect(low).toBe(0);
    expect(high).toBeCloseTo(0.27753279, 7);
    expect(wilson(0, 0).every(Number.isNaN)).toBe(true);
  });

  it('reports every metric with an interval, and the confusion-based ones at the threshold', () => {
    const yy = Uint8Array.from([1, 1, 1, 0, 0, 0, 0, 0]);
    const pp = Float64Array.from([0.9, 0.6, 0.3, 0.4, 0.2, 0.1, 0.1, 0.05]);
    const at05 = computeMetrics(yy, pp);
    expect(at05).toMatchObject({ recall: 2 / 3, specificity: 1, npv: 5 / 6, precision: 1 });
    expect(at05.balancedAccuracy).toBeCloseTo((2 / 3 + 1) / 2, 12);
    const at03 = computeMetrics(yy, pp, 0.3);
    expect(at03).toMatchObject({ threshold: 0.3, recall: 1, specificity: 4 / 5 });
    for (const key of METRIC_KEYS) {
      const [low, high] = at05.intervals![key]!;
      const value = at05[key as 'accuracy'];
      expect(low, key).not.toBeNull();
      expect(low! <= value + 1e-12 && value <= high! + 1e-12, key).toBe(true);
    }
  });

  it("Nadeau–Bengio's correction widens the interval of per-fold differences", () => {
    const folds = [0.01, 0.02, -0.005, 0.015, 0.01, 0.0, 0.02, 0.005, 0.01, 0.012];
    const naive = correctedResampledT(folds, 0);
    const corrected = correctedResampledT(folds, 0.25);
    expect(corrected.pValue).toBeGreaterThan(naive.pValue);
    expect(corrected.interval[1] - corrected.interval[0]).toBeGreaterThan(
      naive.interval[1] - naive.interval[0],
    );
  });
});

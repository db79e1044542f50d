import { describe, expect, it } from 'vitest';
import { computeMetrics, invertBinomial, rocCurve } from '../../src/evaluate/metrics.js';
import { rocMermaid } from '../../src/evaluate/report.js';

describe('metrics', () => {
  const y = Uint8Array.from([1, 1, 1, 0, 0, 0]);
  const p = Float64Array.from([0.9, 0.8, 0.3, 0.6, 0.2, 0.1]);

  it('computes the confusion matrix and threshold metrics at 0.5', () => {
    const m = computeMetrics(y, p);
    expect(m.confusion).toEqual({ tp: 2, fn: 1, fp: 1, tn: 2 });
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
  });

  it('computes ROC AUC as the probability a positive outranks a negative', () => {
    // Pairs (pos, neg): 9 in all; 0.3 loses to 0.6 only → 8/9.
    expect(computeMetrics(y, p).rocAuc).toBeCloseTo(8 / 9, 12);
  });

  it('counts tied scores as half in the AUC', () => {
    const { auc } = rocCurve(Uint8Array.from([1, 0]), Float64Array.from([0.5, 0.5]));
    expect(auc).toBeCloseTo(0.5, 12);
  });

  it('computes log loss with clipping so certainty never gives Infinity', () => {
    const m = computeMetrics(Uint8Array.from([1, 0]), Float64Array.from([0, 1]));
    expect(Number.isFinite(m.logLoss)).toBe(true);
    expect(m.logLoss).toBeGreaterThan(30);
  });

  it('renders the ROC curve as a Mermaid xychart that ends at (1, 1)', () => {
    const m = computeMetrics(y, p);
    const chart = rocMermaid(m.roc, m.rocAuc);
    expect(chart).toContain('xychart-beta');
    expect(chart).toMatch(/line \[.*1\.000\]/);
  });
});

describe('invertBinomial', () => {
  // P(X ≤ k) for X ~ Binomial(n, p), summed directly in log space as a reference.
  const cdf = (n: number, p: number, k: number) => {
    let total = 0;
    let logC = 0;
    for (let i = 0; i <= k; i++) {
      if (i > 0) logC += Math.log((n - i + 1) / i);
      total += Math.exp(logC + i * Math.log(p) + (n - i) * Math.log1p(-p));
    }
    return total;
  };

  it('returns the quantile of the binomial for a rare outcome among many trials', () => {
    const n = 800_000;
    const p = 1e-5;
    for (const k of [0, 3, 8, 15]) {
      const u = cdf(n, p, k);
      expect(invertBinomial(n, p, u * (1 - 1e-9))).toBe(k);
      expect(invertBinomial(n, p, Math.min(1, u * (1 + 1e-9) + 1e-12))).toBe(k + 1);
    }
    expect(invertBinomial(n, 0, 0.99)).toBe(0);
  });

  it('draws with the binomial’s mean and variance', () => {
    let state = 12345;
    const uniform = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const draws = Array.from({ length: 20_000 }, () => invertBinomial(500_000, 2e-5, uniform()));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1);
    expect(mean).toBeCloseTo(10, 0);
    expect(variance).toBeGreaterThan(9);
    expect(variance).toBeLessThan(11);
  });
});

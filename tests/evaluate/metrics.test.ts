import { describe, expect, it } from 'vitest';
import { computeMetrics, rocCurve } from '../../src/evaluate/metrics.js';
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

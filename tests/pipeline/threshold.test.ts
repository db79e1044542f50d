import { describe, expect, it } from 'vitest';
import { chooseThreshold } from '../../src/evaluate/cross-validation.js';
import { metricValue } from '../../src/evaluate/metrics.js';
import { createPredictor } from '../../src/model/predictor.js';
import { trainFromConfig } from '../../src/pipeline/train.js';
import { projectConfig, TRAIN_CONTEXT } from '../support/fixtures.js';

describe('the operating threshold', () => {
  it('is chosen on out-of-fold predictions of the training rows to meet a sensitivity target', () => {
    const config = projectConfig();
    const result = trainFromConfig({ ...config, threshold: { sensitivity: 0.99 } }, TRAIN_CONTEXT);
    const { operatingPoint, metrics, crossValidation } = result.artifact;
    expect(operatingPoint).toMatchObject({
      rule: 'sensitivity',
      target: 0.99,
      chosenOn: 'out-of-fold',
    });
    expect(operatingPoint!.threshold).toBeLessThan(0.5);
    // Reported at the operating threshold, and at 0.5 beside it.
    expect(metrics.test.threshold).toBe(operatingPoint!.threshold);
    expect(metrics.testAtDefault?.threshold).toBe(0.5);
    expect(metrics.test.recall).toBeGreaterThanOrEqual(metrics.testAtDefault!.recall);
    expect(crossValidation).toMatchObject({ folds: 5, repeats: 2, rows: 455 });
    expect(crossValidation!.metrics.accuracy!.sd).toBeGreaterThan(0);
  });

  it('is applied by the one prediction function every consumer uses', () => {
    const config = projectConfig();
    const { artifact, test } = trainFromConfig(
      { ...config, threshold: { sensitivity: 0.99 } },
      TRAIN_CONTEXT,
    );
    const predictor = createPredictor(artifact);
    expect(predictor.threshold).toBe(artifact.operatingPoint!.threshold);
    const p = test.featureNames.length;
    for (let i = 0; i < test.rowCount; i++) {
      const row = test.x.subarray(i * p, i * p + p);
      const prediction = predictor.predict(row);
      const malignant = predictor.probability(row) >= predictor.threshold;
      expect(prediction.label).toBe(malignant ? 'malignant' : 'benign');
    }
  });

  it("picks the highest threshold meeting the target, Youden's J, or the fixed value", () => {
    const y = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0]);
    const p = Float64Array.from([0.9, 0.8, 0.4, 0.3, 0.6, 0.2, 0.1, 0.05]);
    const t = chooseThreshold(y, p, { rule: 'sensitivity', target: 0.75 });
    expect(t).toBe(0.4);
    expect(metricValue('recall', y, p, t)).toBeGreaterThanOrEqual(0.75);
    expect(chooseThreshold(y, p, { rule: 'youden', target: null })).toBe(0.3);
    expect(chooseThreshold(y, p, { rule: 'fixed', target: 0.42 })).toBe(0.42);
  });
});

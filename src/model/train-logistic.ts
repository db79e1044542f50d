import type { TrainingConfig } from '../config/config.js';
import type { PoolOptions } from '../parallel/sync-pool.js';
import { fitGradientAscent } from './gradient-ascent.js';
import { BinaryLogisticRegression, MODEL_NAME, MODEL_SCHEMA_VERSION } from './logistic-model.js';
import { fitNewton } from './newton.js';

/**
 * Fits a {@link BinaryLogisticRegression} on a row-major table of `rowCount × featureCount`
 * standardised values, with the configured solver.
 */
export function trainLogistic(
  x: Float64Array,
  y: Uint8Array,
  rowCount: number,
  featureCount: number,
  training: TrainingConfig,
  /** Worker threads for Newton's passes over large tables; the fit is the same either way. */
  parallel?: PoolOptions,
): BinaryLogisticRegression {
  if (training.solver === 'ml-logistic-regression') {
    const fit = fitGradientAscent(x, y, rowCount, featureCount, training);
    return BinaryLogisticRegression.fromState({
      name: MODEL_NAME,
      schemaVersion: MODEL_SCHEMA_VERSION,
      solver: training.solver,
      ...fit,
      hyperparameters: { numSteps: training.numSteps, learningRate: training.learningRate },
    });
  }
  const fit = fitNewton(x, y, rowCount, featureCount, training, parallel);
  return BinaryLogisticRegression.fromState({
    name: MODEL_NAME,
    schemaVersion: MODEL_SCHEMA_VERSION,
    solver: 'newton',
    ...fit,
    hyperparameters: {
      l2: training.l2,
      maxIterations: training.maxIterations,
      tolerance: training.tolerance,
    },
  });
}

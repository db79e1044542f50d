import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import type { FitResult } from './newton.js';

export interface GradientAscentOptions {
  numSteps: number;
  learningRate: number;
}

/**
 * Trains with mljs's ml-logistic-regression. It fits no intercept, so a column of ones is added and
 * its weight becomes the intercept. It sums (not averages) the gradient over rows, so the learning
 * rate must shrink as the row count grows, and it has no regularisation.
 */
export function fitGradientAscent(
  x: Float64Array,
  y: Uint8Array,
  rowCount: number,
  p: number,
  options: GradientAscentOptions,
): FitResult {
  const rows: number[][] = new Array(rowCount);
  for (let i = 0; i < rowCount; i++) {
    const row = Array.from(x.subarray(i * p, i * p + p));
    row.push(1);
    rows[i] = row;
  }
  // ml-logistic-regression's one-vs-all trains classifier 0 on "label is not class 0", which is
  // P(positive) when the negative class is 0 and the positive class is 1.
  const classifier = new LogisticRegression({
    numSteps: options.numSteps,
    learningRate: options.learningRate,
  });
  classifier.train(new Matrix(rows), Matrix.columnVector(Array.from(y)));
  const weights = (classifier.classifiers[0] as { weights: Matrix }).weights.to1DArray();
  return {
    coefficients: weights.slice(0, p),
    intercept: weights[p]!,
    iterations: options.numSteps,
    converged: true,
  };
}

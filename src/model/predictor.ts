import { transformRow } from '../features/preprocess.js';
import type { Artifact } from './artifact.js';
import { BinaryLogisticRegression } from './logistic-model.js';

export interface Prediction {
  label: string;
  /** One probability per class, keyed by class label, summing to 1. */
  probabilities: Record<string, number>;
}

/**
 * The one prediction function: the CLI's batch `predict`, evaluation and the service all call it,
 * so they cannot disagree. It applies the artifact's own preprocessing and never skips it.
 */
export interface Predictor {
  readonly features: readonly string[];
  readonly classes: readonly [string, string];
  /** Positive-class probability of one raw row in feature order; NaN cells are imputed. */
  probability(raw: ArrayLike<number>): number;
  predict(raw: ArrayLike<number>): Prediction;
  /** Positive-class probabilities of a raw row-major table. */
  probabilities(x: Float64Array, rowCount: number): Float64Array;
}

export function createPredictor(artifact: Artifact): Predictor {
  const model = BinaryLogisticRegression.load(artifact.model);
  const prep = artifact.preprocessing;
  const p = artifact.features.length;
  const scratch = new Float64Array(p);
  const [negative, positive] = artifact.classes;
  const probability = (raw: ArrayLike<number>): number => {
    if (raw.length !== p) {
      throw new RangeError(
        `Got ${raw.length} feature values; expected ${p} in the model's feature order.`,
      );
    }
    transformRow(prep, raw, scratch);
    const positiveProbability = model.predictProbability(scratch);
    // Finite but huge inputs can cancel to NaN (∞ − ∞); never turn that into a class label.
    if (Number.isNaN(positiveProbability)) {
      throw new RangeError(
        'The feature values are too large for the model to score; expected measurements in a realistic range.',
      );
    }
    return positiveProbability;
  };
  return {
    features: artifact.features,
    classes: artifact.classes,
    probability,
    predict(raw) {
      const pPositive = probability(raw);
      return {
        label: pPositive >= 0.5 ? positive : negative,
        probabilities: { [negative]: 1 - pPositive, [positive]: pPositive },
      };
    },
    probabilities(x, rowCount) {
      if (x.length < rowCount * p)
        throw new RangeError(
          `Got ${x.length} values for ${rowCount} rows; expected ${rowCount * p}.`,
        );
      const out = new Float64Array(rowCount);
      // Row by row without a subarray per row; same arithmetic as probability().
      for (let i = 0; i < rowCount; i++) {
        const row = i * p;
        for (let j = 0; j < p; j++) scratch[j] = x[row + j]!;
        transformRow(prep, scratch, scratch);
        out[i] = model.predictProbability(scratch);
      }
      return out;
    },
  };
}

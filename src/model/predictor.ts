import { transformRow } from '../features/preprocessing.js';
import { type Artifact, operatingThreshold } from './artifact.js';
import { BinaryLogisticRegression } from './logistic-model.js';
import { sigmoid } from './sigmoid.js';

export interface Prediction {
  label: string;
  /** One probability per class, keyed by class label, summing to 1. */
  probabilities: Record<string, number>;
}

/** One feature's share of the log-odds. */
export interface Contribution {
  feature: string;
  contribution: number;
}

/**
 * An exact additive explanation of one logistic-regression prediction: the log-odds of the
 * positive class is `intercept + Σ contributions`, where each contribution is the feature's
 * coefficient times its standardised value (after the artifact's own imputation and scaling).
 */
export interface Explanation {
  /** The class whose log-odds is explained. */
  positiveClass: string;
  /** The model's log-odds for the positive class: intercept plus every contribution. */
  logit: number;
  intercept: number;
  /** Contribution of each feature, keyed by name in the model's feature order. */
  contributions: Record<string, number>;
  /** The largest contributions by magnitude, largest first. */
  top: Contribution[];
}

/** How many contributors `explain` lists in `top` unless told otherwise. */
export const DEFAULT_TOP_CONTRIBUTORS = 5;

/**
 * The one prediction function: the CLI's batch `predict`, evaluation and the service all call it,
 * so they cannot disagree. It applies the artifact's own preprocessing and never skips it.
 */
export interface Predictor {
  readonly features: readonly string[];
  readonly classes: readonly [string, string];
  /** The operating threshold: the positive class is predicted at a probability ≥ this. */
  readonly threshold: number;
  /** Positive-class probability of one raw row in feature order; NaN cells are imputed. */
  probability(raw: ArrayLike<number>): number;
  predict(raw: ArrayLike<number>): Prediction;
  /** The prediction plus its exact per-feature explanation (same arithmetic as `predict`). */
  explain(
    raw: ArrayLike<number>,
    options?: { top?: number },
  ): Prediction & { explanation: Explanation };
  /** Positive-class probabilities of a raw row-major table. */
  probabilities(x: Float64Array, rowCount: number): Float64Array;
}

const TOO_LARGE =
  'The feature values are too large for the model to score; expected measurements in a realistic range.';

export function createPredictor(artifact: Artifact): Predictor {
  // An Artifact is validated whole when it is read (ArtifactSchema holds the model's own schema)
  // or comes from training, so its model is not parsed again: that was a millisecond of every
  // service start.
  const model = BinaryLogisticRegression.fromState(artifact.model);
  const { coefficients, intercept } = artifact.model;
  const prep = artifact.preprocessing;
  const features = artifact.features;
  const p = features.length;
  const scratch = new Float64Array(p);
  const [negative, positive] = artifact.classes;
  const checkLength = (raw: ArrayLike<number>) => {
    if (raw.length !== p) {
      throw new RangeError(
        `Got ${raw.length} feature values; expected ${p} in the model's feature order.`,
      );
    }
  };
  const probability = (raw: ArrayLike<number>): number => {
    checkLength(raw);
    transformRow(prep, raw, scratch);
    const positiveProbability = model.predictProbability(scratch);
    // Finite but huge inputs can cancel to NaN (∞ − ∞); never turn that into a class label.
    if (Number.isNaN(positiveProbability)) throw new RangeError(TOO_LARGE);
    return positiveProbability;
  };
  // The artifact's operating threshold (0.5 for artifacts written before it was recorded), so
  // every consumer labels a row the same way.
  const threshold = operatingThreshold(artifact);
  const prediction = (pPositive: number): Prediction => ({
    label: pPositive >= threshold ? positive : negative,
    probabilities: { [negative]: 1 - pPositive, [positive]: pPositive },
  });
  return {
    features,
    classes: artifact.classes,
    threshold,
    probability,
    predict: (raw) => prediction(probability(raw)),
    explain(raw, options = {}) {
      checkLength(raw);
      transformRow(prep, raw, scratch);
      // Summed in the same order as BinaryLogisticRegression.predictProbability, so the logit is
      // bit-for-bit the one the probability comes from.
      const contributions: Record<string, number> = {};
      const ranked: Contribution[] = new Array(p);
      let logit = intercept;
      for (let j = 0; j < p; j++) {
        const c = coefficients[j]! * scratch[j]!;
        logit += c;
        contributions[features[j]!] = c;
        ranked[j] = { feature: features[j]!, contribution: c };
      }
      const pPositive = sigmoid(logit);
      if (Number.isNaN(pPositive)) throw new RangeError(TOO_LARGE);
      ranked.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
      const top = Math.max(0, Math.min(p, options.top ?? DEFAULT_TOP_CONTRIBUTORS));
      return {
        ...prediction(pPositive),
        explanation: {
          positiveClass: positive,
          logit,
          intercept,
          contributions,
          top: ranked.slice(0, top),
        },
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

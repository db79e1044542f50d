import { z } from 'zod';
import { sigmoid } from './sigmoid.js';

export const MODEL_NAME = 'BinaryLogisticRegression';
export const MODEL_SCHEMA_VERSION = 1;

export const LogisticModelSchema = z.strictObject({
  name: z.literal(MODEL_NAME),
  schemaVersion: z.literal(MODEL_SCHEMA_VERSION),
  solver: z.enum(['newton', 'ml-logistic-regression']),
  /** One weight per standardised feature, in the artifact's feature order. */
  coefficients: z.array(z.number()),
  intercept: z.number(),
  iterations: z.number().int().nonnegative(),
  converged: z.boolean(),
  hyperparameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
});
export type LogisticModelJSON = z.infer<typeof LogisticModelSchema>;

/**
 * A binary logistic regression over already-preprocessed features, following the mljs model
 * contract: `predict`, `toJSON()` with a name and schema version, and `static load()`; its
 * `train` is `trainLogistic` in src/model/train-logistic.ts.
 */
export class BinaryLogisticRegression {
  private constructor(private readonly state: LogisticModelJSON) {}

  /**
   * A model from a fit's own state (src/model/train-logistic.ts); `load` is for JSON from outside.
   * Training lives in its own module so that scoring (the service's start path) never loads the
   * solvers, their worker pool or ml-matrix.
   */
  static fromState(state: LogisticModelJSON): BinaryLogisticRegression {
    return new BinaryLogisticRegression(state);
  }

  /** Refuses anything that is not this model's tag and schema version. */
  static load(json: unknown): BinaryLogisticRegression {
    const tag = (json as { name?: unknown } | null)?.name;
    if (tag !== MODEL_NAME) {
      throw new TypeError(`Unknown model '${String(tag)}'; expected '${MODEL_NAME}'.`);
    }
    const version = (json as { schemaVersion?: unknown }).schemaVersion;
    if (version !== MODEL_SCHEMA_VERSION) {
      throw new TypeError(
        `Unsupported ${MODEL_NAME} schemaVersion ${String(version)}; expected ${MODEL_SCHEMA_VERSION}.`,
      );
    }
    return new BinaryLogisticRegression(LogisticModelSchema.parse(json));
  }

  get featureCount(): number {
    return this.state.coefficients.length;
  }

  /** Probability of the positive class for one standardised row. */
  predictProbability(row: ArrayLike<number>): number {
    const w = this.state.coefficients;
    let z = this.state.intercept;
    for (let j = 0; j < w.length; j++) z += w[j]! * row[j]!;
    return sigmoid(z);
  }

  /** Positive-class probabilities for a row-major table. */
  predict(x: Float64Array, rowCount: number): Float64Array {
    const p = this.featureCount;
    const out = new Float64Array(rowCount);
    const w = Float64Array.from(this.state.coefficients);
    const b = this.state.intercept;
    // The same sum as predictProbability, in the same order, without a subarray per row: a
    // million short-lived views cost more than the arithmetic.
    for (let i = 0; i < rowCount; i++) {
      const offset = i * p;
      let z = b;
      for (let j = 0; j < p; j++) z += w[j]! * x[offset + j]!;
      out[i] = sigmoid(z);
    }
    return out;
  }

  toJSON(): LogisticModelJSON {
    return { ...this.state, coefficients: [...this.state.coefficients] };
  }
}

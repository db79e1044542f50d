/**
 * Evidence beyond one split: repeated stratified k-fold cross-validation of a recipe (the
 * preprocessing and training settings) on the training rows, out-of-fold predictions for choosing
 * an operating threshold without touching the held-out rows, and Nadeau & Bengio's corrected test
 * for comparing two recipes on the same folds.
 */
import type { Config } from '../config/config.js';
import type { Dataset } from '../data/dataset.js';
import { seededRandom } from '../data/split.js';
import { fitPreprocessing, transformTable } from '../features/preprocess.js';
import { trainLogistic } from '../model/train-logistic.js';
import type { CrossValidationSummary } from './cross-validation-schema.js';
import { METRIC_KEYS, type MetricKey } from './metric-catalog.js';
import { metricValue, sweepThresholds } from './metrics.js';
import { correctedResampledT, type Interval } from './statistics.js';

export { CrossValidationSchema, type CrossValidationSummary } from './cross-validation-schema.js';

export interface Recipe {
  preprocessing: Config['preprocessing'];
  training: Config['training'];
  /** The columns the recipe uses, by name; the data must hold them. */
  features: string[];
}

export interface CrossValidationResult {
  folds: number;
  repeats: number;
  /** Each fold's held-out labels and probabilities, repeat by repeat. */
  predictions: Array<{ y: Uint8Array; p: Float64Array }>;
  /** Out-of-fold probabilities of the first repeat, aligned with `rows`. */
  oof: Float64Array;
  oofLabels: Uint8Array;
}

/** Per-fold scores at `threshold`. */
export function foldScores(
  cv: CrossValidationResult,
  threshold: number,
): Array<Record<MetricKey, number>> {
  return cv.predictions.map(({ y, p }) => {
    const scores = {} as Record<MetricKey, number>;
    for (const key of METRIC_KEYS) scores[key] = metricValue(key, y, p, threshold);
    return scores;
  });
}

/** Mean, sd, min and max over the folds, per metric, at `threshold`. */
export function summariseCrossValidation(
  cv: CrossValidationResult,
  threshold: number,
): CrossValidationSummary {
  const perFold = foldScores(cv, threshold);
  const metrics: CrossValidationSummary['metrics'] = {};
  for (const key of METRIC_KEYS) {
    const values = perFold.map((f) => f[key]).filter(Number.isFinite);
    if (!values.length) continue;
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(
      values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, values.length - 1),
    );
    metrics[key] = { mean, sd, min: Math.min(...values), max: Math.max(...values) };
  }
  return { folds: cv.folds, repeats: cv.repeats, rows: cv.oof.length, metrics };
}

/** Seeded stratified fold assignment: positives and negatives dealt round-robin after a shuffle. */
function assignFolds(y: Uint8Array, rows: Uint32Array, folds: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const fold = new Uint8Array(rows.length);
  for (const cls of [1, 0]) {
    const members: number[] = [];
    for (let i = 0; i < rows.length; i++) if (y[rows[i]!] === cls) members.push(i);
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    members.forEach((m, k) => {
      fold[m] = k % folds;
    });
  }
  return fold;
}

/** Column indices of `features` in `data`, or the names it lacks. */
function columns(data: Dataset, features: string[]): number[] {
  const index = new Map(data.featureNames.map((f, i) => [f, i]));
  const missing = features.filter((f) => !index.has(f));
  if (missing.length)
    throw new Error(
      `The data lacks the recipe's columns ${missing.join(', ')}; it cannot be cross-validated on these rows.`,
    );
  return features.map((f) => index.get(f)!);
}

/** Copies rows of the chosen columns into a row-major table. */
function table(data: Dataset, rows: ArrayLike<number>, cols: number[]): Float64Array {
  const p = data.featureNames.length;
  const out = new Float64Array(rows.length * cols.length);
  for (let i = 0; i < rows.length; i++) {
    const base = rows[i]! * p;
    for (let j = 0; j < cols.length; j++) out[i * cols.length + j] = data.x[base + cols[j]!]!;
  }
  return out;
}

/**
 * Cross-validates a recipe on `rows` of `data` (the training part): `repeats` × `folds` fits, each
 * fitting preprocessing and the model on k−1 folds and scoring the k-th at `threshold`.
 */
export function crossValidate(
  data: Dataset,
  rows: Uint32Array,
  recipe: Recipe,
  options: { folds: number; repeats: number; seed: number },
): CrossValidationResult {
  const cols = columns(data, recipe.features);
  // Only the sampled rows, in the recipe's columns: a copy of rows × features, never the whole table.
  const x = table(data, rows, cols);
  const labels = Uint8Array.from(rows, (r) => data.y[r]!);
  const predictions: CrossValidationResult['predictions'] = [];
  const oof = new Float64Array(rows.length);
  const oofLabels = labels;
  const local = Uint32Array.from({ length: rows.length }, (_, i) => i);
  for (let rep = 0; rep < options.repeats; rep++) {
    const fold = assignFolds(labels, local, options.folds, options.seed + rep * 7919);
    for (let k = 0; k < options.folds; k++) {
      const trainIdx: number[] = [];
      const testIdx: number[] = [];
      for (let i = 0; i < rows.length; i++) (fold[i] === k ? testIdx : trainIdx).push(i);
      const trainRows = Uint32Array.from(trainIdx);
      const testRows = Uint32Array.from(testIdx);
      const prep = fitPreprocessing(
        x,
        trainRows.length,
        recipe.features,
        recipe.preprocessing,
        trainRows,
      );
      const xTrain = transformTable(prep, x, trainRows.length, trainRows);
      const yTrain = Uint8Array.from(trainRows, (r) => labels[r]!);
      const model = trainLogistic(xTrain, yTrain, trainRows.length, cols.length, recipe.training);
      const xTest = transformTable(prep, x, testRows.length, testRows);
      const p = model.predict(xTest, testRows.length);
      const yTest = Uint8Array.from(testRows, (r) => labels[r]!);
      if (rep === 0)
        testIdx.forEach((i, j) => {
          oof[i] = p[j]!;
        });
      predictions.push({ y: yTest, p });
    }
  }
  return { folds: options.folds, repeats: options.repeats, predictions, oof, oofLabels };
}

/**
 * Compares two recipes on the same folds with Nadeau & Bengio's corrected resampled t-test:
 * candidate − production on `metric`, its interval and p.
 */
export function compareRecipes(
  candidate: CrossValidationResult,
  production: CrossValidationResult,
  metric: MetricKey,
  thresholds: { candidate: number; production: number },
): { mean: number; pValue: number; interval: Interval } {
  const a = foldScores(candidate, thresholds.candidate);
  const b = foldScores(production, thresholds.production);
  const diffs = a.map((f, i) => f[metric] - b[i]![metric]);
  const k = candidate.folds;
  // Each fold tests on 1/k of the rows and trains on (k−1)/k of them.
  return correctedResampledT(diffs, 1 / (k - 1));
}

export interface OperatingPointRule {
  rule: 'fixed' | 'sensitivity' | 'specificity' | 'youden';
  target: number | null;
}

/**
 * Chooses the decision threshold from out-of-fold predictions: the highest threshold whose
 * sensitivity (or specificity) meets the target, or the one maximising Youden's J; the fixed rule
 * returns its value.
 */
export function chooseThreshold(y: Uint8Array, p: Float64Array, rule: OperatingPointRule): number {
  if (rule.rule === 'fixed') return rule.target ?? 0.5;
  let youden = { j: Number.NEGATIVE_INFINITY, t: 0.5 };
  let sensitivityPick: number | null = null;
  let specificityPick: number | null = null;
  let lowest = 0.5;
  let highest: number | null = null;
  // Thresholds from the highest score down: sensitivity only grows, specificity only falls.
  sweepThresholds(y, p, (tp, fp, t, { positives, negatives }) => {
    highest ??= t;
    lowest = t;
    const sensitivity = positives ? tp / positives : 0;
    const specificity = negatives ? 1 - fp / negatives : 0;
    if (sensitivityPick === null && sensitivity >= rule.target!) sensitivityPick = t;
    if (specificity >= rule.target!) specificityPick = t;
    if (sensitivity + specificity - 1 > youden.j) youden = { j: sensitivity + specificity - 1, t };
  });
  if (rule.rule === 'sensitivity') return sensitivityPick ?? lowest;
  if (rule.rule === 'specificity') return specificityPick ?? highest ?? 0.5;
  return youden.t;
}

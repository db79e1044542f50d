import { seededRandom } from '../data/split.js';
import type { MetricKey } from './metric-catalog.js';
import type { Calibration, Confusion, Metrics, RocPoint } from './metrics-schema.js';
import {
  delongAuc,
  finiteInterval,
  type Interval,
  logitInterval,
  meanInterval,
  percentileInterval,
  type SortedByClass,
  sortedByClass,
  stratifiedBootstrap,
  wilson,
  Z95,
} from './statistics.js';

export {
  type Calibration,
  CalibrationSchema,
  type Confusion,
  ConfusionSchema,
  IntervalSchema,
  type Metrics,
  MetricsSchema,
  PrPointSchema,
  type RocPoint,
  RocPointSchema,
} from './metrics-schema.js';

const MAX_ROC_POINTS = 101;
const EPSILON = 1e-15;

/** One row's log loss, with the probability clipped so a confident miss costs ~34.5, not ∞. */
export function rowLogLoss(y: number, p: number): number {
  const clipped = Math.min(Math.max(p, EPSILON), 1 - EPSILON);
  return y ? -Math.log(clipped) : -Math.log(1 - clipped);
}

/**
 * Binary classification metrics at `threshold` (0.5 by default), threshold-free ROC AUC, average
 * precision, log loss and Brier score, a calibration summary, and a 95% interval for each:
 * Wilson for proportions, DeLong for ROC AUC, the logit interval for average precision, the
 * normal interval of the mean for the losses, and a seeded stratified bootstrap for F1.
 */
export function computeMetrics(
  y: Uint8Array,
  probabilities: Float64Array,
  threshold = 0.5,
): Metrics {
  const n = y.length;
  const confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const losses = new Float64Array(n);
  const squared = new Float64Array(n);
  let logLoss = 0;
  let brier = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    const predicted = p >= threshold;
    if (y[i]) predicted ? confusion.tp++ : confusion.fn++;
    else predicted ? confusion.fp++ : confusion.tn++;
    const loss = rowLogLoss(y[i]!, p);
    losses[i] = loss;
    logLoss += loss;
    squared[i] = (p - y[i]!) ** 2;
    brier += squared[i]!;
  }
  const { tp, fp, tn, fn } = confusion;
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const specificity = ratio(tn, tn + fp);
  const npv = ratio(tn, tn + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  // One sort serves ROC, precision-recall and DeLong: at a million rows each sort is ~100 ms.
  const sorted = sortedByClass(y, probabilities);
  const { auc, roc, ap, pr } = thinnedCurves(y, probabilities, sorted);
  const positives = tp + fn;
  const negatives = tn + fp;
  const balancedVar =
    ((recall * (1 - recall)) / (positives || 1) +
      (specificity * (1 - specificity)) / (negatives || 1)) /
    4;
  const balanced = (recall + specificity) / 2;
  const intervals: Record<string, [number | null, number | null]> = {
    accuracy: finiteInterval(wilson(tp + tn, n)),
    precision: finiteInterval(wilson(tp, tp + fp)),
    recall: finiteInterval(wilson(tp, positives)),
    specificity: finiteInterval(wilson(tn, negatives)),
    npv: finiteInterval(wilson(tn, tn + fn)),
    balancedAccuracy: finiteInterval([
      Math.max(0, balanced - Z95 * Math.sqrt(balancedVar)),
      Math.min(1, balanced + Z95 * Math.sqrt(balancedVar)),
    ]),
    rocAuc:
      positives && negatives
        ? finiteInterval(delongAuc(y, probabilities, sorted).interval)
        : [null, null],
    prAuc: finiteInterval(apInterval(y, probabilities, ap, positives)),
    logLoss: finiteInterval(meanInterval(losses).interval),
    brier: finiteInterval(meanInterval(squared).interval),
    f1: finiteInterval(f1Interval(confusion)),
  };
  return {
    rows: n,
    accuracy: (tp + tn) / n,
    precision,
    recall,
    f1,
    rocAuc: auc,
    logLoss: logLoss / n,
    confusion,
    roc,
    threshold,
    specificity,
    npv,
    balancedAccuracy: balanced,
    prAuc: ap,
    brier: brier / n,
    pr,
    calibration: calibrationSummary(y, probabilities),
    intervals,
  };
}

/**
 * Average precision's interval: a seeded stratified bootstrap up to 5,000 rows, where the logit
 * interval (Boyd, Eng & Page 2013) is far too wide near 1, and the logit interval above that,
 * where it is narrow and the bootstrap would cost seconds (measured: 1.8 s at 20,000 rows).
 */
function apInterval(y: Uint8Array, p: Float64Array, ap: number, positives: number): Interval {
  if (y.length > 5_000) return logitInterval(ap, positives);
  const replicates = stratifiedBootstrap(
    y,
    (rows) =>
      precisionRecallCurve(
        Uint8Array.from(rows, (r) => y[r]!),
        Float64Array.from(rows, (r) => p[r]!),
      ).ap,
    { replicates: 500, seed: 7 },
  );
  return percentileInterval(replicates);
}

/**
 * The smallest k with P(X ≤ k) ≥ u for X ~ Binomial(trials, p), p ≤ 0.5, by walking the mass
 * function up from P(X = 0) = (1 − p)^trials. Meant for a small mean (trials·p of at most ~50),
 * where that first term does not underflow and the walk is short.
 */
export function invertBinomial(trials: number, p: number, u: number): number {
  if (p <= 0) return 0;
  let mass = Math.exp(trials * Math.log1p(-p));
  let cumulative = mass;
  let k = 0;
  const odds = p / (1 - p);
  while (cumulative < u && k < trials) {
    mass *= ((trials - k) / (k + 1)) * odds;
    k++;
    cumulative += mass;
    // Past the mean the remaining mass is below double precision: stop at the top of the walk.
    if (mass === 0) break;
  }
  return k;
}

/**
 * F1's interval by a seeded parametric bootstrap of the confusion matrix: positives and negatives
 * are resampled as binomials with the observed rates (stratified), so it costs the same on a
 * million rows as on a hundred.
 */
function f1Interval(c: Confusion): Interval {
  const positives = c.tp + c.fn;
  const negatives = c.tn + c.fp;
  if (positives === 0) return [Number.NaN, Number.NaN];
  const random = seededRandom(20240601);
  const binomial = (trials: number, p: number) => {
    if (trials * p * (1 - p) > 25) {
      // Normal approximation (Box–Muller) where it is accurate, so large sets stay cheap.
      const u = Math.max(random(), 1e-300);
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
      return Math.min(
        trials,
        Math.max(0, Math.round(trials * p + z * Math.sqrt(trials * p * (1 - p)))),
      );
    }
    if (trials > 1000) {
      // Many trials but a rare outcome (e.g. a handful of false positives among 800,000
      // negatives): inversion walks the probability mass from 0, costing the outcome count, not
      // one draw per trial (measured: 4.6 s at 800,000 rows). Small sets keep the per-trial draws
      // below, so their intervals are unchanged.
      if (p > 0.5) return trials - invertBinomial(trials, 1 - p, random());
      return invertBinomial(trials, p, random());
    }
    let k = 0;
    for (let i = 0; i < trials; i++) if (random() < p) k++;
    return k;
  };
  const replicates = new Float64Array(1000);
  for (let r = 0; r < replicates.length; r++) {
    const tp = binomial(positives, c.tp / positives);
    const fp = negatives ? binomial(negatives, c.fp / negatives) : 0;
    const fn = positives - tp;
    replicates[r] = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return percentileInterval(replicates);
}

/**
 * Average precision (the area under the precision-recall step curve, as scikit-learn's
 * average_precision_score computes it) and the curve, from the highest score down; tied scores
 * form one step. Sorted with the native numeric sort and merged, like the ROC curve.
 */
export function precisionRecallCurve(
  y: Uint8Array,
  scores: Float64Array,
): { ap: number; pr: Array<{ recall: number; precision: number }> } {
  const pr: Array<{ recall: number; precision: number }> = [{ recall: 0, precision: 1 }];
  let ap = 0;
  let lastRecall = 0;
  const { positives } = sweepThresholds(y, scores, (tp, fp, _t, totals) => {
    const recall = tp / totals.positives;
    const precision = tp / (tp + fp);
    ap += (recall - lastRecall) * precision;
    lastRecall = recall;
    pr.push({ recall, precision });
  });
  return positives === 0 ? { ap: Number.NaN, pr: pr.slice(0, 1) } : { ap, pr };
}

/**
 * Walks the distinct scores from the highest down and calls `visit` with the cumulative true and
 * false positives at each (rows with score ≥ threshold). Positives' and negatives' scores are
 * sorted separately with the native numeric sort and merged, which is far faster on a million
 * rows than sorting indices with a comparator. ROC, precision–recall and threshold choice share it.
 */
export function sweepThresholds(
  y: Uint8Array,
  scores: Float64Array,
  visit: (
    tp: number,
    fp: number,
    threshold: number,
    totals: { positives: number; negatives: number },
  ) => void,
  /** sortedByClass(y, scores), when the caller already has it. */
  sorted: SortedByClass = sortedByClass(y, scores),
): { positives: number; negatives: number } {
  const { pos, neg } = sorted;
  const positives = pos.length;
  const negatives = neg.length;
  const totals = { positives, negatives };
  let tp = 0;
  let fp = 0;
  let a = positives - 1;
  let b = negatives - 1;
  while (a >= 0 || b >= 0) {
    const threshold = Math.max(
      a >= 0 ? pos[a]! : Number.NEGATIVE_INFINITY,
      b >= 0 ? neg[b]! : Number.NEGATIVE_INFINITY,
    );
    while (a >= 0 && pos[a] === threshold) {
      tp++;
      a--;
    }
    while (b >= 0 && neg[b] === threshold) {
      fp++;
      b--;
    }
    visit(tp, fp, threshold, totals);
  }
  return totals;
}

const CALIBRATION_BINS = 10;

/** Reliability curve in ten equal-width bins, and the logistic recalibration slope and intercept. */
export function calibrationSummary(y: Uint8Array, p: Float64Array): Calibration {
  const counts = new Float64Array(CALIBRATION_BINS);
  const sumP = new Float64Array(CALIBRATION_BINS);
  const sumY = new Float64Array(CALIBRATION_BINS);
  const logits = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const b = Math.min(CALIBRATION_BINS - 1, Math.floor(p[i]! * CALIBRATION_BINS));
    counts[b]!++;
    sumP[b]! += p[i]!;
    sumY[b]! += y[i]!;
    const c = Math.min(Math.max(p[i]!, 1e-12), 1 - 1e-12);
    logits[i] = Math.log(c / (1 - c));
  }
  const bins = Array.from({ length: CALIBRATION_BINS }, (_, b) => ({
    lower: b / CALIBRATION_BINS,
    upper: (b + 1) / CALIBRATION_BINS,
    count: counts[b]!,
    meanPredicted: counts[b] ? sumP[b]! / counts[b]! : null,
    observed: counts[b] ? sumY[b]! / counts[b]! : null,
  }));
  const fit = logisticOnLogit(y, logits);
  return { bins, slope: fit.slope, intercept: fit.intercept };
}

/**
 * Newton's method for y ~ a + b·logit(p) (the slope) and for y ~ a + offset(logit(p)) (the
 * intercept). Returns nulls when a fit does not converge, e.g. on perfectly separated rows.
 */
function logisticOnLogit(
  y: Uint8Array,
  z: Float64Array,
): { slope: number | null; intercept: number | null } {
  const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));
  // Two-parameter fit for the slope.
  let a = 0;
  let b = 1;
  let slope: number | null = null;
  for (let it = 0; it < 50; it++) {
    let g0 = 0;
    let g1 = 0;
    let h00 = 0;
    let h01 = 0;
    let h11 = 0;
    for (let i = 0; i < y.length; i++) {
      const mu = sigmoid(a + b * z[i]!);
      const r = y[i]! - mu;
      const w = mu * (1 - mu);
      g0 += r;
      g1 += r * z[i]!;
      h00 += w;
      h01 += w * z[i]!;
      h11 += w * z[i]! * z[i]!;
    }
    const det = h00 * h11 - h01 * h01;
    if (!(Math.abs(det) > 1e-12)) break;
    const da = (h11 * g0 - h01 * g1) / det;
    const db = (h00 * g1 - h01 * g0) / det;
    a += da;
    b += db;
    if (!Number.isFinite(a) || !Number.isFinite(b) || Math.abs(b) > 1e6) break;
    if (Math.abs(da) + Math.abs(db) < 1e-10) {
      slope = b;
      break;
    }
  }
  // Offset fit for calibration-in-the-large.
  let c = 0;
  let intercept: number | null = null;
  for (let it = 0; it < 50; it++) {
    let g = 0;
    let h = 0;
    for (let i = 0; i < y.length; i++) {
      const mu = sigmoid(c + z[i]!);
      g += y[i]! - mu;
      h += mu * (1 - mu);
    }
    if (!(h > 1e-12)) break;
    const dc = g / h;
    c += dc;
    if (!Number.isFinite(c)) break;
    if (Math.abs(dc) < 1e-10) {
      intercept = c;
      break;
    }
  }
  return { slope, intercept };
}

/**
 * ROC points from the highest threshold down; tied scores form one step, so AUC counts ties as
 * half. Positives' and negatives' scores are sorted separately with the native numeric sort and
 * merged, which is far faster on a million rows than sorting indices with a comparator.
 */
export function rocCurve(y: Uint8Array, scores: Float64Array): { auc: number; roc: RocPoint[] } {
  const roc: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Number.MAX_VALUE }];
  let auc = 0;
  let prevTpr = 0;
  let prevFpr = 0;
  const { positives, negatives } = sweepThresholds(y, scores, (tp, fp, threshold, totals) => {
    const tpr = totals.positives ? tp / totals.positives : 0;
    const fpr = totals.negatives ? fp / totals.negatives : 0;
    auc += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
    prevTpr = tpr;
    prevFpr = fpr;
    roc.push({ fpr, tpr, threshold });
  });
  return { auc: positives && negatives ? auc : Number.NaN, roc };
}

/**
 * rocCurve and precisionRecallCurve in one sweep, with the same arithmetic in the same order,
 * keeping the points in typed arrays and making objects only of the ones thinIndices keeps: a million
 * rows have up to a million distinct thresholds, and two million small objects were ~100 MB.
 */
function thinnedCurves(
  y: Uint8Array,
  scores: Float64Array,
  sorted: SortedByClass,
): { auc: number; roc: RocPoint[]; ap: number; pr: Array<{ recall: number; precision: number }> } {
  const size = y.length + 1;
  const fprs = new Float64Array(size);
  const tprs = new Float64Array(size);
  const thresholds = new Float64Array(size);
  const recalls = new Float64Array(size);
  const precisions = new Float64Array(size);
  thresholds[0] = Number.MAX_VALUE;
  precisions[0] = 1;
  let points = 1;
  let auc = 0;
  let prevTpr = 0;
  let prevFpr = 0;
  let ap = 0;
  let lastRecall = 0;
  const { positives, negatives } = sweepThresholds(
    y,
    scores,
    (tp, fp, threshold, totals) => {
      const tpr = totals.positives ? tp / totals.positives : 0;
      const fpr = totals.negatives ? fp / totals.negatives : 0;
      auc += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
      prevTpr = tpr;
      prevFpr = fpr;
      const recall = tp / totals.positives;
      const precision = tp / (tp + fp);
      ap += (recall - lastRecall) * precision;
      lastRecall = recall;
      fprs[points] = fpr;
      tprs[points] = tpr;
      thresholds[points] = threshold;
      recalls[points] = recall;
      precisions[points] = precision;
      points++;
    },
    sorted,
  );
  const roc = thinIndices(points, MAX_ROC_POINTS).map((i) => ({
    fpr: fprs[i]!,
    tpr: tprs[i]!,
    threshold: thresholds[i]!,
  }));
  const pr =
    positives === 0
      ? [{ recall: 0, precision: 1 }]
      : thinIndices(points, MAX_ROC_POINTS).map((i) => ({
          recall: recalls[i]!,
          precision: precisions[i]!,
        }));
  return {
    auc: positives && negatives ? auc : Number.NaN,
    roc,
    ap: positives === 0 ? Number.NaN : ap,
    pr,
  };
}

/**
 * The indices kept of `length` points: at most `max`, evenly spaced, always the first and last,
 * so artifacts stay small.
 */
function thinIndices(length: number, max: number): number[] {
  if (length <= max) return Array.from({ length }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k < max; k++) out.push(Math.round((k * (length - 1)) / (max - 1)));
  return out;
}

/**
 * One metric's value alone, without intervals or curves: what a bootstrap replicate needs, at a
 * fraction of `computeMetrics`' cost.
 */
export function metricValue(
  key: MetricKey,
  y: Uint8Array,
  p: Float64Array,
  threshold = 0.5,
): number {
  if (key === 'rocAuc') return rocCurve(y, p).auc;
  if (key === 'prAuc') return precisionRecallCurve(y, p).ap;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let loss = 0;
  for (let i = 0; i < y.length; i++) {
    const predicted = p[i]! >= threshold;
    if (y[i]) predicted ? tp++ : fn++;
    else predicted ? fp++ : tn++;
    if (key === 'brier') loss += (p[i]! - y[i]!) ** 2;
    else if (key === 'logLoss') loss += rowLogLoss(y[i]!, p[i]!);
  }
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  switch (key) {
    case 'accuracy':
      return (tp + tn) / y.length;
    case 'recall':
      return ratio(tp, tp + fn);
    case 'specificity':
      return ratio(tn, tn + fp);
    case 'precision':
      return ratio(tp, tp + fp);
    case 'npv':
      return ratio(tn, tn + fn);
    case 'f1':
      return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    case 'balancedAccuracy':
      return (ratio(tp, tp + fn) + ratio(tn, tn + fp)) / 2;
    default:
      return loss / y.length;
  }
}

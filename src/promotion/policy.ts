/**
 * The promotion policy: a pure function from the candidate's and production's predictions on the
 * same rows to a decision made of structured checks (numbers, intervals, p-values). It holds no
 * sentences; `src/report/decision.ts` words it, once, for every place that shows it.
 *
 * Defaults, and why (a diagnostic model, where a missed malignancy is the costly error):
 * - a paired test on the same rows is on, so a one-row difference on 114 rows cannot promote;
 * - sensitivity may not drop significantly, whatever the primary metric does;
 * - a tie never promotes, and a perfect production is compared on the secondary metric, so it can
 *   still be improved on (better calibrated probabilities) instead of blocking every candidate.
 */
import { z } from 'zod';
import type { PromotionPolicyConfig } from '../config/config.js';
import {
  improvement,
  METRIC_KEYS,
  type MetricKey,
  metricInfo,
  perfectValue,
} from '../evaluate/metric-catalog.js';
import { type Metrics, metricValue, rowLogLoss } from '../evaluate/metrics.js';
import {
  finiteInterval,
  type Interval,
  pairedDelong,
  pairedT,
  percentileInterval,
  stratifiedBootstrap,
  wilson,
} from '../evaluate/statistics.js';
import { mcnemarTest } from './mcnemar.js';

const CHECK_NAMES = [
  'minimum',
  'test-rows',
  'comparable',
  'perfect-production',
  'beats-production',
  'paired-test',
  'sensitivity-guardrail',
  'sensitivity-minimum',
  'recipe-comparison',
] as const;
const TESTS = [
  'mcnemar-exact',
  'delong',
  'paired-t',
  'paired-bootstrap',
  'corrected-resampled-t',
] as const;
const NOTES = [
  'tie',
  'no-production',
  'perfect-production',
  'not-comparable',
  'supporting',
] as const;
const Nullable = z.number().nullable();

export const CheckSchema = z.strictObject({
  name: z.enum(CHECK_NAMES),
  passed: z.boolean(),
  metric: z.enum(METRIC_KEYS).nullable(),
  candidate: Nullable,
  production: Nullable,
  /** candidate − production, raw; `direction` says which sign is better. */
  delta: Nullable,
  direction: z.enum(['higher', 'lower']).nullable(),
  /** The bar a value is held to (a minimum, a maximum, α, or a row count). */
  threshold: Nullable,
  pValue: Nullable,
  /** 95% interval: of the candidate's value, or of the paired difference for tests. */
  interval: z.tuple([Nullable, Nullable]).nullable(),
  test: z.enum(TESTS).nullable(),
  note: z.enum(NOTES).nullable(),
  /** Rows a check used, when it is a subset (e.g. the positives for sensitivity). */
  rows: z.number().int().nullable(),
  /** Columns production needs that the data lacks, for `comparable`. */
  missing: z.array(z.string()).nullable(),
});
export type Check = z.infer<typeof CheckSchema>;

export const DecisionSchema = z.strictObject({
  promote: z.boolean(),
  /** `not-comparable`: production cannot be scored on these rows; only a replacement can help. */
  outcome: z.enum(['promote', 'keep', 'not-comparable']),
  metric: z.enum(METRIC_KEYS),
  /** The metric production was compared on: the primary one, or the secondary when it is perfect. */
  comparedOn: z.enum(METRIC_KEYS),
  candidate: z.strictObject({ version: z.number().int().nullable(), value: z.number() }),
  /** Production's value on the primary metric; null when it could not be scored here. */
  production: z
    .strictObject({ version: z.number().int(), value: z.number().nullable() })
    .nullable(),
  alpha: z.number(),
  /** Both models were scored on these rows: the held-out part of the default branch's split. */
  evaluatedOn: z.strictObject({
    rows: z.number().int(),
    testRowsHash: z.string(),
    dataSha256: z.string(),
  }),
  checks: z.array(CheckSchema),
});
export type PromotionDecision = z.infer<typeof DecisionSchema>;

export interface ScoredModel {
  probabilities: Float64Array;
  metrics: Metrics;
  threshold: number;
}

export interface PolicyInput {
  policy: PromotionPolicyConfig;
  /** Labels of the rows both models were scored on. */
  y: Uint8Array;
  candidate: ScoredModel & { version: number | null };
  /** Production on the same rows, null when there is none, or why it cannot be scored. */
  production: (ScoredModel & { version: number }) | { version: number; missing: string[] } | null;
  evaluatedOn: { rows: number; testRowsHash: string; dataSha256: string };
  /**
   * The two recipes retrained on the same cross-validation folds of the training rows (run when
   * the held-out set is small): supporting evidence, shown beside the held-out test that decides.
   */
  recipeComparison?: {
    metric: MetricKey;
    mean: number;
    pValue: number;
    interval: Interval;
    folds: number;
    repeats: number;
  } | null;
}

const blank = (name: Check['name'], passed: boolean): Check => ({
  name,
  passed,
  metric: null,
  candidate: null,
  production: null,
  delta: null,
  direction: null,
  threshold: null,
  pValue: null,
  interval: null,
  test: null,
  note: null,
  rows: null,
  missing: null,
});

const interval = (i: Interval | [number | null, number | null] | undefined) =>
  i ? finiteInterval(i) : null;
const value = (m: Metrics, key: MetricKey) => (m[key] as number | undefined) ?? Number.NaN;
/** Rounds away float noise, so equal scores tie rather than differ by 1e-17. */
const round = (x: number) => Math.round(x * 1e12) / 1e12;

function correct(y: Uint8Array, p: Float64Array, threshold: number): Uint8Array {
  const out = new Uint8Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = (p[i]! >= threshold ? 1 : 0) === y[i] ? 1 : 0;
  return out;
}

/** Exact McNemar on the rows `keep` selects: b = only the candidate right, c = only production. */
function mcnemarOn(
  cand: Uint8Array,
  prod: Uint8Array,
  keep: (i: number) => boolean,
): { b: number; c: number; pValue: number; rows: number } {
  let b = 0;
  let c = 0;
  let rows = 0;
  for (let i = 0; i < cand.length; i++) {
    if (!keep(i)) continue;
    rows++;
    if (cand[i] && !prod[i]) b++;
    else if (!cand[i] && prod[i]) c++;
  }
  return { b, c, pValue: mcnemarTest(b, c).pValue, rows };
}

function losses(key: 'logLoss' | 'brier', y: Uint8Array, p: Float64Array): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    if (key === 'brier') out[i] = (p[i]! - y[i]!) ** 2;
    else out[i] = rowLogLoss(y[i]!, p[i]!);
  }
  return out;
}

/** The paired test that fits a metric, on the same rows: its p-value and the difference's interval. */
function pairedTest(
  key: MetricKey,
  input: PolicyInput,
  prod: ScoredModel,
): { test: Check['test']; pValue: number; interval: Interval } {
  const { y, candidate } = input;
  if (key === 'accuracy' || key === 'recall' || key === 'specificity') {
    const cand = correct(y, candidate.probabilities, candidate.threshold);
    const base = correct(y, prod.probabilities, prod.threshold);
    const keep =
      key === 'recall'
        ? (i: number) => y[i] === 1
        : key === 'specificity'
          ? (i: number) => y[i] === 0
          : () => true;
    const t = mcnemarOn(cand, base, keep);
    // The interval of the paired difference in proportions (Wald, for display; the test is exact).
    const n = t.rows;
    const d = (t.b - t.c) / (n || 1);
    const se = Math.sqrt(Math.max(0, (t.b + t.c) / (n || 1) - d * d) / (n || 1));
    return { test: 'mcnemar-exact', pValue: t.pValue, interval: [d - 1.96 * se, d + 1.96 * se] };
  }
  if (key === 'rocAuc') {
    const t = pairedDelong(y, candidate.probabilities, prod.probabilities);
    return { test: 'delong', pValue: t.pValue, interval: t.interval };
  }
  if (key === 'logLoss' || key === 'brier') {
    const a = losses(key, y, candidate.probabilities);
    const b = losses(key, y, prod.probabilities);
    const diff = new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) diff[i] = a[i]! - b[i]!;
    const t = pairedT(diff);
    return { test: 'paired-t', pValue: t.pValue, interval: t.interval };
  }
  // No closed form: a seeded, stratified paired bootstrap of the difference.
  const sub = (p: Float64Array, rows: Uint32Array) => Float64Array.from(rows, (r) => p[r]!);
  const diffs = stratifiedBootstrap(
    y,
    (rows) => {
      const yy = Uint8Array.from(rows, (r) => y[r]!);
      const c = computeMetricValue(
        key,
        yy,
        sub(candidate.probabilities, rows),
        candidate.threshold,
      );
      const p = computeMetricValue(key, yy, sub(prod.probabilities, rows), prod.threshold);
      return c - p;
    },
    { replicates: 1000, seed: 12345 },
  );
  const better = improvement(key, 1, 0) > 0 ? (d: number) => d > 0 : (d: number) => d < 0;
  let worseOrEqual = 0;
  for (const d of diffs) if (!better(d)) worseOrEqual++;
  // Two-sided bootstrap p-value: twice the smaller tail, with the +1 correction.
  const tail = Math.min(worseOrEqual, diffs.length - worseOrEqual);
  return {
    test: 'paired-bootstrap',
    pValue: Math.min(1, (2 * (tail + 1)) / (diffs.length + 1)),
    interval: percentileInterval(diffs),
  };
}

const computeMetricValue = (key: MetricKey, y: Uint8Array, p: Float64Array, threshold: number) =>
  metricValue(key, y, p, threshold);

/** Applies the policy. */
export function promotionDecision(input: PolicyInput): PromotionDecision {
  const { policy, candidate } = input;
  const metric = policy.metric;
  const info = metricInfo(metric);
  const alpha = policy.pairedTest.alpha;
  const checks: Check[] = [];
  const candValue = value(candidate.metrics, metric);
  const bar = policy.minimum ?? (info.direction === 'higher' ? 0.8 : null);
  if (bar !== null) {
    const passes = info.direction === 'higher' ? candValue >= bar : candValue <= bar;
    checks.push({
      ...blank('minimum', passes),
      metric,
      candidate: candValue,
      direction: info.direction,
      threshold: bar,
      interval: interval(candidate.metrics.intervals?.[metric]),
    });
  }
  checks.push({
    ...blank('test-rows', input.evaluatedOn.rows >= policy.minTestRows),
    candidate: input.evaluatedOn.rows,
    threshold: policy.minTestRows,
  });

  const production = input.production;
  let comparedOn: MetricKey = metric;
  let outcome: PromotionDecision['outcome'] = 'keep';
  let prodSummary: PromotionDecision['production'] = null;
  if (production === null) {
    checks.push({ ...blank('beats-production', true), note: 'no-production' });
  } else if ('missing' in production) {
    checks.push({
      ...blank('comparable', false),
      note: 'not-comparable',
      missing: production.missing,
    });
    prodSummary = { version: production.version, value: null };
    outcome = 'not-comparable';
  } else {
    const prodValue = value(production.metrics, metric);
    prodSummary = { version: production.version, value: prodValue };
    // A perfect production cannot be beaten on its own metric: compare on the secondary one.
    if (round(improvement(metric, perfectValue(metric), prodValue)) === 0) {
      comparedOn = policy.secondaryMetric;
      checks.push({
        ...blank('perfect-production', true),
        metric,
        production: prodValue,
        note: 'perfect-production',
      });
    }
    const c = value(candidate.metrics, comparedOn);
    const p = value(production.metrics, comparedOn);
    const better = round(improvement(comparedOn, c, p));
    checks.push({
      ...blank('beats-production', better > 0 && better >= policy.minImprovement),
      metric: comparedOn,
      candidate: c,
      production: p,
      delta: c - p,
      direction: metricInfo(comparedOn).direction,
      threshold: policy.minImprovement,
      note: better === 0 ? 'tie' : null,
      rows: input.evaluatedOn.rows,
    });
    if (policy.pairedTest.enabled) {
      const t = pairedTest(comparedOn, input, production);
      checks.push({
        ...blank('paired-test', t.pValue < alpha && better > 0),
        metric: comparedOn,
        candidate: c,
        production: p,
        delta: c - p,
        direction: metricInfo(comparedOn).direction,
        threshold: alpha,
        pValue: t.pValue,
        interval: interval(t.interval),
        test: t.test,
      });
    }
    const guard = policy.guardrails.sensitivity;
    if (guard.noSignificantDrop) {
      const cand = correct(input.y, candidate.probabilities, candidate.threshold);
      const base = correct(input.y, production.probabilities, production.threshold);
      const t = mcnemarOn(cand, base, (i) => input.y[i] === 1);
      const dropped = t.c > t.b && t.pValue < alpha;
      checks.push({
        ...blank('sensitivity-guardrail', !dropped),
        metric: 'recall',
        candidate: candidate.metrics.recall,
        production: production.metrics.recall,
        delta: candidate.metrics.recall - production.metrics.recall,
        direction: 'higher',
        threshold: alpha,
        pValue: t.pValue,
        test: 'mcnemar-exact',
        rows: t.rows,
      });
    }
  }
  const minimumSensitivity = policy.guardrails.sensitivity.minimum;
  if (minimumSensitivity !== null) {
    const tp = candidate.metrics.confusion.tp;
    const positives = tp + candidate.metrics.confusion.fn;
    checks.push({
      ...blank('sensitivity-minimum', candidate.metrics.recall >= minimumSensitivity),
      metric: 'recall',
      candidate: candidate.metrics.recall,
      direction: 'higher',
      threshold: minimumSensitivity,
      interval: interval(wilson(tp, positives)),
      rows: positives,
    });
  }
  const recipes = input.recipeComparison;
  if (recipes) {
    checks.push({
      ...blank('recipe-comparison', true),
      metric: recipes.metric,
      delta: recipes.mean,
      direction: metricInfo(recipes.metric).direction,
      threshold: alpha,
      pValue: recipes.pValue,
      interval: interval(recipes.interval),
      test: 'corrected-resampled-t',
      note: 'supporting',
      rows: recipes.folds * recipes.repeats,
    });
  }
  const promote = outcome !== 'not-comparable' && checks.every((c) => c.passed);
  return {
    promote,
    outcome: outcome === 'not-comparable' ? outcome : promote ? 'promote' : 'keep',
    metric,
    comparedOn,
    candidate: { version: candidate.version, value: candValue },
    production: prodSummary,
    alpha,
    evaluatedOn: input.evaluatedOn,
    checks,
  };
}

/** The decision once the candidate has its registry version (CI decides before registering). */
export function decisionForVersion(
  decision: PromotionDecision,
  version: number,
): PromotionDecision {
  return { ...decision, candidate: { ...decision.candidate, version } };
}

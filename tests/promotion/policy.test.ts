import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { computeMetrics } from '../../src/evaluate/metrics.js';
import { mcnemarTest } from '../../src/promotion/mcnemar.js';
import { type PromotionDecision, promotionDecision } from '../../src/promotion/policy.js';
import {
  checkSentence,
  decisionHeadline,
  decisionMarkdown,
  deltaWords,
} from '../../src/report/decision.js';

const base = {
  schemaVersion: 1,
  model: { name: 'm' },
  data: { path: 'x', target: 'y', positiveClass: 'p' },
};
const policy = (promotion: object = {}) => parseConfig({ ...base, promotion }).promotion;

/** 114 rows like WDBC's held-out part: 42 positives, 72 negatives. */
const Y = Uint8Array.from({ length: 114 }, (_, i) => (i < 42 ? 1 : 0));
/**
 * A model whose predictions are wrong exactly on `wrong` rows, with probabilities a little away
 * from the threshold (`margin`), so log loss and Brier differ between otherwise equal models.
 */
function model(wrong: Iterable<number>, margin = 0.3, version = 1) {
  const bad = new Set(wrong);
  const probabilities = Float64Array.from(Y, (y, i) => {
    const right = !bad.has(i);
    const p = 0.5 + margin;
    return y ? (right ? p : 1 - p) : right ? 1 - p : p;
  });
  return { version, probabilities, metrics: computeMetrics(Y, probabilities), threshold: 0.5 };
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const evaluatedOn = { rows: 114, testRowsHash: 'sha256:t', dataSha256: 'sha256:d' };
const decide = (
  candidate: ReturnType<typeof model>,
  production: ReturnType<typeof model> | { version: number; missing: string[] } | null,
  promotion: object = {},
  rows = 114,
): PromotionDecision =>
  promotionDecision({
    policy: policy(promotion),
    y: Y,
    candidate: { ...candidate, version: 2 },
    production,
    evaluatedOn: { ...evaluatedOn, rows },
  });
const check = (d: PromotionDecision, name: string) => d.checks.find((c) => c.name === name)!;

describe('promotion policy', () => {
  it('promotes the first model that reaches the minimum when there is no production yet', () => {
    const d = decide(model([1, 50, 60]), null);
    expect(d.promote).toBe(true);
    expect(d.checks.map((c) => c.name)).toEqual(['minimum', 'test-rows', 'beats-production']);
    expect(check(d, 'minimum').interval![0]).toBeLessThan(check(d, 'minimum').candidate!);
    expect(decisionHeadline(d)).toBe('Promote v2: no production version yet');
  });

  it('refuses a candidate below the absolute minimum, and one judged on too few rows', () => {
    const weak = decide(model(range(0, 30)), null);
    expect(weak.promote).toBe(false);
    expect(checkSentence(check(weak, 'minimum'), weak)).toMatch(
      /^accuracy 0\.7368 \(95% CI 0\.\d{4}–0\.\d{4}\) < minimum 0\.8000$/,
    );
    const tiny = decide(model([]), model([3]), {}, 12);
    expect(check(tiny, 'test-rows')).toMatchObject({ passed: false, candidate: 12, threshold: 50 });
  });

  it('does not promote noise: one row better of 114 fails the paired test', () => {
    // The measured case: 0.9737 vs 0.9649 on the same 114 rows is one row.
    const d = decide(model([1, 2, 60]), model([1, 2, 60, 61]));
    expect(check(d, 'beats-production').passed).toBe(true);
    expect(check(d, 'paired-test')).toMatchObject({
      passed: false,
      test: 'mcnemar-exact',
      pValue: 1,
    });
    expect(d.promote).toBe(false);
    expect(decisionHeadline(d)).toContain('the difference could be noise');
  });

  it('promotes a clear paired improvement', () => {
    const d = decide(model([1]), model(range(50, 62)));
    expect(check(d, 'paired-test').pValue).toBeCloseTo(mcnemarTest(12, 1).pValue, 12);
    expect(d.promote).toBe(true);
    expect(d.outcome).toBe('promote');
  });

  it('treats a tie as no promotion, whatever the test', () => {
    const d = decide(model([1, 70]), model([2, 71]));
    expect(check(d, 'beats-production')).toMatchObject({ passed: false, note: 'tie' });
    expect(d.promote).toBe(false);
  });

  it('guards sensitivity: higher accuracy with significantly more missed positives is refused', () => {
    // The candidate misses 10 positives production catches, but gets 35 negatives production misses.
    const d = decide(model(range(0, 10)), model(range(50, 85)));
    expect(check(d, 'beats-production').passed).toBe(true);
    expect(check(d, 'paired-test').passed).toBe(true);
    expect(check(d, 'sensitivity-guardrail')).toMatchObject({
      passed: false,
      rows: 42,
      test: 'mcnemar-exact',
    });
    expect(d.promote).toBe(false);
    expect(decisionHeadline(d)).toContain('a significant drop in sensitivity, the costly error');
  });

  it('applies an optional minimum sensitivity at the operating threshold', () => {
    const d = decide(model(range(0, 5)), null, { guardrails: { sensitivity: { minimum: 0.95 } } });
    expect(check(d, 'sensitivity-minimum')).toMatchObject({
      passed: false,
      threshold: 0.95,
      rows: 42,
    });
  });

  it('compares a perfect production on the secondary metric, so it can still be improved on', () => {
    // Both are right on every row; the candidate is far more confident where it is right.
    const d = decide(model([], 0.45), model([], 0.1));
    expect(check(d, 'perfect-production')).toMatchObject({
      passed: true,
      metric: 'accuracy',
      production: 1,
    });
    expect(d.comparedOn).toBe('logLoss');
    expect(check(d, 'beats-production')).toMatchObject({
      metric: 'logLoss',
      passed: true,
      direction: 'lower',
    });
    expect(check(d, 'paired-test').test).toBe('paired-t');
    expect(d.promote).toBe(true);
  });

  it('ranks on a lower-is-better metric, with deltas worded as better and worse', () => {
    const d = decide(model([1], 0.2), model([1], 0.4), { metric: 'logLoss', minimum: 0.7 });
    expect(check(d, 'minimum')).toMatchObject({ passed: true, direction: 'lower', threshold: 0.7 });
    expect(check(d, 'beats-production').passed).toBe(false);
    expect(checkSentence(check(d, 'beats-production'), d)).toMatch(/worse \(lower is better\)/);
    expect(deltaWords('logLoss', 0.0194)).toBe('0.0194 worse (lower is better)');
    expect(deltaWords('accuracy', 0.0088)).toBe('0.0088 better');
  });

  it("uses DeLong's test for ROC AUC and a paired bootstrap for F1", () => {
    expect(check(decide(model([1]), model(range(50, 62))), 'paired-test').test).toBe(
      'mcnemar-exact',
    );
    const auc = decide(model([1]), model(range(50, 62)), { metric: 'rocAuc' });
    expect(check(auc, 'paired-test').test).toBe('delong');
    const f1 = decide(model([1]), model(range(20, 40)), { metric: 'f1' });
    expect(check(f1, 'paired-test')).toMatchObject({ test: 'paired-bootstrap', passed: true });
  });

  it('says "not comparable" and names the columns production needs that the data lacks', () => {
    const d = decide(model([1]), { version: 1, missing: ['mean radius'] });
    expect(d).toMatchObject({
      promote: false,
      outcome: 'not-comparable',
      production: { version: 1, value: null },
    });
    expect(decisionHeadline(d)).toContain('the data lacks mean radius');
  });

  it('renders once, without stutter, and holds no sentences in the data', () => {
    const d = decide(model([1]), model(range(50, 62)));
    const text = decisionMarkdown(d);
    expect(text.split('\n')[0]).toMatch(
      /^✅ \*\*Promote\*\*: accuracy 0\.9912 vs production v1 0\.8947 \(0\.0965 better, p = 0\.0034\)\.$/,
    );
    expect(text).not.toContain('Promote: Promote');
    expect(JSON.stringify(d)).not.toMatch(/ vs | better| worse/);
  });

  it('computes the exact McNemar p-value at any count', () => {
    expect(mcnemarTest(10, 2).pValue).toBeCloseTo(0.03857421875, 12);
    expect(mcnemarTest(0, 0).pValue).toBe(1);
    // Large counts stay exact: the two-sided tail of Binomial(120, 0.5) at 45.
    expect(mcnemarTest(45, 75).pValue).toBeCloseTo(0.007846593122439722, 12);
  });

  it('refuses the old mcnemar key with the name of its replacement', () => {
    expect(() => parseConfig({ ...base, promotion: { mcnemar: { enabled: true } } })).toThrow(
      'promotion.mcnemar was replaced by promotion.pairedTest',
    );
  });
});

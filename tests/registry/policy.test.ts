import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { mcnemarTest } from '../../src/registry/mcnemar.js';
import { promotionDecision } from '../../src/registry/policy.js';

const base = {
  schemaVersion: 1,
  model: { name: 'm' },
  data: { path: 'x', target: 'y', positiveClass: 'p' },
};
const policy = (promotion: object = {}) => parseConfig({ ...base, promotion }).promotion;
const rows = (n: number, correct: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i < correct ? 1 : 0));
const evaluatedOn = { rows: 100, testRowsHash: 'sha256:t', dataSha256: 'sha256:d' };

describe('promotion policy', () => {
  it('promotes the first model that reaches the minimum when there is no production yet', () => {
    const d = promotionDecision({
      policy: policy(),
      candidate: { version: 1, value: 0.9, correct: rows(100, 90) },
      production: null,
      evaluatedOn,
    });
    expect(d.promote).toBe(true);
    expect(d.checks.map((c) => c.name)).toEqual(['minimum', 'test-rows', 'beats-production']);
    expect(d.summary).toMatch(/^Promote v1:/);
  });

  it('refuses a candidate below the absolute minimum even without production', () => {
    const d = promotionDecision({
      policy: policy(),
      candidate: { version: 1, value: 0.79, correct: rows(100, 79) },
      production: null,
      evaluatedOn,
    });
    expect(d.promote).toBe(false);
    expect(d.summary).toContain('candidate accuracy 0.7900 < minimum 0.8000');
  });

  it('refuses a candidate judged on fewer held-out rows than the policy minimum', () => {
    const d = promotionDecision({
      policy: policy(),
      candidate: { version: 2, value: 11 / 12, correct: rows(12, 11) },
      production: { version: 1, value: 10 / 12, correct: rows(12, 10) },
      evaluatedOn: { ...evaluatedOn, rows: 12 },
    });
    expect(d.promote).toBe(false);
    expect(d.checks.find((c) => c.name === 'test-rows')).toMatchObject({
      passed: false,
      detail: '12 held-out rows < minimum 50',
    });
  });

  it('treats a tie as no promotion', () => {
    const d = promotionDecision({
      policy: policy(),
      candidate: { version: 2, value: 0.95, correct: rows(100, 95) },
      production: { version: 1, value: 0.95, correct: rows(100, 95) },
      evaluatedOn,
    });
    expect(d.promote).toBe(false);
    expect(d.delta).toBe(0);
    expect(d.summary).toContain('tie with production v1');
  });

  it('ignores float noise that would otherwise make a tie look like a win', () => {
    const d = promotionDecision({
      policy: policy(),
      candidate: { version: 2, value: 0.1 + 0.2, correct: rows(10, 3) },
      production: { version: 1, value: 0.3, correct: rows(10, 3) },
      evaluatedOn,
    });
    expect(d.promote).toBe(false);
  });

  it('requires the minimum improvement', () => {
    const input = {
      candidate: { version: 2, value: 0.96, correct: rows(100, 96) },
      production: { version: 1, value: 0.95, correct: rows(100, 95) },
      evaluatedOn,
    };
    expect(promotionDecision({ ...input, policy: policy({ minImprovement: 0.02 }) }).promote).toBe(
      false,
    );
    expect(promotionDecision({ ...input, policy: policy({ minImprovement: 0.01 }) }).promote).toBe(
      true,
    );
  });

  it('with McNemar on, does not promote a small paired difference that could be noise', () => {
    const production = rows(100, 95);
    const candidate = rows(100, 96);
    const d = promotionDecision({
      policy: policy({ mcnemar: { enabled: true, alpha: 0.05 } }),
      candidate: { version: 2, value: 0.96, correct: candidate },
      production: { version: 1, value: 0.95, correct: production },
      evaluatedOn,
    });
    expect(d.promote).toBe(false);
    expect(d.mcnemar).toMatchObject({ b: 1, c: 0, significant: false });
  });

  it('with McNemar on, promotes a clear paired improvement', () => {
    const production = rows(200, 150);
    const candidate = rows(200, 190);
    const d = promotionDecision({
      policy: policy({ mcnemar: { enabled: true } }),
      candidate: { version: 2, value: 0.95, correct: candidate },
      production: { version: 1, value: 0.75, correct: production },
      evaluatedOn,
    });
    expect(d.promote).toBe(true);
    expect(d.mcnemar!.pValue).toBeLessThan(1e-6);
  });
});

describe('McNemar test', () => {
  it('matches the exact binomial p-value for small counts', () => {
    // b = 1, c = 6: two-sided exact p = 2 × (1 + 7) / 128 = 0.125
    expect(mcnemarTest(1, 6).pValue).toBeCloseTo(0.125, 10);
    expect(mcnemarTest(0, 0).pValue).toBe(1);
  });

  it('uses the continuity-corrected chi-square for large counts', () => {
    // (|60 - 30| - 1)² / 90 = 9.344…, p ≈ 0.00224
    const t = mcnemarTest(60, 30);
    expect(t.exact).toBe(false);
    expect(t.statistic).toBeCloseTo(841 / 90, 10);
    expect(t.pValue).toBeCloseTo(0.002237, 4);
  });
});

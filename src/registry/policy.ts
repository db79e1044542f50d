import { z } from 'zod';
import type { PolicyMetric, PromotionPolicyConfig } from '../config/config.js';
import { mcnemarTest } from './mcnemar.js';

export const CheckSchema = z.strictObject({
  name: z.string(),
  passed: z.boolean(),
  detail: z.string(),
});

export const DecisionSchema = z.strictObject({
  promote: z.boolean(),
  metric: z.string(),
  candidate: z.strictObject({ version: z.number().int().nullable(), value: z.number() }),
  production: z.strictObject({ version: z.number().int(), value: z.number() }).nullable(),
  delta: z.number().nullable(),
  minimum: z.number(),
  minImprovement: z.number(),
  minTestRows: z.number().int().optional(),
  /** Both models were scored on these rows: the candidate's own held-out test part. */
  evaluatedOn: z.strictObject({
    rows: z.number().int(),
    testRowsHash: z.string(),
    dataSha256: z.string(),
  }),
  mcnemar: z
    .strictObject({
      b: z.number().int(),
      c: z.number().int(),
      pValue: z.number(),
      alpha: z.number(),
      significant: z.boolean(),
    })
    .nullable(),
  checks: z.array(CheckSchema),
  summary: z.string(),
});
export type PromotionDecision = z.infer<typeof DecisionSchema>;

export interface PolicyInput {
  policy: PromotionPolicyConfig;
  candidate: { version: number | null; value: number; correct: Uint8Array };
  /** The production model scored on the candidate's test rows, or null when there is none. */
  production: { version: number; value: number; correct: Uint8Array } | null;
  evaluatedOn: { rows: number; testRowsHash: string; dataSha256: string };
}

const fmt = (x: number) => x.toFixed(4);

/**
 * The promotion policy. A candidate is promoted when it reaches the absolute minimum and, if there
 * is a production model, beats it on the same rows by more than zero and at least the minimum
 * improvement (a tie never promotes). With McNemar enabled, the paired difference must also be
 * significant at alpha, so noise alone cannot promote.
 */
export function promotionDecision(input: PolicyInput): PromotionDecision {
  const { policy, candidate, production } = input;
  const metric: PolicyMetric = policy.metric;
  const checks: PromotionDecision['checks'] = [];
  checks.push({
    name: 'minimum',
    passed: candidate.value >= policy.minimum,
    detail: `candidate ${metric} ${fmt(candidate.value)} ${candidate.value >= policy.minimum ? '≥' : '<'} minimum ${fmt(policy.minimum)}`,
  });
  checks.push({
    name: 'test-rows',
    passed: input.evaluatedOn.rows >= policy.minTestRows,
    detail: `${input.evaluatedOn.rows} held-out rows ${input.evaluatedOn.rows >= policy.minTestRows ? '≥' : '<'} minimum ${policy.minTestRows}`,
  });
  let delta: number | null = null;
  let mcnemar: PromotionDecision['mcnemar'] = null;
  if (production) {
    delta = candidate.value - production.value;
    // Round away float noise so that equal scores are a tie rather than a 1e-17 "improvement".
    const d = Math.round(delta * 1e12) / 1e12;
    const beats = d > 0 && d >= policy.minImprovement;
    checks.push({
      name: 'beats-production',
      passed: beats,
      detail:
        d === 0
          ? `tie with production v${production.version} (${fmt(production.value)}); a tie does not promote`
          : `${metric} ${fmt(candidate.value)} vs production v${production.version} ${fmt(production.value)} on the same ${input.evaluatedOn.rows} rows: Δ ${d >= 0 ? '+' : ''}${fmt(d)}${policy.minImprovement > 0 ? `, needs ≥ +${fmt(policy.minImprovement)}` : ''}`,
    });
    if (policy.mcnemar.enabled) {
      let b = 0;
      let c = 0;
      for (let i = 0; i < candidate.correct.length; i++) {
        if (candidate.correct[i] && !production.correct[i]) b++;
        else if (!candidate.correct[i] && production.correct[i]) c++;
      }
      const test = mcnemarTest(b, c);
      const significant = test.pValue < policy.mcnemar.alpha && b > c;
      mcnemar = { b, c, pValue: test.pValue, alpha: policy.mcnemar.alpha, significant };
      checks.push({
        name: 'mcnemar',
        passed: significant,
        detail: `McNemar: candidate alone right on ${b} rows, production alone on ${c}; p = ${test.pValue.toPrecision(3)} ${significant ? '<' : '≥'} α ${policy.mcnemar.alpha}`,
      });
    }
  } else {
    checks.push({
      name: 'beats-production',
      passed: true,
      detail: 'no production version yet; the first passing model is promoted',
    });
  }
  const promote = checks.every((c) => c.passed);
  const failed = checks.filter((c) => !c.passed).map((c) => c.detail);
  const summary = promote
    ? `Promote${candidate.version ? ` v${candidate.version}` : ''}: ${checks.map((c) => c.detail).join('; ')}.`
    : `Keep ${production ? `production v${production.version}` : 'no production'}: ${failed.join('; ')}.`;
  return {
    promote,
    metric,
    candidate: { version: candidate.version, value: candidate.value },
    production: production ? { version: production.version, value: production.value } : null,
    delta,
    minimum: policy.minimum,
    minImprovement: policy.minImprovement,
    minTestRows: policy.minTestRows,
    evaluatedOn: input.evaluatedOn,
    mcnemar,
    checks,
    summary,
  };
}

/**
 * The decision once the candidate has its registry version (CI and the pipeline decide before
 * registering): the version goes into `candidate` and into the summary's "Promote vN:" prefix.
 */
export function decisionForVersion(
  decision: PromotionDecision,
  version: number,
): PromotionDecision {
  return {
    ...decision,
    candidate: { ...decision.candidate, version },
    summary: decision.summary.replace(/^Promote( v\d+)?:/, `Promote v${version}:`),
  };
}

/**
 * The one place a promotion decision becomes words: the CLI, the job summary, the PR body, the
 * review comments and the registry history all call these, so they say the same thing the same
 * way. Every delta says "better" or "worse"; a sign alone never carries the meaning.
 */
import { type MetricKey, metricInfo } from '../evaluate/metric-catalog.js';
import type { Check, PromotionDecision } from '../promotion/policy.js';

export const f4 = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : Number.isFinite(x) ? x.toFixed(4) : String(x);

const pFormat = (p: number | null) =>
  p === null ? '—' : p < 0.0001 ? '< 0.0001' : p.toPrecision(2).replace(/e.*$/, '');

const ci = (i: Check['interval']) =>
  i && i[0] !== null && i[1] !== null ? ` (95% CI ${f4(i[0])}–${f4(i[1])})` : '';

const TEST_NAMES: Record<NonNullable<Check['test']>, string> = {
  'mcnemar-exact': 'exact McNemar test',
  delong: "DeLong's test",
  'paired-t': 'paired t-test',
  'paired-bootstrap': 'paired bootstrap',
  'corrected-resampled-t': "Nadeau and Bengio's corrected resampled t-test",
};

/** "+0.0088 better" or "0.0194 worse (lower is better)": the delta in the metric's own terms. */
export function deltaWords(metric: MetricKey, delta: number): string {
  const { direction } = metricInfo(metric);
  const rounded = Math.round(delta * 1e12) / 1e12;
  if (rounded === 0) return 'no difference';
  const better = direction === 'higher' ? rounded > 0 : rounded < 0;
  const hint = direction === 'lower' ? ' (lower is better)' : '';
  return `${Math.abs(rounded).toFixed(4)} ${better ? 'better' : 'worse'}${hint}`;
}

const label = (m: MetricKey | null) => (m ? metricInfo(m).label : '');

/** One check as one sentence, with its numbers. */
export function checkSentence(c: Check, d: PromotionDecision): string {
  const prod = d.production ? `production v${d.production.version}` : 'production';
  switch (c.name) {
    case 'minimum': {
      const op = c.direction === 'lower' ? (c.passed ? '≤' : '>') : c.passed ? '≥' : '<';
      return `${label(c.metric)} ${f4(c.candidate)}${ci(c.interval)} ${op} ${c.direction === 'lower' ? 'maximum' : 'minimum'} ${f4(c.threshold)}`;
    }
    case 'test-rows':
      return `${c.candidate} held-out rows ${c.passed ? '≥' : '<'} the minimum of ${c.threshold}; ${c.passed ? 'enough to compare' : 'too few to judge a candidate'}`;
    case 'comparable':
      return `${prod} cannot be scored on these rows: the data lacks its columns ${c.missing?.map((m) => `\`${m}\``).join(', ')}. The two models were not compared on the same rows`;
    case 'perfect-production':
      return `${prod} is perfect on these rows (${label(c.metric)} ${f4(c.production)}), so it is compared on the secondary metric, ${label(d.comparedOn)}`;
    case 'beats-production':
      if (c.note === 'no-production')
        return 'no production version yet; the first passing model is promoted';
      if (c.note === 'tie')
        return `${label(c.metric)} ${f4(c.candidate)} ties with ${prod} on the same ${c.rows} rows; a tie does not promote`;
      return `${label(c.metric)} ${f4(c.candidate)} vs ${prod} ${f4(c.production)} on the same ${c.rows} rows: ${deltaWords(c.metric!, c.delta!)}${c.threshold ? `; needs ≥ ${f4(c.threshold)} better` : ''}`;
    case 'paired-test':
      return `${TEST_NAMES[c.test!]} of ${label(c.metric)} on the same rows: p = ${pFormat(c.pValue)} ${c.pValue !== null && c.pValue < c.threshold! ? '<' : '≥'} α ${c.threshold}, difference ${
        ci(c.interval)
          .trim()
          .replace(/^\(|\)$/g, '') || '—'
      }${c.passed ? '' : c.pValue !== null && c.pValue < c.threshold! ? '; significantly worse' : '; the difference could be noise'}`;
    case 'sensitivity-guardrail':
      return `sensitivity ${f4(c.candidate)} vs ${prod} ${f4(c.production)} on the ${c.rows} positive rows (${deltaWords('recall', c.delta!)}): ${c.passed ? 'no significant drop' : 'a significant drop in sensitivity, the costly error'} (${TEST_NAMES[c.test!]}, p = ${pFormat(c.pValue)})`;
    case 'recipe-comparison':
      return `supporting evidence (the held-out rows decide): both recipes retrained on the same ${c.rows} cross-validation folds of the training rows, ${label(c.metric)} ${deltaWords(c.metric!, c.delta!)} on average${ci(c.interval)}, ${TEST_NAMES[c.test!]} p = ${pFormat(c.pValue)}`;
    case 'sensitivity-minimum':
      return `sensitivity ${f4(c.candidate)}${ci(c.interval)} ${c.passed ? '≥' : '<'} the required ${f4(c.threshold)} at the operating threshold`;
  }
}

/** The one-line verdict: what happens and the reason that decided it. */
export function decisionHeadline(d: PromotionDecision): string {
  const version = d.candidate.version ? ` v${d.candidate.version}` : '';
  if (d.outcome === 'not-comparable')
    return `Not comparable: production v${d.production?.version ?? '?'} cannot be scored on the candidate${version}'s rows (the data lacks ${checkOf(d, 'comparable')?.missing?.join(', ')}); only an explicit replacement can move production`;
  if (d.promote) {
    const beat = checkOf(d, 'beats-production');
    const test = checkOf(d, 'paired-test');
    const why =
      beat?.note === 'no-production' || !d.production
        ? 'no production version yet'
        : `${label(beat!.metric)} ${f4(beat!.candidate)} vs production v${d.production.version} ${f4(beat!.production)} (${deltaWords(beat!.metric!, beat!.delta!)}${test ? `, p = ${pFormat(test.pValue)}` : ''})`;
    return `Promote${version}: ${why}`;
  }
  const failed = d.checks.filter((c) => !c.passed).map((c) => checkSentence(c, d));
  return `Keep ${d.production ? `production v${d.production.version}` : 'no production'}: ${failed.join('; ')}`;
}

const checkOf = (d: PromotionDecision, name: Check['name']) =>
  d.checks.find((c) => c.name === name);

/** The decision as Markdown: the verdict, each check, and the policy that applied. */
export function decisionMarkdown(d: PromotionDecision): string {
  const head =
    d.outcome === 'not-comparable'
      ? '⚠️ **Not comparable**'
      : d.promote
        ? '✅ **Promote**'
        : '⛔ **Do not promote**';
  const verdict = decisionHeadline(d).replace(/^(Promote|Keep|Not comparable)[^:]*: /, '');
  return [
    `${head}: ${verdict}.`,
    '',
    ...d.checks.map((c) => `- ${c.passed ? '✅' : '❌'} \`${c.name}\`: ${checkSentence(c, d)}.`),
    '',
    `Both models were scored on the same ${d.evaluatedOn.rows} held-out rows (\`${d.evaluatedOn.testRowsHash}\`); paired tests at α ${d.alpha}.`,
  ].join('\n');
}

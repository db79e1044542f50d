import type { Comparison } from '../pipeline/compare.js';
import type { PromotionDecision } from '../registry/policy.js';
import type { Metrics, RocPoint } from './metrics.js';

const KEYS = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'logLoss'] as const;
const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}`;

/** A GitHub-flavoured Markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    line(header),
    line(header.map((_, i) => (i === 0 ? ':--' : '--:'))),
    ...rows.map(line),
  ].join('\n');
}

/** Train and test metrics side by side. */
export function metricsMarkdown(metrics: { train: Metrics; test: Metrics }): string {
  return markdownTable(
    ['metric', 'train', 'test'],
    [
      ...KEYS.map((k) => [k, f4(metrics.train[k]), f4(metrics.test[k])]),
      ['rows', String(metrics.train.rows), String(metrics.test.rows)],
    ],
  );
}

/** Candidate beside production, both scored on the candidate's test rows, with deltas. */
export function comparisonMarkdown(comparison: Comparison): string {
  const prod = comparison.production;
  const header = [
    'metric (same test rows)',
    'candidate',
    prod ? `production v${prod.version}` : 'production',
    'Δ',
  ];
  const rows = KEYS.map((k) => {
    const c = comparison.candidate[k];
    if (!prod) return [k, f4(c), '—', '—'];
    const p = prod.metrics[k];
    return [k, f4(c), f4(p), signed(c - p)];
  });
  return markdownTable(header, rows);
}

export function confusionMarkdown(m: Metrics, classes: readonly [string, string]): string {
  const [neg, pos] = classes;
  const c = m.confusion;
  return markdownTable(
    ['actual ＼ predicted', pos, neg],
    [
      [pos, String(c.tp), String(c.fn)],
      [neg, String(c.fp), String(c.tn)],
    ],
  );
}

/** The ROC curve as a Mermaid xychart, which GitHub renders in summaries and PRs. */
export function rocMermaid(roc: RocPoint[], auc: number): string {
  // xychart-beta has a categorical-or-linear x axis; sample TPR at fixed FPR steps for a clean line.
  const steps = 20;
  const tpr: string[] = [];
  for (let s = 0; s <= steps; s++) {
    const fpr = s / steps;
    let best = 0;
    for (const p of roc) if (p.fpr <= fpr + 1e-12) best = Math.max(best, p.tpr);
    tpr.push(best.toFixed(3));
  }
  const xs = Array.from({ length: steps + 1 }, (_, s) => (s / steps).toFixed(2));
  return [
    '```mermaid',
    'xychart-beta',
    `  title "ROC curve (test, AUC ${auc.toFixed(4)})"`,
    `  x-axis "false positive rate" [${xs.join(', ')}]`,
    '  y-axis "true positive rate" 0 --> 1',
    `  line [${tpr.join(', ')}]`,
    '```',
  ].join('\n');
}

/** The policy's decision with each check and its reason. */
export function decisionMarkdown(decision: PromotionDecision): string {
  const head = decision.promote ? '✅ **Promote**' : '⛔ **Do not promote**';
  const checks = decision.checks.map(
    (c) => `- ${c.passed ? '✅' : '❌'} \`${c.name}\`: ${c.detail}`,
  );
  return [
    `${head}: ${decision.summary}`,
    '',
    ...checks,
    '',
    `Policy: \`${decision.metric}\` ≥ ${decision.minimum}, improvement > 0 and ≥ ${decision.minImprovement}${decision.mcnemar ? `, McNemar α ${decision.mcnemar.alpha}` : ''}. Both models scored on the same ${decision.evaluatedOn.rows} held-out rows (\`${decision.evaluatedOn.testRowsHash}\`).`,
  ].join('\n');
}

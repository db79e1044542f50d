import type { Comparison } from '../pipeline/compare.js';
import { deltaWords, f4 } from '../report/decision.js';
import { METRICS, type MetricKey } from './metric-catalog.js';
import type { Calibration, Metrics, RocPoint } from './metrics.js';

/** The metrics an artifact has: older artifacts lack the ones added later. */
const present = (...sets: Metrics[]) =>
  METRICS.filter((m) => sets.every((x) => typeof x[m.key] === 'number'));
const metricOf = (m: Metrics, key: MetricKey) => m[key] as number;
/** "0.9649 (0.9130–0.9860)" where the interval was recorded. */
const withCi = (m: Metrics, key: MetricKey) => {
  const i = m.intervals?.[key];
  return i && i[0] !== null && i[1] !== null
    ? `${f4(metricOf(m, key))} (${f4(i[0])}–${f4(i[1])})`
    : f4(metricOf(m, key));
};
const arrow = (key: MetricKey) =>
  METRICS.find((m) => m.key === key)!.direction === 'higher' ? '↑' : '↓';

/** A GitHub-flavoured Markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    line(header),
    line(header.map((_, i) => (i === 0 ? ':--' : '--:'))),
    ...rows.map(line),
  ].join('\n');
}

/** Train and test metrics side by side, each with its 95% interval; ↑/↓ says which is better. */
export function metricsMarkdown(metrics: { train: Metrics; test: Metrics }): string {
  const threshold = metrics.test.threshold ?? 0.5;
  return markdownTable(
    ['metric (95% CI)', 'train', 'held-out test'],
    [
      ...present(metrics.train, metrics.test).map((m) => [
        `${m.label} ${arrow(m.key)}${m.atThreshold ? ` @${threshold}` : ''}`,
        withCi(metrics.train, m.key),
        withCi(metrics.test, m.key),
      ]),
      ['rows', String(metrics.train.rows), String(metrics.test.rows)],
    ],
  );
}

/** One metric set, e.g. the held-out rows at 0.5 beside the operating threshold. */
export function metricSetMarkdown(m: Metrics, column: string): string {
  return markdownTable(
    ['metric (95% CI)', column],
    present(m).map((x) => [`${x.label} ${arrow(x.key)}`, withCi(m, x.key)]),
  );
}

/** Candidate beside production, both scored on the candidate's test rows, with deltas. */
export function comparisonMarkdown(comparison: Comparison): string {
  const prod = comparison.production;
  // Named from the decision: `prod` is null too when production exists but cannot be scored here.
  const prodVersion = comparison.decision.production?.version;
  const header = [
    'metric (same test rows, 95% CI)',
    'candidate',
    prodVersion === undefined ? 'production' : `production v${prodVersion}`,
    'candidate vs production',
  ];
  const sets = prod ? [comparison.candidate, prod.metrics] : [comparison.candidate];
  const rows = present(...sets).map((m) => {
    const name = `${m.label} ${arrow(m.key)}`;
    if (!prod) return [name, withCi(comparison.candidate, m.key), '—', '—'];
    const c = metricOf(comparison.candidate, m.key);
    const p = metricOf(prod.metrics, m.key);
    return [
      name,
      withCi(comparison.candidate, m.key),
      withCi(prod.metrics, m.key),
      deltaWords(m.key, c - p),
    ];
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

/**
 * The ROC curve as a Mermaid xychart, which GitHub renders in summaries and PRs: a numeric x axis
 * (a handful of tick labels, not one per point) and TPR sampled at 20 evenly spaced FPRs.
 */
export function rocMermaid(roc: RocPoint[], auc: number): string {
  const steps = 20;
  const tpr: string[] = [];
  for (let s = 0; s <= steps; s++) {
    const fpr = s / steps;
    let best = 0;
    for (const p of roc) if (p.fpr <= fpr + 1e-12) best = Math.max(best, p.tpr);
    tpr.push(best.toFixed(3));
  }
  return [
    '```mermaid',
    'xychart-beta',
    `  title "ROC curve, held-out rows (AUC ${auc.toFixed(4)})"`,
    '  x-axis "false positive rate" 0 --> 1',
    '  y-axis "true positive rate" 0 --> 1',
    `  line [${tpr.join(', ')}]`,
    '```',
  ].join('\n');
}

/** The reliability curve as a Mermaid xychart: observed rate per bin of predicted probability. */
export function calibrationMermaid(calibration: Calibration): string {
  const bins = calibration.bins.filter((b) => b.count > 0);
  const observed = bins.map((b) => (b.observed ?? 0).toFixed(3));
  const predicted = bins.map((b) => (b.meanPredicted ?? 0).toFixed(3));
  const labels = bins.map((b) => `"${b.lower.toFixed(1)}"`);
  return [
    '```mermaid',
    'xychart-beta',
    `  title "Calibration, held-out rows (slope ${f4(calibration.slope)}, intercept ${f4(calibration.intercept)})"`,
    `  x-axis "predicted probability bin" [${labels.join(', ')}]`,
    '  y-axis "observed rate" 0 --> 1',
    `  bar [${observed.join(', ')}]`,
    `  line [${predicted.join(', ')}]`,
    '```',
  ].join('\n');
}

import type { Metrics } from '../evaluate/metrics.js';

/** A plain text table with aligned columns, for terminals and logs. */
export function textTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  // Numbers right-aligned, text left-aligned, as people read tables.
  const numeric = (c: string) => /^[-+−]?[\d.]+%?$|^v\d+$|^—$/.test(c);
  const line = (r: string[]) =>
    r
      .map((c, i) => (i > 0 && numeric(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(cells[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

export function fixed(value: number, digits = 4): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

/** Metric rows for one or more metric sets, e.g. train and test side by side. */
export function metricsTable(columns: Record<string, Metrics>): string {
  const names = Object.keys(columns);
  const keys = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'logLoss'] as const;
  const rows = keys.map((k) => [k, ...names.map((n) => fixed(columns[n]![k]))]);
  rows.push(['rows', ...names.map((n) => String(columns[n]!.rows))]);
  return textTable(['metric', ...names], rows);
}

export function confusionTable(m: Metrics, classes: readonly [string, string]): string {
  const [neg, pos] = classes;
  const c = m.confusion;
  return textTable(
    ['actual \\ predicted', pos, neg],
    [
      [pos, c.tp, c.fn],
      [neg, c.fp, c.tn],
    ],
  );
}

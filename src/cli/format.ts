import { METRICS, type MetricKey } from '../evaluate/metric-catalog.js';
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

/** Metric rows for one or more metric sets, e.g. train and test side by side, with 95% CIs. */
export function metricsTable(columns: Record<string, Metrics>): string {
  const names = Object.keys(columns);
  const sets = names.map((n) => columns[n]!);
  const cell = (m: Metrics, key: MetricKey) => {
    const i = m.intervals?.[key];
    const v = fixed(m[key] as number);
    return i && i[0] !== null && i[1] !== null ? `${v} (${fixed(i[0])}–${fixed(i[1])})` : v;
  };
  const rows = METRICS.filter((m) => sets.every((x) => typeof x[m.key] === 'number')).map((m) => [
    `${m.label} ${m.direction === 'higher' ? '↑' : '↓'}`,
    ...sets.map((x) => cell(x, m.key)),
  ]);
  rows.push(['rows', ...sets.map((x) => String(x.rows))]);
  return textTable(['metric (95% CI)', ...names], rows);
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

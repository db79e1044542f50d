/**
 * A model's overview: what is in production and since when, the latest release, the
 * "what was in production on…" picker, the trend charts with table fallbacks, the newest events
 * and versions, with links to the full, paginated lists.
 */
import { type MetricKey, metricInfo } from '../../evaluate/metric-catalog.js';
import type { ModelEntry, RegistryVersion } from '../../registry/schema.js';
import { chartHtml, type TrendSeries, trendSpec } from '../charts.js';
import { esc, f4, interval, jsonScript, table } from '../html.js';
import { stageBadge, timelineTable } from './common.js';

export interface OverviewOptions {
  model: string;
  entry: ModelEntry;
  primaryMetric: MetricKey;
  /** How many versions the list pages hold, to link to the right one. */
  versionPages: number;
  historyPages: number;
}

function series(
  versions: RegistryVersion[],
  key: MetricKey,
  colour: string,
  dashed = false,
): TrendSeries {
  return {
    label: metricInfo(key).label,
    colour,
    dashed,
    points: versions
      .filter((v) => typeof v.metrics.test[key] === 'number')
      .map((v) => {
        const i = v.metrics.test.intervals?.[key];
        return {
          version: v.version,
          value: v.metrics.test[key] as number,
          low: i?.[0] ?? null,
          high: i?.[1] ?? null,
        };
      }),
  };
}

/** A chart and its table fallback: the same numbers for screen readers and for copying. */
function chartFigure(
  id: string,
  title: string,
  yLabel: string,
  all: TrendSeries[],
  versions: RegistryVersion[],
): string {
  const drawn = all.filter((s) => s.points.length > 0);
  if (!drawn.length) return `<p class="notice">${esc(title)}: not recorded for any version.</p>`;
  const keys = drawn.map((s) => s.label);
  const rows = [...versions].reverse().map((v) => [
    `<a href="v${v.version}.html">v${v.version}</a>`,
    ...drawn.map((s) => {
      const p = s.points.find((q) => q.version === v.version);
      return p
        ? `${f4(p.value)}${typeof p.low === 'number' ? ` <small>(${interval([p.low, p.high ?? null])})</small>` : ''}`
        : '—';
    }),
  ]);
  return [
    '<figure>',
    `<figcaption>${esc(title)}. Bars (a shaded band when versions are many) show 95% intervals where recorded.</figcaption>`,
    chartHtml(
      id,
      trendSpec(title, yLabel, drawn),
      '<p class="notice">The chart needs JavaScript; the table below has its numbers.</p>',
    ),
    `<details><summary>Table of these values</summary>${table(title, ['version', ...keys], rows)}</details>`,
    '</figure>',
  ].join('');
}

export function overviewPage(o: OverviewOptions): string {
  const { model, entry } = o;
  const versions = entry.versions;
  const production = versions.find((v) => v.stage === 'production') ?? null;
  const since = production
    ? [...entry.history]
        .reverse()
        .find(
          (e) =>
            (e.type === 'promoted' || e.type === 'rolled_back') && e.version === production.version,
        )
    : undefined;
  const release = [...entry.history].reverse().find((e) => e.type === 'released');
  const latest = versions.at(-1) ?? null;
  const primary = metricInfo(o.primaryMetric);
  const card = (title: string, big: string, more: string) =>
    `<div class="card"><div>${esc(title)}</div><div class="big">${big}</div><div>${more}</div></div>`;
  const cards = [
    card(
      'In production',
      production
        ? `<a href="v${production.version}.html" id="current-production">v${production.version}</a>`
        : '<span id="current-production">none</span>',
      production
        ? `${esc(primary.label)} ${f4(production.metrics.test[o.primaryMetric])}${since ? `, since ${esc(since.at.slice(0, 10))} (${esc(since.type.replace('_', ' '))} by ${esc(since.actor)})` : ''}`
        : 'No version is in production.',
    ),
    card(
      'Latest release',
      release ? `<a href="v${release.version}.html">v${release.version}</a>` : 'none',
      release?.image
        ? `<code>${esc(release.image.digest)}</code> on ${esc(release.at.slice(0, 10))}`
        : 'No image released yet.',
    ),
    card(
      'Latest version',
      latest ? `<a href="v${latest.version}.html">v${latest.version}</a>` : 'none',
      latest
        ? `${stageBadge(latest.stage)} registered ${esc(latest.createdAt.slice(0, 10))}; ${versions.length} version${versions.length === 1 ? '' : 's'} in all`
        : '',
    ),
  ].join('');
  const picker = [
    '<h2 id="production-on-heading">What was in production on…</h2>',
    '<form id="production-on" aria-labelledby="production-on-heading">',
    '<label>date (UTC), or date and time<input name="at" type="text" inputmode="numeric" ',
    `value="${esc(new Date(Date.parse(entry.history.at(-1)?.at ?? '1970-01-01T00:00:00Z')).toISOString().slice(0, 10))}" placeholder="2026-03-01 or 2026-03-01T12:00:00Z"></label>`,
    '<button type="submit">Show</button>',
    '<output aria-live="polite"></output>',
    '</form>',
    '<p><small>Answered from the history in this page, by the same rule as <code>oncoclear registry history --at</code>.</small></p>',
    jsonScript('history-data', {
      model,
      history: entry.history.map((e) => ({ at: e.at, type: e.type, version: e.version })),
    }),
  ].join('');
  const primarySeries = [series(versions, o.primaryMetric, '#0969da')];
  const guardSeries = [
    series(versions, 'recall', '#cf222e'),
    series(versions, 'specificity', '#1a7f37', true),
  ];
  const charts = [
    '<h2>Held-out metrics across versions</h2>',
    '<div class="charts">',
    chartFigure(
      'chart-primary',
      `${primary.label} (primary metric, ${primary.direction} is better)`,
      `${primary.label} (proportion)`,
      primarySeries,
      versions,
    ),
    chartFigure(
      'chart-guards',
      'Sensitivity and specificity',
      'rate (proportion)',
      guardSeries,
      versions,
    ),
    '</div>',
  ].join('');
  const newest = [...versions].reverse().slice(0, 10);
  const list = table(
    `The ${newest.length} newest of ${versions.length} versions`,
    ['version', 'stage', 'registered', primary.label, 'sensitivity', 'specificity'],
    newest.map((v) => [
      `<a href="v${v.version}.html">v${v.version}</a>`,
      stageBadge(v.stage),
      esc(v.createdAt.slice(0, 10)),
      f4(v.metrics.test[o.primaryMetric]),
      f4(v.metrics.test.recall),
      f4(v.metrics.test.specificity),
    ]),
  );
  return [
    `<h1>${esc(model)}</h1>`,
    `<div class="cards">${cards}</div>`,
    picker,
    charts,
    '<h2>Timeline of stages</h2>',
    timelineTable(
      `The ${Math.min(20, entry.history.length)} newest of ${entry.history.length} events`,
      entry.history.slice(-20),
      (v) => `v${v}.html`,
    ),
    `<p><a href="history-1.html">Full history</a> (${o.historyPages} page${o.historyPages === 1 ? '' : 's'})</p>`,
    '<h2>Versions</h2>',
    list,
    `<p><a href="versions-1.html">All ${versions.length} versions</a> (${o.versionPages} page${o.versionPages === 1 ? '' : 's'}) · <a href="diff.html">Compare two versions</a></p>`,
  ].join('\n');
}

/** The paginated lists: every version of a model, every event of its history, and the models. */
import type { MetricKey } from '../../evaluate/metric-catalog.js';
import { metricInfo } from '../../evaluate/metric-catalog.js';
import type { Registry, RegistryEvent, RegistryVersion } from '../../registry/schema.js';
import { esc, f4, table } from '../html.js';
import { pager, stageBadge, timelineTable } from './common.js';

export function versionListPage(
  model: string,
  page: RegistryVersion[],
  n: number,
  pages: number,
  total: number,
  primary: MetricKey,
): string {
  const href = (k: number) => `versions-${k}.html`;
  return [
    `<h1>${esc(model)}: versions, page ${n} of ${pages}</h1>`,
    pager(pages, n, href),
    table(
      `${total} versions, newest first`,
      [
        'version',
        'stage',
        'registered',
        metricInfo(primary).label,
        'sensitivity',
        'specificity',
        'commit',
      ],
      page.map((v) => [
        `<a href="v${v.version}.html">v${v.version}</a>`,
        stageBadge(v.stage),
        esc(v.createdAt.slice(0, 10)),
        f4(v.metrics.test[primary]),
        f4(v.metrics.test.recall),
        f4(v.metrics.test.specificity),
        v.lineage.commit ? `<code>${esc(v.lineage.commit.slice(0, 12))}</code>` : '—',
      ]),
    ),
    pager(pages, n, href),
  ].join('\n');
}

export function historyListPage(
  model: string,
  page: RegistryEvent[],
  n: number,
  pages: number,
  total: number,
): string {
  const href = (k: number) => `history-${k}.html`;
  return [
    `<h1>${esc(model)}: history, page ${n} of ${pages}</h1>`,
    pager(pages, n, href),
    // The page holds events in history order; the table shows them newest first.
    timelineTable(`${total} events, newest first`, page, (v) => `v${v}.html`),
    pager(pages, n, href),
  ].join('\n');
}

export function indexPage(registry: Registry, primary: MetricKey): string {
  const models = Object.entries(registry.models);
  if (!models.length)
    return '<h1>OncoClear registry</h1><p class="notice">The registry is empty: no model has been registered yet.</p>';
  return [
    '<h1>OncoClear registry</h1>',
    table(
      'Models',
      ['model', 'in production', metricInfo(primary).label, 'versions', 'last event'],
      models.map(([name, entry]) => {
        const p = entry.versions.find((v) => v.stage === 'production');
        const last = entry.history.at(-1);
        return [
          `<a href="${esc(name)}/index.html">${esc(name)}</a>`,
          p ? `<a href="${esc(name)}/v${p.version}.html">v${p.version}</a>` : 'none',
          f4(p?.metrics.test[primary]),
          String(entry.versions.length),
          last
            ? `${esc(last.type.replace('_', ' '))} v${last.version}, ${esc(last.at.slice(0, 10))}`
            : '—',
        ];
      }),
    ),
  ].join('\n');
}

/**
 * The diff of any two versions. Pairs cannot be pre-rendered (a thousand versions make half a
 * million), so the page embeds each version's metrics and settings and the script lays them side
 * by side; without the script the page still lists what it would compare.
 */
import { METRICS } from '../../evaluate/metric-catalog.js';
import type { ModelEntry } from '../../registry/schema.js';
import { esc, jsonScript } from '../html.js';
import type { VersionExtras } from '../input.js';

export function diffPage(
  model: string,
  entry: ModelEntry,
  extrasOf: (version: number) => VersionExtras | undefined,
): string {
  const versions = entry.versions;
  const production = versions.find((v) => v.stage === 'production');
  const latest = versions.at(-1);
  const a = production && production !== latest ? production : (versions.at(-2) ?? latest);
  const options = (selected: number | undefined) =>
    [...versions]
      .reverse()
      .map(
        (v) =>
          `<option value="${v.version}"${v.version === selected ? ' selected' : ''}>v${v.version} (${esc(v.stage)})</option>`,
      )
      .join('');
  const data = {
    metrics: METRICS.map((m) => ({ key: m.key, label: m.label, direction: m.direction })),
    versions: versions.map((v) => {
      const metrics: Record<string, number> = {};
      for (const m of METRICS) {
        const value = v.metrics.test[m.key];
        if (typeof value === 'number') metrics[m.key] = value;
      }
      return {
        version: v.version,
        metrics,
        params: {
          ...(extrasOf(v.version)?.params ?? {}),
          'lineage.commit': v.lineage.commit ?? '—',
          'lineage.dataSha256': v.lineage.dataSha256,
          'lineage.configHash': v.lineage.configHash,
          'lineage.testRowsHash': v.lineage.testRowsHash,
        },
      };
    }),
  };
  return [
    `<h1>${esc(model)}: compare two versions</h1>`,
    '<form id="diff-form">',
    `<label>a<select name="a">${options(a?.version)}</select></label>`,
    `<label>b<select name="b">${options(latest?.version)}</select></label>`,
    '<a id="diff-link" href="diff.html">link to this comparison</a>',
    '</form>',
    '<div class="scroll"><table id="diff"><caption>Metrics on the same rows where recorded, then settings</caption>',
    '<thead><tr><th scope="col">row</th><th scope="col">a</th><th scope="col">b</th><th scope="col">b − a</th></tr></thead>',
    '<tbody id="diff-body"><tr><td colspan="4">Turn on JavaScript to compare; each version page lists its own metrics.</td></tr></tbody>',
    '</table></div>',
    '<p><small>Held-out metrics are comparable when both versions were evaluated on the same rows: compare <code>lineage.testRowsHash</code> and <code>lineage.dataSha256</code> below.</small></p>',
    jsonScript('diff-data', data),
  ].join('\n');
}

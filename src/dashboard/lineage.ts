/**
 * A version's lineage as a chain of links: commit → data fingerprint → config hash → workflow run
 * → promotion PR → GitHub release → image digest. Links need the repository URL (given by
 * `--repo-url`) for the commit and data; the rest come from the registry's own records.
 */
import type { ModelEntry, RegistryVersion } from '../registry/schema.js';
import { esc, isWebUrl, link } from './html.js';

export interface LineageStep {
  label: string;
  /** HTML: the value, linked when there is somewhere to go. */
  value: string;
}

/** The steps of one version's lineage, in order; a step not recorded says so. */
export function lineageSteps(
  entry: ModelEntry,
  version: RegistryVersion,
  repoUrl: string | null,
  dataPath: string | null,
): LineageStep[] {
  const l = version.lineage;
  const repo = repoUrl?.replace(/\/+$/, '') ?? null;
  const code = (t: string, href?: string | null) =>
    href ? `<a class="mono" href="${esc(href)}">${esc(t)}</a>` : `<code>${esc(t)}</code>`;
  const none = '<span class="muted">not recorded</span>';
  const events = entry.history.filter((e) => e.version === version.version);
  const moves = events.filter((e) => e.type === 'promoted' || e.type === 'rolled_back');
  const releases = events.filter((e) => e.type === 'released');
  const prs = moves.filter((e) => isWebUrl(e.link));
  return [
    {
      label: 'commit',
      value: l.commit ? code(l.commit, repo ? `${repo}/commit/${l.commit}` : null) : none,
    },
    {
      label: 'data fingerprint',
      value: `${code(l.dataSha256, repo && l.commit && dataPath ? `${repo}/blob/${l.commit}/${dataPath}` : null)}${dataPath ? ` (${esc(dataPath)})` : ''}`,
    },
    { label: 'config hash', value: code(l.configHash) },
    { label: 'workflow run', value: isWebUrl(l.runUrl) ? link(l.runUrl, l.runUrl) : none },
    {
      label: 'promotion PR',
      value: prs.length
        ? prs.map((e) => `${link(e.link!, e.link)} (${esc(e.type.replace('_', ' '))})`).join('<br>')
        : moves.length
          ? `${esc(moves.map((e) => e.type.replace('_', ' ')).join(', '))}, no PR recorded`
          : 'never promoted',
    },
    {
      label: 'GitHub release',
      value: releases.length
        ? releases.map((e) => (isWebUrl(e.link) ? link(e.link, e.link) : esc(e.at))).join('<br>')
        : 'not released',
    },
    {
      label: 'image digest',
      value: releases.filter((e) => e.image).length
        ? releases
            .filter((e) => e.image)
            .map(
              (e) =>
                `${code(e.image!.digest)}${e.image!.tags.length ? ` tags ${e.image!.tags.map((t) => `<code>${esc(t)}</code>`).join(', ')}` : ''}`,
            )
            .join('<br>')
        : 'no image',
    },
  ];
}

/** The lineage as an ordered list of links. */
export function lineageHtml(steps: LineageStep[]): string {
  return `<ol class="lineage">${steps.map((s) => `<li><strong>${esc(s.label)}</strong>: ${s.value}</li>`).join('')}</ol>`;
}

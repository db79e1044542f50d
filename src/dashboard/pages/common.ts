/** Pieces that several pages share: stage badges, event rows, pagination. */
import type { RegistryEvent, RegistryVersion } from '../../registry/schema.js';
import { esc, isWebUrl, link, table } from '../html.js';

export const stageBadge = (stage: RegistryVersion['stage']) =>
  `<span class="stage stage-${stage}">${esc(stage)}</span>`;

export const EVENT_WORDS: Record<RegistryEvent['type'], string> = {
  registered: 'registered',
  promoted: 'promoted to production',
  archived: 'archived (left production)',
  rolled_back: 'rolled back to',
  released: 'released as an image',
};

/** The history as a timeline table, newest first; version links are relative to `versionHref`. */
export function timelineTable(
  caption: string,
  events: RegistryEvent[],
  versionHref: (version: number) => string,
): string {
  const rows = [...events]
    .reverse()
    .map((e) => [
      `<time datetime="${esc(e.at)}">${esc(e.at.slice(0, 19).replace('T', ' '))}</time>`,
      `<span class="ev-${e.type}">${esc(EVENT_WORDS[e.type])}</span>`,
      `<a href="${esc(versionHref(e.version))}">v${e.version}</a>${e.from ? ` (from v${e.from})` : ''}`,
      esc(e.actor),
      `${esc(e.reason)}${e.image ? `<br><code>${esc(e.image.digest)}</code>` : ''}`,
      isWebUrl(e.link) ? link('link', e.link) : '',
    ]);
  return table(caption, ['when (UTC)', 'event', 'version', 'who', 'why', ''], rows, 'timeline');
}

/** Splits items into pages of `size`; always at least one (possibly empty) page. */
export function paginate<T>(items: T[], size: number): T[][] {
  const pages: T[][] = [];
  for (let i = 0; i < items.length; i += size) pages.push(items.slice(i, i + size));
  return pages.length ? pages : [[]];
}

/** Page links "1 2 3 …" with the current page unlinked. */
export function pager(count: number, current: number, href: (n: number) => string): string {
  if (count <= 1) return '';
  const links: string[] = [];
  for (let n = 1; n <= count; n++) {
    links.push(
      n === current
        ? `<strong aria-current="page">${n}</strong>`
        : `<a href="${esc(href(n))}">${n}</a>`,
    );
  }
  return `<nav class="pager" aria-label="pages">${links.join(' ')}</nav>`;
}

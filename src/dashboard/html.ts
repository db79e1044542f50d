/**
 * HTML building blocks for the dashboard: escaping, number formatting, relative links and the
 * page shell. Every link a page holds is relative, so the site works from a file:// URL and from
 * any sub-path (GitHub Pages serves project sites at /<repo>/).
 */
import { escapeHtml } from '../util/html.js';

/** Escapes text for HTML element content and attributes (src/util/html.ts). */
export const esc = escapeHtml;

/** A metric value with four decimals, or an em dash when it is not recorded. */
export function f4(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(4) : '—';
}

/** A 95% interval as "low–high", or an em dash. */
export function interval(i: readonly [number | null, number | null] | null | undefined): string {
  return i && i[0] !== null && i[1] !== null ? `${f4(i[0])}–${f4(i[1])}` : '—';
}

/**
 * JSON for a `<script type="application/json">` block: `<` is escaped so that no string in the
 * registry (a reason, an actor) can close the script element.
 */
export function jsonScript(id: string, value: unknown): string {
  const text = JSON.stringify(value).replace(/</g, '\\u003c');
  return `<script type="application/json" id="${esc(id)}">${text}</script>`;
}

/** A link when there is a URL, else the text alone (never a dead `href`). */
export function link(text: string, href: string | null | undefined): string {
  return href ? `<a href="${esc(href)}">${esc(text)}</a>` : esc(text);
}

/** Whether a string is an http(s) URL, so registry text never becomes a `javascript:` link. */
export function isWebUrl(value: string | null | undefined): value is string {
  return typeof value === 'string' && /^https?:\/\/[^\s"<>]+$/.test(value);
}

export interface PageOptions {
  title: string;
  /** Path from this page to the site root: '' at the root, '../' one folder down. */
  root: string;
  body: string;
  /** Breadcrumb links, relative to the page, ending with the current page (no link). */
  crumbs?: Array<{ text: string; href?: string }>;
  /** Whether the page runs the dashboard script (date picker, diff). */
  script?: boolean;
  /** Whether the page draws charts: loads uPlot (a local copy) before the dashboard script. */
  charts?: boolean;
}

/** The shell every page shares: a local stylesheet, a breadcrumb and an optional local script. */
export function page(options: PageOptions): string {
  const crumbs = (options.crumbs ?? [])
    .map((c) => (c.href ? `<a href="${esc(c.href)}">${esc(c.text)}</a>` : esc(c.text)))
    .join(' <span aria-hidden="true">›</span> ');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(options.title)} · OncoClear registry</title>`,
    options.charts ? `<link rel="stylesheet" href="${options.root}assets/uplot.min.css">` : '',
    `<link rel="stylesheet" href="${options.root}assets/dashboard.css">`,
    '</head>',
    '<body>',
    `<header><a class="brand" href="${options.root}index.html">OncoClear registry</a>${crumbs ? `<nav aria-label="breadcrumb">${crumbs}</nav>` : ''}</header>`,
    '<main>',
    options.body,
    '</main>',
    '<footer>Built from the committed registry by <code>oncoclear dashboard</code>.</footer>',
    options.charts ? `<script src="${options.root}assets/uplot.iife.min.js"></script>` : '',
    options.script || options.charts
      ? `<script src="${options.root}assets/dashboard.js"></script>`
      : '',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** A table with a caption; cells are HTML already escaped by the caller. */
export function table(caption: string, head: string[], rows: string[][], className = ''): string {
  return [
    `<div class="scroll"><table${className ? ` class="${className}"` : ''}>`,
    `<caption>${esc(caption)}</caption>`,
    `<thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody>`,
    '</table></div>',
  ].join('');
}

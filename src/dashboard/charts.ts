/**
 * Charts as inline SVG, rendered when the site is built: axes with units, a legend, readable and
 * thinned tick labels, and `data-points` on each chart so a test (or a reader) can see it is not
 * empty. ROC and calibration curves reuse the report's charts (src/report/svg.ts).
 */
import { esc, f4 } from './html.js';

export interface TrendPoint {
  /** The version number, shown on the x axis. */
  version: number;
  value: number;
  /** 95% interval, when recorded. */
  low?: number | null;
  high?: number | null;
}

export interface TrendSeries {
  label: string;
  colour: string;
  dashed?: boolean;
  points: TrendPoint[];
}

const W = 640;
const H = 300;
const M = { left: 56, right: 16, top: 36, bottom: 64 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
/** More x labels than this overlap at 375 px; the rest are thinned out. */
export const MAX_X_LABELS = 8;
/** Above this many versions, points are drawn as a line without markers to keep pages small. */
const MARKER_LIMIT = 150;

/** Every `step`-th index so that at most `max` labels show, always including the last. */
export function thinnedTicks(count: number, max = MAX_X_LABELS): number[] {
  if (count <= 0) return [];
  const step = Math.max(1, Math.ceil(count / max));
  const ticks: number[] = [];
  for (let i = 0; i < count; i += step) ticks.push(i);
  if (ticks.at(-1) !== count - 1) {
    // Keep the newest version labelled; drop the previous tick if it would crowd it.
    if (count - 1 - ticks.at(-1)! < step / 2) ticks.pop();
    ticks.push(count - 1);
  }
  return ticks;
}

function niceRange(values: number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi - lo < 0.02) {
    lo -= 0.01;
    hi += 0.01;
  }
  const pad = (hi - lo) * 0.08;
  return [lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi <= 1 ? Math.min(1, hi + pad) : hi + pad];
}

/**
 * A metric across versions: one line per series, an error bar per point where an interval is
 * recorded, versions spaced evenly on the x axis (they are ordinal, not time).
 */
export function trendSvg(title: string, yLabel: string, series: TrendSeries[]): string {
  const versions = [...new Set(series.flatMap((s) => s.points.map((p) => p.version)))].sort(
    (a, b) => a - b,
  );
  const index = new Map(versions.map((v, i) => [v, i]));
  const all = series.flatMap((s) =>
    s.points.flatMap((p) => [p.value, p.low ?? p.value, p.high ?? p.value]),
  );
  const [lo, hi] = niceRange(all);
  const x = (v: number) =>
    M.left + (versions.length === 1 ? PW / 2 : (index.get(v)! / (versions.length - 1)) * PW);
  const y = (v: number) => M.top + (1 - (v - lo) / (hi - lo)) * PH;
  const yTicks = Array.from({ length: 5 }, (_, i) => lo + ((hi - lo) * i) / 4);
  const grid = yTicks
    .map(
      (t) =>
        `<line x1="${M.left}" y1="${y(t).toFixed(1)}" x2="${M.left + PW}" y2="${y(t).toFixed(1)}" stroke="#e5e5e5"/>` +
        `<text x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t.toFixed(3)}</text>`,
    )
    .join('');
  const xTicks = thinnedTicks(versions.length)
    .map((i) => {
      const v = versions[i]!;
      return `<text x="${x(v).toFixed(1)}" y="${M.top + PH + 18}" text-anchor="middle">v${v}</text>`;
    })
    .join('');
  const markers = versions.length <= MARKER_LIMIT;
  const lines = series
    .map((s) => {
      const pts = [...s.points].sort((a, b) => a.version - b.version);
      const d = pts
        .map((p, i) => `${i ? 'L' : 'M'}${x(p.version).toFixed(1)},${y(p.value).toFixed(1)}`)
        .join('');
      const bars = pts
        .filter((p) => typeof p.low === 'number' && typeof p.high === 'number')
        .map(
          (p) =>
            `<line x1="${x(p.version).toFixed(1)}" y1="${y(p.low!).toFixed(1)}" x2="${x(p.version).toFixed(1)}" y2="${y(p.high!).toFixed(1)}" stroke="${s.colour}" stroke-opacity="0.45" stroke-width="${markers ? 3 : 1}"/>`,
        )
        .join('');
      const dots = markers
        ? pts
            .map(
              (p) =>
                `<circle class="point" cx="${x(p.version).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3.5" fill="${s.colour}"><title>${esc(s.label)} v${p.version}: ${f4(p.value)}${typeof p.low === 'number' ? ` (95% CI ${f4(p.low)}–${f4(p.high)})` : ''}</title></circle>`,
            )
            .join('')
        : '';
      return `<g>${bars}<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>${dots}</g>`;
    })
    .join('');
  const legend = series
    .map((s, i) => {
      const lx = M.left + i * 200;
      const ly = H - 14;
      return (
        `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>` +
        `<text x="${lx + 30}" y="${ly}">${esc(s.label)}</text>`
      );
    })
    .join('');
  const count = series.reduce((n, s) => n + s.points.length, 0);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="14" role="img" aria-label="${esc(title)}" data-points="${count}">`,
    `<title>${esc(title)}</title>`,
    `<text x="${M.left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    grid,
    `<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#888"/>`,
    lines,
    xTicks,
    `<text x="${M.left + PW / 2}" y="${M.top + PH + 36}" text-anchor="middle">model version (registration order)</text>`,
    `<text x="14" y="${M.top + PH / 2}" text-anchor="middle" transform="rotate(-90 14 ${M.top + PH / 2})">${esc(yLabel)}</text>`,
    legend,
    '</svg>',
  ].join('');
}

/** Counts the drawn data points of a report chart (ROC path vertices, calibration markers). */
export function withPointCount(svg: string, count: number): string {
  return svg
    .replace(/^<svg /, `<svg data-points="${count}" `)
    .replace(/ width="\d+" height="\d+"/, '');
}

/**
 * Charts drawn in the browser by uPlot (https://github.com/leeoniya/uPlot, MIT), which the site
 * ships as a local asset (assets/uplot.iife.min.js and assets/uplot.min.css, copied from the
 * installed package; never a CDN). Each chart is a container with its data embedded in the page
 * as JSON ({@link ChartSpec}); the client script (src/dashboard/client-script.ts) draws it on
 * load, sized to the container and redrawn when that resizes. Next to each chart goes a table of
 * the same numbers, and, for scripts off, a `<noscript>` fallback.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { esc, jsonScript } from './html.js';

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

/** One line of a chart, its values aligned with the chart's `x`. */
export interface ChartSeriesSpec {
  label: string;
  colour: string;
  dashed?: boolean;
  /** A reference line (chance, perfect calibration): drawn, not counted as data. */
  reference?: boolean;
  /** Whether to mark each point (uPlot still hides markers when they would crowd). */
  points?: boolean;
  values: Array<number | null>;
  /** 95% interval per point, drawn as a bar; null where not recorded. */
  low?: Array<number | null>;
  high?: Array<number | null>;
}

/** What the page embeds of a chart; the client script turns it into uPlot options. */
export interface ChartSpec {
  title: string;
  /** Axis titles, with their units. */
  xLabel: string;
  yLabel: string;
  /**
   * 'version': `x` holds indexes 0…n−1 and `versions` their version numbers, spaced evenly
   * (versions are ordinal, not time) and labelled v<N>; 'value': `x` is a plain number axis.
   */
  xKind: 'version' | 'value';
  x: number[];
  versions?: number[];
  xRange?: [number, number];
  yRange: [number, number];
  series: ChartSeriesSpec[];
}

/** Rounds for the page: six decimals is finer than any chart or table shows. */
const r6 = (v: number | null | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 1e6) / 1e6 : null;

function niceRange(values: number[]): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (!finite.length) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi - lo < 0.02) {
    lo -= 0.01;
    hi += 0.01;
  }
  const pad = (hi - lo) * 0.08;
  const range: [number, number] = [
    lo >= 0 ? Math.max(0, lo - pad) : lo - pad,
    hi <= 1 ? Math.min(1, hi + pad) : hi + pad,
  ];
  return [r6(range[0])!, r6(range[1])!];
}

/**
 * A metric across versions: one line per series, a 95% interval bar per point where recorded,
 * versions spaced evenly on the x axis.
 */
export function trendSpec(title: string, yLabel: string, series: TrendSeries[]): ChartSpec {
  const versions = [...new Set(series.flatMap((s) => s.points.map((p) => p.version)))].sort(
    (a, b) => a - b,
  );
  const index = new Map(versions.map((v, i) => [v, i]));
  const all = series.flatMap((s) =>
    s.points.flatMap((p) => [p.value, p.low ?? p.value, p.high ?? p.value]),
  );
  return {
    title,
    xLabel: 'model version (registration order)',
    yLabel,
    xKind: 'version',
    x: versions.map((_, i) => i),
    versions,
    yRange: niceRange(all),
    series: series.map((s) => {
      const values: Array<number | null> = versions.map(() => null);
      const low: Array<number | null> = versions.map(() => null);
      const high: Array<number | null> = versions.map(() => null);
      for (const p of s.points) {
        const i = index.get(p.version)!;
        values[i] = r6(p.value);
        low[i] = r6(p.low);
        high[i] = r6(p.high);
      }
      const hasIntervals = low.some((v) => v !== null) && high.some((v) => v !== null);
      return {
        label: s.label,
        colour: s.colour,
        ...(s.dashed ? { dashed: true } : {}),
        points: true,
        values,
        ...(hasIntervals ? { low, high } : {}),
      };
    }),
  };
}

/**
 * A curve on [0, 1] × [0, 1] with the diagonal as a reference line (chance for ROC, perfect
 * calibration for calibration). `points` must be in drawing order with x non-decreasing.
 */
export function unitCurveSpec(
  title: string,
  xLabel: string,
  yLabel: string,
  curve: { label: string; colour: string; points: boolean; xy: Array<[number, number]> },
  diagonal: string,
): ChartSpec {
  const xy = [...curve.xy];
  const x = xy.map(([px]) => r6(px)!);
  const values: Array<number | null> = xy.map(([, py]) => r6(py));
  // The diagonal needs its two ends on the shared x axis.
  if (x[0] !== 0) {
    x.unshift(0);
    values.unshift(null);
  }
  if (x.at(-1) !== 1) {
    x.push(1);
    values.push(null);
  }
  const diag = x.map((v, i) => (i === 0 || i === x.length - 1 ? v : null));
  return {
    title,
    xLabel,
    yLabel,
    xKind: 'value',
    x,
    xRange: [0, 1],
    yRange: [0, 1],
    series: [
      { label: curve.label, colour: curve.colour, points: curve.points, values },
      { label: diagonal, colour: '#6e7781', dashed: true, reference: true, values: diag },
    ],
  };
}

/** How many data points a chart draws (non-null values of its series other than references). */
export function specPoints(spec: ChartSpec): number {
  return spec.series
    .filter((s) => !s.reference)
    .reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
}

/**
 * A chart container: the JSON the client script draws from, a `<noscript>` fallback, and
 * `data-points`, the number of points in the data (the script sets `data-drawn` once drawn).
 */
export function chartHtml(id: string, spec: ChartSpec, noscript: string): string {
  return [
    `<div class="chart" id="${esc(id)}" data-chart="${esc(id)}-data" data-points="${specPoints(spec)}" role="img" aria-label="${esc(`${spec.title}; the table below gives the numbers`)}"></div>`,
    jsonScript(`${id}-data`, spec),
    `<noscript>${noscript}</noscript>`,
  ].join('');
}

/** The uPlot files the site ships, read once from the installed `uplot` package. */
let uplotAssets: { js: string; css: string } | null = null;
export function uplotFiles(): { js: string; css: string } {
  if (!uplotAssets) {
    const dist = join(
      dirname(createRequire(import.meta.url).resolve('uplot/package.json')),
      'dist',
    );
    uplotAssets = {
      js: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
    };
  }
  return uplotAssets;
}

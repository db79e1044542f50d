/**
 * Small, dependency-free SVG charts for `oncoclear evaluate --plots`: ROC, precision–recall and
 * calibration, each with labelled axes, ticks, a legend and a title, readable without a browser's
 * help and embeddable anywhere.
 */
import type { Calibration, Metrics } from '../evaluate/metrics.js';
import { escapeHtml } from '../util/html.js';

const W = 480;
const H = 400;
const M = { left: 60, right: 20, top: 40, bottom: 56 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
const x = (v: number) => M.left + v * PW;
const y = (v: number) => M.top + (1 - v) * PH;
const esc = escapeHtml;

interface Series {
  label: string;
  points: Array<[number, number]>;
  colour: string;
  dashed?: boolean;
  markers?: boolean;
}

function chart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${x(t)}" y1="${y(0)}" x2="${x(t)}" y2="${y(1)}" stroke="#e5e5e5"/>` +
        `<line x1="${x(0)}" y1="${y(t)}" x2="${x(1)}" y2="${y(t)}" stroke="#e5e5e5"/>` +
        `<text x="${x(t)}" y="${y(0) + 18}" text-anchor="middle">${t.toFixed(1)}</text>` +
        `<text x="${x(0) - 8}" y="${y(t) + 4}" text-anchor="end">${t.toFixed(1)}</text>`,
    )
    .join('');
  const lines = series
    .map((s) => {
      const d = s.points
        .map(([a, b], i) => `${i ? 'L' : 'M'}${x(a).toFixed(1)},${y(b).toFixed(1)}`)
        .join('');
      const dots = s.markers
        ? s.points
            .map(
              ([a, b]) =>
                `<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="3" fill="${s.colour}"/>`,
            )
            .join('')
        : '';
      return `<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>${dots}`;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<line x1="${x(0.55)}" y1="${y(0.18) + i * 16}" x2="${x(0.62)}" y2="${y(0.18) + i * 16}" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>` +
        `<text x="${x(0.64)}" y="${y(0.18) + i * 16 + 4}">${esc(s.label)}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    grid,
    `<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#555"/>`,
    lines,
    legend,
    `<text x="${M.left + PW / 2}" y="${H - 14}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="16" y="${M.top + PH / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + PH / 2})">${esc(yLabel)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

export function rocSvg(m: Metrics): string {
  return chart(
    `ROC curve (AUC ${m.rocAuc.toFixed(4)}, ${m.rows} rows)`,
    'false positive rate (1 − specificity)',
    'true positive rate (sensitivity)',
    [
      { label: 'model', points: m.roc.map((p) => [p.fpr, p.tpr]), colour: '#1f77b4' },
      {
        label: 'chance',
        points: [
          [0, 0],
          [1, 1],
        ],
        colour: '#999',
        dashed: true,
      },
    ],
  );
}

export function prSvg(m: Metrics): string {
  const positives = m.confusion.tp + m.confusion.fn;
  const base = positives / m.rows;
  return chart(
    `Precision–recall (average precision ${(m.prAuc ?? Number.NaN).toFixed(4)})`,
    'recall (sensitivity)',
    'precision (PPV)',
    [
      {
        label: 'model',
        points: (m.pr ?? []).map((p) => [p.recall, p.precision]),
        colour: '#2ca02c',
      },
      {
        label: `prevalence ${base.toFixed(2)}`,
        points: [
          [0, base],
          [1, base],
        ],
        colour: '#999',
        dashed: true,
      },
    ],
  );
}

export function calibrationSvg(c: Calibration): string {
  const points = c.bins
    .filter((b) => b.count > 0 && b.meanPredicted !== null && b.observed !== null)
    .map((b) => [b.meanPredicted!, b.observed!] as [number, number]);
  const slope = c.slope === null ? '—' : c.slope.toFixed(2);
  const intercept = c.intercept === null ? '—' : c.intercept.toFixed(2);
  return chart(
    `Calibration (slope ${slope}, intercept ${intercept})`,
    'mean predicted probability (per bin)',
    'observed rate of the positive class',
    [
      { label: 'model', points, colour: '#d62728', markers: true },
      {
        label: 'perfectly calibrated',
        points: [
          [0, 0],
          [1, 1],
        ],
        colour: '#999',
        dashed: true,
      },
    ],
  );
}

/**
 * A version's page: the metrics with intervals, the ROC and calibration charts and the confusion
 * matrix from its artifact, its model card and the policy decision in it, its lineage and its own
 * events. A version registered before model cards (or whose artifact is gone) says what it lacks.
 */
import { METRICS } from '../../evaluate/metric-catalog.js';
import type { Metrics } from '../../evaluate/metrics.js';
import type { Check, PromotionDecision } from '../../promotion/policy.js';
import type { ModelEntry, RegistryVersion } from '../../registry/schema.js';
import type { ModelCard } from '../../report/model-card.js';
import { calibrationSvg, rocSvg } from '../../report/svg.js';
import { chartHtml, unitCurveSpec } from '../charts.js';
import { esc, f4, interval, table } from '../html.js';
import type { VersionExtras } from '../input.js';
import { lineageHtml, lineageSteps } from '../lineage.js';
import { stageBadge, timelineTable } from './common.js';

export interface VersionPageOptions {
  model: string;
  entry: ModelEntry;
  version: RegistryVersion;
  extras: VersionExtras | undefined;
  repoUrl: string | null;
}

function metricsTable(v: RegistryVersion): string {
  const test = v.metrics.test;
  const train = v.metrics.train;
  const rows = METRICS.filter((m) => typeof test[m.key] === 'number').map((m) => [
    `${esc(m.label)} <small>(${m.direction === 'higher' ? '↑' : '↓'})</small>`,
    `<span class="num">${f4(test[m.key])}</span>`,
    interval(test.intervals?.[m.key]),
    f4(train[m.key]),
  ]);
  return table(
    `Held-out metrics on ${test.rows} rows${typeof test.threshold === 'number' ? ` at threshold ${test.threshold}` : ''}; ↑ higher is better, ↓ lower is better`,
    ['metric', 'held-out', '95% CI', 'training'],
    rows,
  );
}

function curves(extras: VersionExtras | undefined, v: RegistryVersion): string {
  const test = extras?.test;
  if (!test)
    return '<p class="notice">The artifact could not be read, so its ROC and calibration curves are not shown.</p>';
  const figures: string[] = [];
  if (test.roc.length) {
    // rocSvg reads only the curve, the AUC and the row count (for its title).
    const roc = { roc: test.roc, rocAuc: v.metrics.test.rocAuc, rows: v.metrics.test.rows };
    const svg = rocSvg(roc as Pick<Metrics, keyof typeof roc> as Metrics);
    const title = `ROC curve (AUC ${f4(v.metrics.test.rocAuc)}, ${v.metrics.test.rows} rows)`;
    const spec = unitCurveSpec(
      title,
      'false positive rate, 0–1',
      'true positive rate, 0–1',
      {
        label: 'model',
        colour: '#0969da',
        points: false,
        xy: test.roc.map((p) => [p.fpr, p.tpr]),
      },
      'chance',
    );
    figures.push(
      `<figure id="roc"><figcaption>ROC curve on the held-out rows.</figcaption>${chartHtml('chart-roc', spec, svg)}` +
        `<details><summary>Table of the curve</summary>${table(
          title,
          ['threshold', 'false positive rate', 'true positive rate'],
          test.roc.map((p) => [p.threshold > 1 ? '∞' : f4(p.threshold), f4(p.fpr), f4(p.tpr)]),
        )}</details></figure>`,
    );
  }
  const bins = test.calibration?.bins.filter((b) => b.count > 0 && b.observed !== null) ?? [];
  if (test.calibration && bins.length) {
    const cal = test.calibration;
    const fixed = (n: number | null) => (n === null ? '—' : n.toFixed(2));
    const title = `Calibration (slope ${fixed(cal.slope)}, intercept ${fixed(cal.intercept)})`;
    const xy = bins
      .filter((b) => b.meanPredicted !== null)
      .map((b) => [b.meanPredicted!, b.observed!] as [number, number])
      .sort((a, b) => a[0] - b[0]);
    const spec = unitCurveSpec(
      title,
      'mean predicted probability, 0–1',
      'observed positive rate, 0–1',
      { label: 'model', colour: '#cf222e', points: true, xy },
      'perfectly calibrated',
    );
    figures.push(
      `<figure id="calibration"><figcaption>Calibration: observed rate against mean predicted probability, per bin.</figcaption>${chartHtml('chart-calibration', spec, calibrationSvg(cal))}` +
        `<details><summary>Table of the bins</summary>${table(
          'Calibration bins',
          ['mean predicted', 'observed', 'rows'],
          bins.map((b) => [f4(b.meanPredicted), f4(b.observed), String(b.count)]),
        )}</details></figure>`,
    );
  } else figures.push('<p class="notice">No calibration recorded in this artifact.</p>');
  const c = test.confusion;
  const confusion = table(
    'Confusion matrix on the held-out rows (rows: actual, columns: predicted)',
    ['', 'predicted positive', 'predicted negative'],
    [
      ['<strong>actual positive</strong>', `${c.tp} true positives`, `${c.fn} false negatives`],
      ['<strong>actual negative</strong>', `${c.fp} false positives`, `${c.tn} true negatives`],
    ],
    'confusion',
  );
  return `<div class="charts">${figures.join('')}</div><h2>Confusion matrix</h2>${confusion}`;
}

const checkValue = (c: Check) =>
  [
    c.metric ? esc(c.metric) : '',
    c.candidate !== null ? `candidate ${f4(c.candidate)}` : '',
    c.production !== null ? `production ${f4(c.production)}` : '',
    c.threshold !== null ? `bar ${f4(c.threshold)}` : '',
    c.pValue !== null ? `p = ${f4(c.pValue)}` : '',
    c.interval ? `95% CI ${interval(c.interval)}` : '',
    c.note ? `(${esc(c.note)})` : '',
  ]
    .filter(Boolean)
    .join(', ');

function decisionHtml(d: PromotionDecision | null): string {
  if (!d)
    return '<p>Registered without a comparison: the model card records no policy decision.</p>';
  const words =
    d.outcome === 'promote'
      ? 'The policy recommended promoting this version'
      : d.outcome === 'keep'
        ? 'The policy kept this version out of production'
        : 'Production could not be scored on these rows; only a replacement could help';
  return [
    `<p id="decision" data-outcome="${esc(d.outcome)}"><strong class="${d.promote ? 'pass' : 'fail'}">${esc(words)}</strong>, on ${esc(d.comparedOn)}: candidate ${f4(d.candidate.value)}${d.production ? ` against production v${d.production.version} ${f4(d.production.value)}` : ''}, evaluated on ${d.evaluatedOn.rows} rows.</p>`,
    table(
      'Checks',
      ['check', 'result', 'numbers'],
      d.checks.map((c) => [
        esc(c.name),
        c.passed ? '<span class="pass">passed</span>' : '<span class="fail">failed</span>',
        checkValue(c),
      ]),
    ),
  ].join('');
}

function cardHtml(card: ModelCard | null): string {
  if (!card)
    return '<p class="notice">This version was registered before model cards; none is recorded.</p>';
  const d = card.data;
  return [
    `<p><strong>Not for:</strong> ${esc(card.intendedUse.notFor)}</p>`,
    `<p>${esc(card.intendedUse.purpose)}</p>`,
    `<p>Data <code>${esc(d.path)}</code>: ${d.rows} rows, positive class ${esc(d.positiveClass)}; held out ${d.heldOut.positives} positive and ${d.heldOut.negatives} negative. Source: ${esc(d.source ?? 'not recorded')}. Licence: ${esc(d.licence ?? 'not recorded')}.</p>`,
    `<p>Operating threshold ${card.operatingThreshold.threshold} (${esc(card.operatingThreshold.rule)}, chosen on ${esc(card.operatingThreshold.chosenOn)}).</p>`,
    card.calibration
      ? `<p>Calibration slope ${f4(card.calibration.slope)} (1 is ideal), intercept ${f4(card.calibration.intercept)} (0 is ideal).</p>`
      : '',
    card.crossValidation
      ? `<p>Cross-validation ${card.crossValidation.repeats} × ${card.crossValidation.folds}-fold: accuracy ${f4(card.crossValidation.accuracy?.mean)} ± ${f4(card.crossValidation.accuracy?.sd)}, sensitivity ${f4(card.crossValidation.recall?.mean)} ± ${f4(card.crossValidation.recall?.sd)}.</p>`
      : '',
    `<h3>Limitations</h3><ul>${card.limitations.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`,
    `<p><code>${esc(`${card.model.name}/v${card.model.version}/model-card.md`)}</code> in the registry holds the same card as Markdown.</p>`,
  ].join('');
}

export function versionPage(o: VersionPageOptions): string {
  const { model, entry, version: v } = o;
  const versions = entry.versions;
  const at = versions.findIndex((x) => x.version === v.version);
  const prev = versions[at - 1];
  const next = versions[at + 1];
  const production = versions.find((x) => x.stage === 'production');
  const compareTo = production && production.version !== v.version ? production : prev;
  const nav = [
    prev ? `<a href="v${prev.version}.html" rel="prev">← v${prev.version}</a>` : '',
    next ? `<a href="v${next.version}.html" rel="next">v${next.version} →</a>` : '',
    compareTo
      ? `<a href="diff.html?a=${compareTo.version}&amp;b=${v.version}">compare with v${compareTo.version}${compareTo === production ? ' (production)' : ''}</a>`
      : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const card = o.extras?.modelCard ?? null;
  return [
    `<h1>${esc(model)} v${v.version} ${stageBadge(v.stage)}</h1>`,
    `<p>Registered ${esc(v.createdAt)}. Artifact <code>${esc(v.sha256)}</code>.</p>`,
    nav ? `<p>${nav}</p>` : '',
    '<h2>Metrics</h2>',
    metricsTable(v),
    '<h2>Curves</h2>',
    curves(o.extras, v),
    '<h2>Policy decision</h2>',
    decisionHtml(card?.decision ?? null),
    '<h2>Lineage</h2>',
    lineageHtml(lineageSteps(entry, v, o.repoUrl, o.extras?.dataPath ?? null)),
    '<h2>Model card</h2>',
    cardHtml(card),
    '<h2>Events</h2>',
    timelineTable(
      `The history of v${v.version}`,
      entry.history.filter((e) => e.version === v.version),
      (n) => `v${n}.html`,
    ),
  ].join('\n');
}

/**
 * The model card: what a version is for, what it was trained on, how well it does (with
 * intervals, at its operating threshold), how calibrated it is, its cross-validation, its limits
 * and the policy decision about it. This module owns `model-card.json` and renders
 * `model-card.md`; both are committed with the version.
 */
import { z } from 'zod';
import type { Config } from '../config/config.js';
import { METRICS, type MetricKey } from '../evaluate/metric-catalog.js';
import type { Artifact } from '../model/artifact.js';
import { DecisionSchema, type PromotionDecision } from '../promotion/policy.js';
import { parseToWrite } from '../util/format-issue.js';
import { decisionMarkdown, f4 } from './decision.js';

export const MODEL_CARD_SCHEMA_VERSION = 1;
export const MODEL_CARD_JSON = 'model-card.json';
export const MODEL_CARD_MD = 'model-card.md';

/**
 * What a card says a model is not for when its config does not say (model.card.notFor). Like the
 * owners' words, it is rendered after a "Not for:" label: on its own, a bare list of uses read as
 * the model's intended use.
 */
const NOT_FOR_DEFAULT =
  'Decisions about people without a person reviewing them, or rows from another population or data source than the one it was trained on.';

const Interval = z.tuple([z.number().nullable(), z.number().nullable()]).nullable();

export const ModelCardSchema = z.strictObject({
  schemaVersion: z.literal(MODEL_CARD_SCHEMA_VERSION),
  model: z.strictObject({ name: z.string(), version: z.number().int() }),
  intendedUse: z.strictObject({ purpose: z.string(), notFor: z.string() }),
  data: z.strictObject({
    path: z.string(),
    source: z.string().nullable(),
    licence: z.string().nullable(),
    rows: z.number().int(),
    classes: z.tuple([z.string(), z.string()]),
    positiveClass: z.string(),
    /** Positives and negatives in the held-out rows, the ones the metrics describe. */
    heldOut: z.strictObject({ positives: z.number().int(), negatives: z.number().int() }),
    sha256: z.string(),
  }),
  operatingThreshold: z.strictObject({
    threshold: z.number(),
    rule: z.string(),
    chosenOn: z.string(),
  }),
  metrics: z.array(
    z.strictObject({ key: z.string(), label: z.string(), value: z.number(), interval: Interval }),
  ),
  calibration: z
    .strictObject({ slope: z.number().nullable(), intercept: z.number().nullable() })
    .nullable(),
  crossValidation: z
    .strictObject({
      folds: z.number().int(),
      repeats: z.number().int(),
      accuracy: z.strictObject({ mean: z.number(), sd: z.number() }).nullable(),
      recall: z.strictObject({ mean: z.number(), sd: z.number() }).nullable(),
    })
    .nullable(),
  limitations: z.array(z.string()),
  decision: DecisionSchema.nullable(),
});
export type ModelCard = z.infer<typeof ModelCardSchema>;

export interface ModelCardInput {
  artifact: Artifact;
  version: number;
  decision: PromotionDecision | null;
  data: { source: string | null; licence: string | null };
  /** The config's model.card: the owners' words about use; generic text where it is silent. */
  use?: { purpose?: string | undefined; notFor?: string | undefined; limitations?: string[] };
}

/** The parts of a card input that come from the project config, for every caller. */
export function cardInputFromConfig(config: Config): Pick<ModelCardInput, 'data' | 'use'> {
  return {
    data: { source: config.data.source ?? null, licence: config.data.licence ?? null },
    use: config.model.card ?? {},
  };
}

/** The card's data, from the artifact, the decision and the data's provenance. */
export function modelCard(input: ModelCardInput): ModelCard {
  const { artifact } = input;
  const test = artifact.metrics.test;
  const cv = artifact.crossValidation;
  const cvStat = (key: MetricKey) => {
    const s = cv?.metrics[key];
    return s ? { mean: s.mean, sd: s.sd } : null;
  };
  const threshold = artifact.operatingPoint ?? {
    threshold: 0.5,
    rule: 'fixed',
    chosenOn: 'config',
  };
  return parseToWrite(
    ModelCardSchema,
    {
      schemaVersion: MODEL_CARD_SCHEMA_VERSION,
      model: { name: artifact.name, version: input.version },
      intendedUse: {
        purpose:
          input.use?.purpose ??
          `Estimates the probability that a row is ${artifact.positiveClass} (against ${artifact.classes.find((c) => c !== artifact.positiveClass)}), from ${artifact.features.length} features.`,
        notFor: input.use?.notFor ?? NOT_FOR_DEFAULT,
      },
      data: {
        path: artifact.lineage.dataPath,
        source: input.data.source,
        licence: input.data.licence,
        rows: artifact.lineage.dataRows,
        classes: artifact.classes,
        positiveClass: artifact.positiveClass,
        heldOut: {
          positives: test.confusion.tp + test.confusion.fn,
          negatives: test.confusion.tn + test.confusion.fp,
        },
        sha256: artifact.lineage.dataSha256,
      },
      operatingThreshold: {
        threshold: threshold.threshold,
        rule: threshold.rule,
        chosenOn: threshold.chosenOn,
      },
      metrics: METRICS.filter((m) => typeof test[m.key] === 'number').map((m) => ({
        key: m.key,
        label: m.label,
        value: test[m.key] as number,
        interval: test.intervals?.[m.key] ?? null,
      })),
      calibration: test.calibration
        ? { slope: test.calibration.slope, intercept: test.calibration.intercept }
        : null,
      crossValidation: cv
        ? {
            folds: cv.folds,
            repeats: cv.repeats,
            accuracy: cvStat('accuracy'),
            recall: cvStat('recall'),
          }
        : null,
      limitations: [
        `Evaluated on ${test.rows} held-out rows of one data set (${artifact.lineage.split.testRows} test / ${artifact.lineage.split.trainRows} train, seed ${artifact.lineage.split.seed}); the intervals show how much that small sample leaves uncertain.`,
        'Trained and evaluated on one source population; performance on other populations or data sources is unknown.',
        'Logistic regression on the given features: it cannot use information outside them, and it assumes their meaning and units do not change.',
        ...(input.use?.limitations ?? []),
      ],
      decision: input.decision,
    },
    'model card',
  );
}

/** The card as Markdown, for people. */
export function modelCardMarkdown(card: ModelCard): string {
  const ci = (i: ModelCard['metrics'][number]['interval']) =>
    i && i[0] !== null && i[1] !== null ? `${f4(i[0])}–${f4(i[1])}` : '—';
  const d = card.data;
  return [
    `# Model card: ${card.model.name} v${card.model.version}`,
    '',
    `> **Not for:** ${card.intendedUse.notFor}`,
    '',
    '## Intended use',
    '',
    card.intendedUse.purpose,
    '',
    '## Data',
    '',
    `- \`${d.path}\`: ${d.rows} rows, classes ${d.classes.join(' / ')} (positive: ${d.positiveClass}); held-out rows: ${d.heldOut.positives} ${d.positiveClass}, ${d.heldOut.negatives} other.`,
    `- Source: ${d.source ?? 'not recorded'}. Licence: ${d.licence ?? 'not recorded'}.`,
    `- Fingerprint: \`${d.sha256}\`.`,
    '',
    `## Performance on the held-out rows, at the operating threshold ${card.operatingThreshold.threshold} (${card.operatingThreshold.rule}, chosen on ${card.operatingThreshold.chosenOn})`,
    '',
    '| metric | value | 95% CI |',
    '|:--|--:|--:|',
    ...card.metrics.map((m) => `| ${m.label} | ${f4(m.value)} | ${ci(m.interval)} |`),
    '',
    '## Calibration',
    '',
    card.calibration
      ? `Calibration slope ${f4(card.calibration.slope)} (1 is ideal; below 1 means over-confident), intercept ${f4(card.calibration.intercept)} (0 is ideal).`
      : 'Not recorded for this version.',
    '',
    '## Cross-validation of the recipe (training rows)',
    '',
    card.crossValidation
      ? `${card.crossValidation.repeats} × ${card.crossValidation.folds}-fold: accuracy ${f4(card.crossValidation.accuracy?.mean)} ± ${f4(card.crossValidation.accuracy?.sd)}, sensitivity ${f4(card.crossValidation.recall?.mean)} ± ${f4(card.crossValidation.recall?.sd)} (mean ± sd over folds).`
      : 'Not run for this version.',
    '',
    '## Limitations',
    '',
    ...card.limitations.map((l) => `- ${l}`),
    '',
    '## Policy decision',
    '',
    card.decision ? decisionMarkdown(card.decision) : 'Registered without a comparison.',
    '',
  ].join('\n');
}

/** The card's two files, by name, for the registry to write beside the artifact. */
export function modelCardFiles(input: ModelCardInput): Record<string, string> {
  const card = modelCard(input);
  return {
    [MODEL_CARD_JSON]: `${JSON.stringify(card, null, 2)}\n`,
    [MODEL_CARD_MD]: modelCardMarkdown(card),
  };
}

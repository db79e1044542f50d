import { loadFeatureTable } from '../../data/csv.js';
import { loadArtifact } from '../../model/artifact.js';
import { createPredictor, type Explanation, type Prediction } from '../../model/predictor.js';
import { parseCommand, required } from '../args.js';
import { fixed, textTable } from '../format.js';

export const PREDICT_HELP = `Usage: oncoclear predict --model FILE --input CSV [--json] [--explain]

Batch inference: one prediction per row of the CSV, in input order. The CSV needs the model's
feature columns (by name, any order); a target column, if present, is ignored. Empty cells are
imputed exactly as in training.

Options:
  --model FILE  model artifact written by 'oncoclear train'
  --input CSV   rows to score
  --json        print an array of { "label", "probabilities": { "<class>": p } }
  --explain     also give each feature's contribution to the log-odds of the positive class
                (coefficient × standardised value; intercept + contributions = logit); with
                --json as "explanation", otherwise the intercept, logit and top contributors
  -h, --help    show this help
`;

/** The explanation table: one line per row with its logit and largest contributors. */
export function explanationTable(explanations: readonly Explanation[]): string {
  const rows = explanations.map((e, i) => [
    String(i + 1),
    fixed(e.logit),
    fixed(e.intercept),
    e.top
      .map(
        ({ feature, contribution }) =>
          `${feature} ${contribution >= 0 ? '+' : ''}${fixed(contribution)}`,
      )
      .join(', '),
  ]);
  const positive = explanations[0]?.positiveClass ?? 'positive';
  return textTable(['row', `logit(${positive})`, 'intercept', 'top contributors'], rows);
}

export async function predictCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand('predict', argv, {
    model: { type: 'string' },
    input: { type: 'string' },
    json: { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
  });
  if (values.help) return void process.stdout.write(PREDICT_HELP);
  const { artifact } = loadArtifact(required('predict', values.model, '--model FILE'));
  const table = loadFeatureTable(
    required('predict', values.input, '--input CSV'),
    artifact.features,
  );
  const predictor = createPredictor(artifact);
  const p = artifact.features.length;
  const predictions: (Prediction & { explanation?: Explanation })[] = [];
  for (let i = 0; i < table.rowCount; i++) {
    const row = table.x.subarray(i * p, i * p + p);
    predictions.push(values.explain ? predictor.explain(row) : predictor.predict(row));
  }
  if (values.json) return void process.stdout.write(`${JSON.stringify(predictions)}\n`);
  const [neg, pos] = artifact.classes;
  const rows = predictions.map((pr, i) => [
    String(i + 1),
    pr.label,
    fixed(pr.probabilities[pos]!),
    fixed(pr.probabilities[neg]!),
  ]);
  process.stdout.write(`${textTable(['row', 'label', `p(${pos})`, `p(${neg})`], rows)}\n`);
  process.stderr.write(
    `• Labels use the operating threshold ${predictor.threshold.toFixed(4)}: ${pos} at p(${pos}) ≥ ${predictor.threshold.toFixed(4)}\n`,
  );
  if (values.explain)
    process.stdout.write(`\n${explanationTable(predictions.map((pr) => pr.explanation!))}\n`);
}

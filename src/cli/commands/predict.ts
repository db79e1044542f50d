import { loadFeatureTable } from '../../data/csv.js';
import { loadArtifact } from '../../model/artifact.js';
import { createPredictor } from '../../model/predictor.js';
import { parseCommand, required } from '../args.js';
import { fixed, textTable } from '../format.js';

export const PREDICT_HELP = `Usage: oncoclear predict --model FILE --input CSV [--json]

Batch inference: one prediction per row of the CSV, in input order. The CSV needs the model's
feature columns (by name, any order); a target column, if present, is ignored. Empty cells are
imputed exactly as in training.

Options:
  --model FILE  model artifact written by 'oncoclear train'
  --input CSV   rows to score
  --json        print an array of { "label", "probabilities": { "<class>": p } }
  -h, --help    show this help
`;

export async function predictCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand('predict', argv, {
    model: { type: 'string' },
    input: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (values.help) return void process.stdout.write(PREDICT_HELP);
  const { artifact } = loadArtifact(required('predict', values.model, '--model FILE'));
  const table = loadFeatureTable(
    required('predict', values.input, '--input CSV'),
    artifact.features,
  );
  const predictor = createPredictor(artifact);
  const p = artifact.features.length;
  const predictions = [];
  for (let i = 0; i < table.rowCount; i++)
    predictions.push(predictor.predict(table.x.subarray(i * p, i * p + p)));
  if (values.json) return void process.stdout.write(`${JSON.stringify(predictions)}\n`);
  const [neg, pos] = artifact.classes;
  const rows = predictions.map((pr, i) => [
    String(i + 1),
    pr.label,
    fixed(pr.probabilities[pos]!),
    fixed(pr.probabilities[neg]!),
  ]);
  process.stdout.write(`${textTable(['row', 'label', `p(${pos})`, `p(${neg})`], rows)}\n`);
}

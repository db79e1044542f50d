import { loadConfig } from '../../config/config.js';
import { loadDataset } from '../../data/csv.js';
import { evaluateArtifact } from '../../evaluate/evaluate.js';
import { loadArtifact } from '../../model/artifact.js';
import { parseCommand, required } from '../args.js';
import { confusionTable, metricsTable } from '../format.js';

export const EVALUATE_HELP = `Usage: oncoclear evaluate --model FILE [--data CSV] [--config FILE] [--json]

Scores a model artifact on labelled data: every row of the CSV (default: the config's data set).

Options:
  --model FILE   model artifact written by 'oncoclear train'
  --data CSV     labelled data with the model's feature columns and target column
  --config FILE  project config, for the default data path (default: oncoclear.config.json)
  --json         print the metrics as one JSON object
  -h, --help     show this help
`;

export async function evaluateCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand('evaluate', argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    config: { type: 'string', default: 'oncoclear.config.json' },
    json: { type: 'boolean', default: false },
  });
  if (values.help) return void process.stdout.write(EVALUATE_HELP);
  const { artifact } = loadArtifact(required('evaluate', values.model, '--model FILE'));
  const dataPath = values.data ?? loadConfig(values.config!).data.path;
  const data = loadDataset(dataPath, {
    target: artifact.target,
    positiveClass: artifact.positiveClass,
    features: artifact.features,
  });
  const { metrics } = evaluateArtifact(artifact, data);
  if (values.json)
    return void process.stdout.write(`${JSON.stringify({ data: dataPath, metrics })}\n`);
  process.stdout.write(
    `${metricsTable({ [dataPath]: metrics })}\n\n${confusionTable(metrics, artifact.classes)}\n`,
  );
}

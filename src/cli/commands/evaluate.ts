import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../config/config.js';
import { loadDataset } from '../../data/csv.js';
import { selectRows } from '../../data/dataset.js';
import { rowsHash, splitRows } from '../../data/split.js';
import { evaluateArtifact } from '../../evaluate/evaluate.js';
import { loadArtifact } from '../../model/artifact.js';
import { calibrationSvg, prSvg, rocSvg } from '../../report/svg.js';
import { CliError, parseCommand, required } from '../args.js';
import { progress, warning } from '../context.js';
import { confusionTable, metricsTable } from '../format.js';

export const EVALUATE_HELP = `Usage: oncoclear evaluate --model FILE [--data CSV] [--all] [--plots DIR] [--config FILE] [--json]

Scores a model artifact on its held-out rows: the test part of the split it was trained with,
rebuilt from the artifact's lineage (same data bytes, same seed and fraction). Refuses when the
data is not the data it was trained on; pass --all for data none of whose rows it was trained on.

Options:
  --model FILE   model artifact written by 'oncoclear train'
  --data CSV     labelled data with the model's feature columns and target column
                 (default: the config's data set)
  --all          score every row (warns: on the training data that includes the training rows)
  --plots DIR    also write roc.svg, pr.svg and calibration.svg there
  --config FILE  project config, for the default data path (default: oncoclear.config.json)
  --json         print the metrics as one JSON object
  -h, --help     show this help
`;

export async function evaluateCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand('evaluate', argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    all: { type: 'boolean', default: false },
    plots: { type: 'string' },
    config: { type: 'string', default: DEFAULT_CONFIG_FILE },
    json: { type: 'boolean', default: false },
  });
  if (values.help) return void process.stdout.write(EVALUATE_HELP);
  const log = progress(values.json!);
  const { artifact } = loadArtifact(required('evaluate', values.model, '--model FILE'));
  const dataPath = values.data ?? loadConfig(values.config!).data.path;
  const data = loadDataset(dataPath, {
    target: artifact.target,
    positiveClass: artifact.positiveClass,
    features: artifact.features,
  });
  const { lineage } = artifact;
  const sameData = data.sha256 === lineage.dataSha256;
  let rows = data;
  let scope: 'held-out' | 'all' = 'all';
  if (!values.all) {
    if (!sameData) {
      throw new CliError(
        `${dataPath} is not the data ${artifact.name} was trained on (${data.sha256?.slice(0, 19)}…, trained on ${lineage.dataSha256.slice(0, 19)}…), so its held-out rows cannot be rebuilt. If none of these rows were used in training, pass --all.`,
        2,
      );
    }
    const split = splitRows(data.y, lineage.split);
    if (rowsHash(split.test) !== lineage.split.testRowsHash)
      throw new CliError(
        `The held-out rows of ${artifact.name} could not be rebuilt from its recorded split (hash mismatch); pass --all to score every row.`,
        1,
      );
    rows = selectRows(data, split.test);
    scope = 'held-out';
  } else if (sameData) {
    warning(
      `--all scores every row of ${dataPath}, including the ${lineage.split.trainRows} rows ${artifact.name} was trained on, so the numbers are optimistic. Without --all, evaluate scores the ${lineage.split.testRows} held-out rows.`,
    );
  }
  const { metrics } = evaluateArtifact(artifact, rows);
  if (values.plots) {
    mkdirSync(values.plots, { recursive: true });
    writeFileSync(join(values.plots, 'roc.svg'), rocSvg(metrics));
    writeFileSync(join(values.plots, 'pr.svg'), prSvg(metrics));
    if (metrics.calibration)
      writeFileSync(join(values.plots, 'calibration.svg'), calibrationSvg(metrics.calibration));
    log(`Wrote roc.svg, pr.svg and calibration.svg to ${values.plots}`);
  }
  if (values.json)
    return void process.stdout.write(
      `${JSON.stringify({ data: dataPath, rows: scope, count: rows.rowCount, metrics })}\n`,
    );
  const title = `${dataPath} (${scope === 'held-out' ? `${rows.rowCount} held-out rows` : `all ${rows.rowCount} rows`}, threshold ${metrics.threshold ?? 0.5})`;
  process.stdout.write(
    `${metricsTable({ [title]: metrics })}\n\n${confusionTable(metrics, artifact.classes)}\n`,
  );
}

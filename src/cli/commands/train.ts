import { join } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../config/config.js';
import { ensureDataFile } from '../../data/remote.js';
import { saveArtifact } from '../../model/artifact.js';
import { trainFromConfig } from '../../pipeline/train.js';
import { parseCommand } from '../args.js';
import { committedLineage, packageVersion, pinnedByUrl, progress, warning } from '../context.js';
import { confusionTable, metricsTable } from '../format.js';

export const TRAIN_HELP = `Usage: oncoclear train [--config FILE] [--data CSV] [--out DIR] [--json]

Trains a model on the configured data set and writes a model artifact.

Options:
  --config FILE  project config (default: oncoclear.config.json)
  --data CSV     training data; overrides the config's data.path
  --out DIR      where to write model.json and model.json.sha256 (default: out)
  --json         print one JSON object: { artifact, sha256, metrics, timings }
  -h, --help     show this help
`;

export async function trainCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand('train', argv, {
    config: { type: 'string', default: DEFAULT_CONFIG_FILE },
    data: { type: 'string' },
    out: { type: 'string', default: 'out' },
    json: { type: 'boolean', default: false },
  });
  if (values.help) return void process.stdout.write(TRAIN_HELP);
  const config = loadConfig(values.config!);
  const json = values.json!;
  const log = progress(json);
  if (!values.data) await ensureDataFile(config, { log });
  const dataPath = values.data ?? config.data.path;
  const result = trainFromConfig(
    config,
    {
      commit: committedLineage([dataPath, values.config!], pinnedByUrl(config, dataPath)),
      now: () => new Date(),
      packageVersion: packageVersion(),
      log,
      warn: warning,
    },
    dataPath,
  );
  const file = join(values.out!, 'model.json');
  const checksum = saveArtifact(file, result.artifact);
  const { metrics } = result.artifact;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ artifact: file, sha256: checksum, metrics, timings: result.timings })}\n`,
    );
    return;
  }
  process.stdout.write(`\n${metricsTable({ train: metrics.train, test: metrics.test })}\n\n`);
  process.stdout.write(
    `Test confusion matrix\n${confusionTable(metrics.test, result.artifact.classes)}\n\n`,
  );
  process.stdout.write(`Wrote ${file} (${checksum})\n`);
}

import { DEFAULT_CONFIG_FILE, loadConfig } from '../../config/config.js';
import { ensureDataFile } from '../../data/remote.js';
import { METRICS } from '../../evaluate/metric-catalog.js';
import { type PipelineResult, runPipeline } from '../../pipeline/pipeline.js';
import { checkSentence, deltaWords } from '../../report/decision.js';
import { parseCommand } from '../args.js';
import { committedLineage, packageVersion, pinnedByUrl, progress, warning } from '../context.js';
import { fixed, textTable } from '../format.js';
import { openRegistry } from '../registry-location.js';
import { localActor } from './register.js';

export const PIPELINE_HELP = `Usage: oncoclear pipeline [--config FILE] [--data CSV] [--registry DIR] [--json]

Runs the whole local loop: train → score the production model on the candidate's own test rows
→ register the candidate → apply the promotion policy. Locally the decision is applied at once;
in CI a promotion PR is opened instead.

Options:
  --config FILE    project config (default: oncoclear.config.json)
  --registry DIR   registry directory (default: the git-ignored .local/registry, seeded from
                   registry/)
  --data CSV       training data; overrides the config's data.path
  --json           print { version, promoted, decision, metrics }
  -h, --help       show this help
`;

export async function pipelineCommand(argv: string[]): Promise<PipelineResult | undefined> {
  const { values } = parseCommand('pipeline', argv, {
    config: { type: 'string', default: DEFAULT_CONFIG_FILE },
    registry: { type: 'string' },
    data: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (values.help) return void process.stdout.write(PIPELINE_HELP);
  const config = loadConfig(values.config!);
  const log = progress(values.json!);
  const store = openRegistry(values.registry, config.registry.path, log);
  if (!values.data) await ensureDataFile(config, { log });
  const result = await runPipeline({
    config,
    store,
    apply: true,
    actor: localActor(),
    commit: committedLineage(
      [values.data ?? config.data.path, values.config!],
      pinnedByUrl(config, values.data ?? config.data.path),
    ),
    now: () => new Date(),
    packageVersion: packageVersion(),
    log,
    warn: warning,
    dataPath: values.data,
  });
  const { decision } = result.comparison;
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ model: config.model.name, version: result.registered.version, registry: store.dir, promoted: result.promoted, decision, metrics: result.train.artifact.metrics.test })}\n`,
    );
    return result;
  }
  // The registry's production version comes from the decision: the comparison's `production`
  // holds metrics and is null both when there is none and when it could not be scored here.
  const prodVersion = decision.production?.version ?? null;
  const scored = result.comparison.production;
  const candidate = result.comparison.candidate;
  const rows = METRICS.filter(
    (m) =>
      typeof candidate[m.key] === 'number' &&
      (!scored || typeof scored.metrics[m.key] === 'number'),
  ).map((m) => {
    const c = candidate[m.key] as number;
    const name = `${m.label} ${m.direction === 'higher' ? '↑' : '↓'}`;
    if (!scored) return [name, fixed(c), '—', '—'];
    const p = scored.metrics[m.key] as number;
    return [name, fixed(c), fixed(p), deltaWords(m.key, c - p)];
  });
  const versus =
    prodVersion === null
      ? `no production, on the same ${decision.evaluatedOn.rows} test rows`
      : scored
        ? `production v${prodVersion}, on the same ${decision.evaluatedOn.rows} test rows`
        : `production v${prodVersion}, which cannot be scored on these ${decision.evaluatedOn.rows} test rows`;
  process.stdout.write(`\nCandidate v${result.registered.version} vs ${versus}\n`);
  process.stdout.write(
    `${textTable(['metric', `v${result.registered.version}`, prodVersion === null ? 'production' : `v${prodVersion}`, 'candidate vs production'], rows)}\n\n`,
  );
  for (const check of decision.checks)
    process.stdout.write(
      `  ${check.passed ? '✓' : '✗'} ${check.name}: ${checkSentence(check, decision)}\n`,
    );
  process.stdout.write(
    `\n${result.promoted ? `Promoted v${result.registered.version} to production.` : `Kept ${prodVersion === null ? 'no version' : `v${prodVersion}`} in production; v${result.registered.version} stays in staging.`} Registry: ${store.dir}\n`,
  );
  return result;
}

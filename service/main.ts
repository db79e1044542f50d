// Node entry for `oncoclear serve` and `oncoclear start` (bundled to dist/service.js and run by
// bin/oncoclear.js with argv [node, bin, command, ...flags]). The only place that reads the
// environment or exits the process; the app itself is built by service/app.ts.
// `serve` and a cluster worker's start are in service/serve-command.ts; `start` runs the pipeline
// first, imported only when asked for.
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { parseServeOptions, type ServeOptions, UsageError } from './options.js';
import { fail, runServe, serve, workerFailed } from './serve-command.js';

const START_HELP = `Usage: oncoclear start [serve options]

Runs the pipeline (train → compare → register → promote) against the local registry
.local/registry, then serves its production version until Ctrl-C: on port 8000 (all interfaces)
with serve's default number of processes (one per CPU on Node 22.12+ on Linux; else one), unless
serve's options or environment say otherwise (--port/PORT, --host/HOST, --workers/WORKERS, ...;
see 'oncoclear serve --help'). It serves the model oncoclear.config.json names (model.name) from
the local registry, so --model, --registry and --model-name are refused: use 'oncoclear serve'
for those.
`;

/** serve's flags that name what to serve: start always serves the local registry. */
const START_REFUSES = ['--model', '--registry', '--model-name'];

async function startCommand(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(START_HELP);
  const refused = argv
    .map((arg) => arg.split('=')[0]!)
    .find((flag) => START_REFUSES.includes(flag));
  if (refused !== undefined) {
    const error = new UsageError(
      `start serves the local registry, so it takes no ${refused}; run 'oncoclear serve ${refused} ...' to serve something else.`,
    );
    return fail('start', error, 2);
  }
  const [{ LOCAL_REGISTRY }, { DEFAULT_CONFIG_FILE, loadConfig }] = await Promise.all([
    import('../src/cli/registry-location.js'),
    import('../src/config/config.js'),
  ]);
  // Checked before the pipeline runs, so a typo fails at once rather than after training.
  let options: ServeOptions;
  try {
    options = parseServeOptions(['--registry', LOCAL_REGISTRY, ...argv], process.env)!;
  } catch (error) {
    // Usage errors point at 'oncoclear serve --help', which lists the options start takes.
    return fail('start', error, error instanceof UsageError ? 2 : 1);
  }
  // The model the pipeline trains, however many others the local registry holds (a renamed
  // model, a second config): serve would otherwise refuse to choose, and advise --model-name.
  let modelName: string;
  try {
    // loadConfig's advice for a missing file (--config) is not start's: start always reads it.
    if (!existsSync(DEFAULT_CONFIG_FILE))
      throw new Error(
        `start runs the pipeline on ./${DEFAULT_CONFIG_FILE}, which is not here; run it from the project's root (or 'oncoclear init' a project first).`,
      );
    modelName = loadConfig(DEFAULT_CONFIG_FILE).model.name;
  } catch (error) {
    return fail('start', error, 1);
  }
  options = { ...options, source: { kind: 'registry', dir: LOCAL_REGISTRY, modelName } };
  const { main } = await import('../src/cli/main.js');
  const code = await main(['pipeline']);
  if (code !== 0) {
    process.exitCode = code;
    return;
  }
  try {
    // Its workers (if any) serve these options: the pipeline has run once, here.
    const { url, model } = await serve(options);
    process.stdout.write(
      `\nServing ${model.name} v${model.version} from ${LOCAL_REGISTRY} until Ctrl-C\n  docs:    ${url}/docs\n  predict: POST ${url}/predict\n\n`,
    );
  } catch (error) {
    if (!(await workerFailed(error))) fail('start', error, 1);
  }
}

const [command, ...argv] = process.argv.slice(2);
if (command === 'start' && !cluster.isWorker) await startCommand(argv);
else await runServe(argv);

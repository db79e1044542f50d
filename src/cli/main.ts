import { CliError } from './args.js';
import { dashboardCommand } from './commands/dashboard.js';
import { evaluateCommand } from './commands/evaluate.js';
import { initCommand } from './commands/init.js';
import { pipelineCommand } from './commands/pipeline.js';
import { predictCommand } from './commands/predict.js';
import { registerCommand } from './commands/register.js';
import { registryCommand } from './commands/registry.js';
import { trainCommand } from './commands/train.js';
import { packageVersion } from './context.js';

const help = () => `OncoClear ${packageVersion()}

Usage: oncoclear <command> [options]

Commands:
  init       set up OncoClear in a git repository: config, registry, workflows
  train      train and evaluate a model, write the artifact
  evaluate   score an artifact on labelled data
  predict    batch inference on a CSV
  register   add an artifact to the registry
  registry   show, history, diff, promote, rollback, migrate, export-model
  pipeline   train → compare with production → register → decide
  dashboard  build the registry's static site (overview, versions, lineage, diff)
  serve      serve a model over HTTP (/predict, /docs, /metrics, OIP v2)
  start      run the pipeline, then serve production on :8000

Run 'oncoclear <command> --help' for a command's options; 'oncoclear --version' for the version.
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<unknown>> = {
  init: initCommand,
  train: trainCommand,
  evaluate: evaluateCommand,
  predict: predictCommand,
  register: registerCommand,
  registry: registryCommand,
  pipeline: pipelineCommand,
  dashboard: dashboardCommand,
};

/** Runs one CLI command; failures print one line and set a non-zero exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(help());
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(
      `oncoclear: unknown command '${command}'; expected one of ${Object.keys(COMMANDS).join(', ')}, serve, start. Run 'oncoclear --help'.\n`,
    );
    return 2;
  }
  try {
    await run(rest);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`oncoclear ${command}: ${message}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

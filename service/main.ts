// Node entry for `oncoclear serve` and `oncoclear start` (bundled to dist/service.js and run by
// bin/oncoclear.js with argv [node, bin, command, ...flags]). The only place that reads the
// environment or exits the process; the app itself is built by service/app.ts.
import { parseServeOptions, SERVE_HELP, UsageError } from './options.js';
import { startServing } from './serve.js';

const START_HELP = `Usage: oncoclear start

Runs the pipeline (train → compare → register → promote) against the local registry
.local/registry, then serves its production version on port 8000 (all interfaces) until Ctrl-C.
`;

/** One line on stderr, whatever the message contains, so a failed start is easy to read. */
function fail(command: string, error: unknown, code: number): void {
  const message = (error instanceof Error ? error.message : String(error)).replace(
    /\s*\n\s*/g,
    ' ',
  );
  process.stderr.write(`oncoclear ${command}: ${message}\n`);
  process.exitCode = code;
}

async function serveCommand(argv: string[]): Promise<void> {
  let options: ReturnType<typeof parseServeOptions>;
  try {
    options = parseServeOptions(argv, process.env);
  } catch (error) {
    return fail('serve', error, error instanceof UsageError ? 2 : 1);
  }
  if (!options) return void process.stdout.write(SERVE_HELP);
  try {
    await startServing(options);
  } catch (error) {
    fail('serve', error, 1);
  }
}

async function startCommand(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(START_HELP);
  const cli = await import('../src/cli/main.js');
  const { LOCAL_REGISTRY } = await import('../src/cli/registry-location.js');
  const { main } = cli;
  const code = await main(['pipeline']);
  if (code !== 0) {
    process.exitCode = code;
    return;
  }
  try {
    const options = parseServeOptions(['--registry', LOCAL_REGISTRY, '--port', '8000'], {});
    const { url, model } = await startServing(options!);
    process.stdout.write(
      `\nServing ${model.name} v${model.version} from ${LOCAL_REGISTRY} until Ctrl-C\n  docs:    ${url}/docs\n  predict: POST ${url}/predict\n\n`,
    );
  } catch (error) {
    fail('start', error, 1);
  }
}

const [command, ...argv] = process.argv.slice(2);
if (command === 'start') await startCommand(argv);
else await serveCommand(argv);

// `oncoclear serve` and a cluster worker's start: shared by the ESM entry (service/main.ts) and the
// V8 startup snapshot's (service/snapshot.ts), so both serve alike. Everything past the flags is
// imported dynamically: esbuild then evaluates those modules only when they are needed, so a
// primary that serves nothing never builds an app, and usage errors and --help answer without
// loading the model code.
import cluster from 'node:cluster';
import {
  parseServeOptions,
  reusePortSupported,
  SERVE_HELP,
  type ServeOptions,
  UsageError,
} from './options.js';

/** One line on stderr, whatever the message contains, so a failed start is easy to read. */
export function fail(command: string, error: unknown, code: number): void {
  const message = (error instanceof Error ? error.message : String(error)).replace(
    /\s*\n\s*/g,
    ' ',
  );
  process.stderr.write(`oncoclear ${command}: ${message}\n`);
  process.exitCode = code;
}

/**
 * Serves in this process, or as the primary of `options.workers` workers. Resolves with where it
 * listens and what it serves.
 */
export async function serve(options: ServeOptions) {
  if (options.workers === 1) return (await import('./serve.js')).startServing(options);
  const [{ runPrimary, reservePort }, { createLogger }, { resolveAuditKey }] = await Promise.all([
    import('./node/cluster.js'),
    import('./log.js'),
    import('./audit-key.js'),
  ]);
  // One audit key for every process, read or made here once, so their fingerprints match (a
  // Secret rotated under a running cluster cannot split it) and a bad key file fails the start
  // once. Workers ask for it over IPC: it is not in their environment.
  const resolved = resolveAuditKey(options);
  const auditKey = { key: Buffer.from(resolved.key).toString('base64'), source: resolved.source };
  const logger = createLogger();
  // Without reusePort the workers share the primary's socket, as node:cluster does, and the
  // primary serves nothing.
  if (!reusePortSupported())
    return runPrimary({ workers: options.workers, serve: options, auditKey, logger });
  // With their own SO_REUSEPORT sockets they need one port number up front (port 0 would give
  // each its own), and the primary serves too, first.
  const shared: ServeOptions = {
    ...options,
    port: await reservePort(options.port, options.host),
    reusePort: true,
  };
  const { startServing } = await import('./serve.js');
  return runPrimary({
    workers: options.workers,
    serve: shared,
    auditKey,
    logger,
    self: (link) => startServing({ ...shared, auditKey }, logger, link),
  });
}

/** A cluster worker: serves the options its primary resolved (see WORKER_OPTIONS_ENV). */
async function serveAsWorker(): Promise<void> {
  const [
    { startServing, StoppedBeforeListening },
    { workerLink },
    { WORKER_OPTIONS_ENV },
    { createLogger },
  ] = await Promise.all([
    import('./serve.js'),
    import('./node/worker-link.js'),
    import('./node/cluster-messages.js'),
    import('./log.js'),
  ]);
  try {
    const options = JSON.parse(process.env[WORKER_OPTIONS_ENV] ?? 'null') as ServeOptions;
    const link = workerLink();
    const auditKey = await link.auditKey();
    await startServing({ ...options, ...(auditKey ? { auditKey } : {}) }, createLogger(), link);
  } catch (error) {
    if (error instanceof StoppedBeforeListening) process.exit(0);
    fail('serve', error, 1);
    // The IPC channel would keep a failed worker alive (and disconnecting exits 0).
    process.exit();
  }
}

/** True when a cluster worker failed to start: it has printed why; only the exit code is left. */
export async function workerFailed(error: unknown): Promise<boolean> {
  if (!(error instanceof Error)) return false;
  const { WorkerStartError } = await import('./node/cluster.js');
  if (!(error instanceof WorkerStartError)) return false;
  process.exitCode = error.code;
  return true;
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
    await serve(options);
  } catch (error) {
    if (!(await workerFailed(error))) fail('serve', error, 1);
  }
}

/** Runs `serve` with its flags, or serves as a cluster worker. Sets process.exitCode on failure. */
export function runServe(argv: string[]): Promise<void> {
  return cluster.isWorker ? serveAsWorker() : serveCommand(argv);
}

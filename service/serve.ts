import { existsSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { type AppOptions, bodyLimitOf, createDeps } from './app-deps.js';
import { auditKeyId, bufferedSink, PIPE_BUF } from './audit.js';
import { resolveAuditKey } from './audit-key.js';
import { systemClock } from './clock.js';
import { DASHBOARD_PREFIX } from './dashboard-path.js';
import type { RuntimeAppOptions } from './lifecycle.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { AUDIT_LOST_EXIT_CODE } from './node/cluster-messages.js';
import type { WorkerLink } from './node/worker-link.js';
import type { ServeOptions } from './options.js';
import { type ModelWatch, watchModel } from './reloader.js';
import {
  createModelHolder,
  fileSource,
  type ModelSource,
  registrySource,
  type ServedModel,
} from './served-model.js';
import { fetchListener, installShutdown, listen } from './server.js';
import { createStartApp } from './start-app.js';
import { startedFrom } from './start-mode.js';
import { directoryWatcher } from './watch.js';

/** Longest the documented app waits for the first probe before it loads anyway. */
const DOCUMENTED_LOAD_FALLBACK_MS = 100;

/**
 * The audit log could not be written (stdout's reader has gone: EPIPE; or the descriptor is bad).
 * The predictions in the failed flush were answered without their lines, and every later one
 * would be too, so the server stops at once, with one line saying why and how many lines it could
 * not write (lines already in the pipe when its reader went are not counted), and
 * AUDIT_LOST_EXIT_CODE: a cluster's primary then stops the cluster rather than replace the process;
 * a primary that serves and meets it first ends the cluster as any exit of the primary does.
 * The orchestrator restarts it with a working stdout. The flush on 'exit' only says so and sets the
 * code if the exit was a clean one: calling process.exit there would hide why the process was
 * exiting (an uncaught error's stack is printed after the 'exit' listeners).
 */
function stopForLostAudit(logger: Logger, error: unknown, lines: number, atExit: boolean): void {
  logger.log({
    level: 'error',
    msg: 'audit log cannot be written (stdout); stopping, since no prediction could be audited',
    error: (error as NodeJS.ErrnoException | null)?.code ?? String(error),
    auditLinesNotWritten: lines,
  });
  if (!atExit) process.exit(AUDIT_LOST_EXIT_CODE);
  if (!process.exitCode) process.exitCode = AUDIT_LOST_EXIT_CODE;
}

/** The model source described by the options. */
export function sourceFor(options: ServeOptions): ModelSource {
  if (options.source.kind === 'registry')
    return registrySource(options.source.dir, options.source.modelName);
  const { file, searched } = options.source;
  const source = fileSource(file);
  if (!searched) return source;
  // Nothing named a model and no default location had one (e.g. the model-free base image with
  // nothing mounted): say where it looked and how to give it one, not just "file not found".
  return {
    ...source,
    load() {
      if (!existsSync(file))
        throw new Error(
          `No model to serve: none of ${searched.join(', ')} exists. Mount one at /mnt/models (model.json and its model.json.sha256), set MODEL_PATH or pass --model FILE, or serve a registry with --registry DIR.`,
        );
      return source.load();
    },
  };
}

export interface Serving {
  /** A URL that reaches the server: the bound address, or loopback when bound to every interface. */
  url: string;
  port: number;
  /** Every `host:port` the listener serves. */
  addresses: string[];
  model: ServedModel;
}

/** A cluster worker was told not to listen: the cluster is stopping. Not a failure. */
export class StoppedBeforeListening extends Error {
  constructor() {
    super('the cluster is stopping; this worker did not listen');
  }
}

/**
 * Loads and verifies the model, then listens. A cluster worker asks its primary first
 * (`link.mayListen`) and throws {@link StoppedBeforeListening} if told no; the primary's own server
 * has a link too, without that question. A model that fails to load throws before any port
 * is opened, so the process refuses to start rather than serve something unverified. In a
 * cluster worker (`link`), /metrics shows the whole cluster, shutdown signals come from the
 * primary, and audit lines go out in whole-line writes under PIPE_BUF, so workers sharing one
 * stdout never interleave.
 */
export async function startServing(
  options: ServeOptions,
  logger: Logger = createLogger(),
  link?: WorkerLink,
): Promise<Serving> {
  const started = performance.now();
  const source = sourceFor(options);
  const model = source.load();
  if (model.unverifiedClaim)
    logger.log({
      level: 'warn',
      msg: 'model-info.json claims a registry version that no registry confirms; serving it by checksum',
      claimed: model.unverifiedClaim,
      version: model.version,
      sha256: model.sha256,
    });
  const holder = createModelHolder(model);
  const local = createMetrics();
  const metrics = link ? link.metrics(local) : local;
  // Flushed on the process's 'exit' too, so no line is left waiting (see bufferedSink).
  const audit = bufferedSink({
    ...(link ? { atomicChunkBytes: PIPE_BUF } : {}),
    exiting: process,
    onWriteError: (error, lines, atExit) => stopForLostAudit(logger, error, lines, atExit),
  });
  const auditKey = resolveAuditKey(options);
  let draining = false;
  let watch: ModelWatch | null = null;
  const appOptions: AppOptions & RuntimeAppOptions = {
    holder,
    audit,
    metrics,
    logger,
    clock: systemClock,
    logInputs: options.logInputs,
    auditKey: auditKey.key,
    maxBatchRows: options.maxBatchRows,
    maxBodyBytes: options.maxBodyBytes,
    isDraining: () => draining,
    modelFreshness: () => watch?.freshness() ?? null,
    ...(options.modelAlias ? { modelAlias: options.modelAlias } : {}),
  };
  const deps = createDeps(appOptions);
  // Serving from a registry: show its dashboard too. A failure to build it must not stop serving.
  const dashboard = options.source.kind === 'registry';
  // The documented app (service/app.ts) and, in registry mode, the dashboard: loaded once the
  // server listens (see service/start-app.ts), so a probe is answered without them.
  const documented = async (): Promise<RequestListener> => {
    const [{ buildApp }, { fastPredict }] = await Promise.all([
      import('./app.js'),
      import('./node/fast-predict.js'),
    ]);
    const app = buildApp(deps, appOptions);
    if (options.source.kind === 'registry') {
      const dir = options.source.dir;
      const { buildRegistryDashboard, dashboardRoutes } = await import('./dashboard-static.js');
      app.route(
        DASHBOARD_PREFIX,
        dashboardRoutes(() => {
          try {
            return buildRegistryDashboard(dir, (message) =>
              logger.log({ level: 'warn', msg: 'dashboard', detail: message }),
            );
          } catch (error) {
            logger.log({
              level: 'warn',
              msg: 'dashboard not served',
              error: error instanceof Error ? error.message : String(error),
            });
            return null;
          }
        }),
      );
    }
    // POST /predict is answered on node:http in front of the app (service/node/fast-predict.ts).
    return fastPredict(deps, bodyLimitOf(appOptions), await fetchListener(app));
  };
  const app = createStartApp(deps, documented);
  // A cluster worker forked as the cluster began to stop leaves here, without joining the port.
  if (link?.mayListen && !(await link.mayListen())) throw new StoppedBeforeListening();
  const { server, port, addresses, guard } = await listen(app.listener, options);
  // Right after the first probe is answered (a request that needs the documented app waits for
  // it, and starts the load itself if it comes first).
  const documentedLoaded = app.loadSoon(DOCUMENTED_LOAD_FALLBACK_MS);
  watch = options.watch
    ? watchModel({ source, holder, logger, metrics, watcher: directoryWatcher() })
    : null;
  installShutdown(server, {
    logger,
    guard,
    drainMs: options.drainMs,
    onDrain: () => {
      draining = true;
      watch?.stop();
    },
    onClosed: () => audit.flush(),
    ...(link ? { subscribe: link.signals, afterListenerClosed: link.afterListenerClosed } : {}),
    ...(link?.exit ? { exit: link.exit } : {}),
  });
  const unspecified = options.host === '0.0.0.0' || options.host === '::' || options.host === '';
  const url = unspecified
    ? `http://${options.host === '::' ? '[::1]' : '127.0.0.1'}:${port}`
    : `http://${addresses[0]}`;
  logger.log({
    level: 'info',
    msg: 'listening',
    url,
    addresses,
    docs: `${url}/docs`,
    predict: `${url}/predict`,
    ...(dashboard ? { dashboard: `${url}${DASHBOARD_PREFIX}/` } : {}),
    host: options.host,
    port,
    model: { name: model.name, version: model.version, sha256: model.sha256 },
    ...(options.modelAlias ? { modelAlias: options.modelAlias } : {}),
    source: source.description,
    logInputs: options.logInputs,
    auditKey: { source: auditKey.source, id: auditKeyId(auditKey.key) },
    drainMs: options.drainMs,
    limits: options.limits,
    startupMs: Math.round(performance.now() - started),
    // Whether this process began from the image's V8 startup snapshot (service/snapshot.ts).
    startedFrom: startedFrom(),
    ...(link ? { pid: process.pid } : {}),
  });
  link?.listening({ url, port, addresses, model: { name: model.name, version: model.version } });
  try {
    await documentedLoaded;
  } catch (error) {
    // Nothing past /ready could be answered: stop serving and fail the start, as a failure to
    // build the app before listening did.
    server.closeAllConnections();
    server.close();
    watch?.stop();
    throw error;
  }
  // The model may have changed while this server started (it loaded before listening, and a
  // cluster worker waits for its primary too): load it once more now that the watch runs, off the
  // cold-start path.
  watch?.recheck();
  return { url, port, addresses, model };
}

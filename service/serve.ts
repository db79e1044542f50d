import { createApp } from './app.js';
import { bufferedSink } from './audit.js';
import { systemClock } from './clock.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics } from './metrics.js';
import type { ServeOptions } from './options.js';
import { watchModel } from './reloader.js';
import {
  createModelHolder,
  fileSource,
  type ModelSource,
  registrySource,
  type ServedModel,
} from './served-model.js';
import { installShutdown, listen } from './server.js';
import { directoryWatcher } from './watch.js';

/** The model source described by the options. */
export function sourceFor(options: ServeOptions): ModelSource {
  return options.source.kind === 'file'
    ? fileSource(options.source.file)
    : registrySource(options.source.dir, options.source.modelName);
}

export interface Serving {
  url: string;
  port: number;
  model: ServedModel;
}

/**
 * Loads and verifies the model, then listens. A model that fails to load throws before any port
 * is opened, so the process refuses to start rather than serve something unverified.
 */
export async function startServing(
  options: ServeOptions,
  logger: Logger = createLogger(),
): Promise<Serving> {
  const started = performance.now();
  const source = sourceFor(options);
  const model = source.load();
  const holder = createModelHolder(model);
  const metrics = createMetrics();
  const audit = bufferedSink();
  let draining = false;
  const app = createApp({
    holder,
    audit,
    metrics,
    logger,
    clock: systemClock,
    logInputs: options.logInputs,
    maxBatchRows: options.maxBatchRows,
    maxBodyBytes: options.maxBodyBytes,
    isDraining: () => draining,
  });
  const { server, port } = await listen(app, options);
  const stopWatching = options.watch
    ? watchModel({ source, holder, logger, metrics, watcher: directoryWatcher() })
    : () => {};
  installShutdown(server, {
    logger,
    onDrain: () => {
      draining = true;
      stopWatching();
    },
    onClosed: () => audit.flush(),
  });
  const shownHost =
    options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const url = `http://${shownHost}:${port}`;
  logger.log({
    level: 'info',
    msg: 'listening',
    url,
    docs: `${url}/docs`,
    predict: `${url}/predict`,
    host: options.host,
    port,
    model: { name: model.name, version: model.version, sha256: model.sha256 },
    source: source.description,
    logInputs: options.logInputs,
    startupMs: Math.round(performance.now() - started),
  });
  return { url, port, model };
}

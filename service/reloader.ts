import type { Logger } from './log.js';
import type { ServiceMetrics } from './metrics.js';
import type { ModelHolder, ModelSource } from './served-model.js';
import type { FileWatcher } from './watch.js';

export interface ReloaderOptions {
  source: ModelSource;
  holder: ModelHolder;
  logger: Logger;
  metrics: ServiceMetrics;
}

/**
 * Loads the source again and swaps it in. A file that fails to load or verify leaves the current
 * model serving and logs one structured warning saying why; an unchanged file is a no-op.
 * Returns whether a new model was installed.
 */
export function reloadModel({ source, holder, logger, metrics }: ReloaderOptions): boolean {
  const current = holder.current;
  let next: ReturnType<ModelSource['load']>;
  try {
    next = source.load();
  } catch (error) {
    metrics.countReload('failure');
    logger.log({
      level: 'warn',
      msg: 'model reload failed; still serving the previous model',
      source: source.description,
      reason: error instanceof Error ? error.message : String(error),
      serving: current
        ? { name: current.name, version: current.version, sha256: current.sha256 }
        : null,
    });
    return false;
  }
  if (current && next.sha256 === current.sha256 && next.version === current.version) return false;
  holder.swap(next);
  metrics.setModel(next);
  metrics.countReload('success');
  logger.log({
    level: 'info',
    msg: 'model reloaded',
    source: source.description,
    from: current ? { version: current.version, sha256: current.sha256 } : null,
    to: { name: next.name, version: next.version, sha256: next.sha256 },
  });
  return true;
}

/** Reloads whenever the source's watch file changes; returns a function that stops watching. */
export function watchModel(options: ReloaderOptions & { watcher: FileWatcher }): () => void {
  return options.watcher.watch(options.source.watchFile, () => reloadModel(options));
}

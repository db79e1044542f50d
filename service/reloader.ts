import type { ModelFreshness } from './lifecycle.js';
import type { Logger } from './log.js';
import type { ServiceMetrics } from './metrics.js';
import type { ModelHolder, ModelSource, ServedModel } from './served-model.js';
import type { FileWatcher } from './watch.js';

export interface ReloaderOptions {
  source: ModelSource;
  holder: ModelHolder;
  logger: Logger;
  metrics: ServiceMetrics;
}

type ReloadResult =
  | { outcome: 'swapped' | 'unchanged'; model: ServedModel }
  | { outcome: 'failed'; reason: string };

function attemptReload({ source, holder, logger, metrics }: ReloaderOptions): ReloadResult {
  const current = holder.current;
  let next: ServedModel;
  try {
    next = source.load();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    metrics.countReload('failure');
    logger.log({
      level: 'warn',
      msg: 'model reload failed; still serving the previous model',
      source: source.description,
      reason,
      serving: current
        ? { name: current.name, version: current.version, sha256: current.sha256 }
        : null,
    });
    return { outcome: 'failed', reason };
  }
  if (current && next.sha256 === current.sha256 && next.version === current.version)
    return { outcome: 'unchanged', model: current };
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
  return { outcome: 'swapped', model: next };
}

/**
 * Loads the source again and swaps it in. A file that fails to load or verify leaves the current
 * model serving and logs one structured warning saying why; an unchanged file is a no-op.
 * Returns whether a new model was installed.
 */
export function reloadModel(options: ReloaderOptions): boolean {
  return attemptReload(options).outcome === 'swapped';
}

/** Backoff between reload attempts while a registry source is not serving production. */
export interface RetryPolicy {
  /** Delay before the first retry; it doubles after each failed one. */
  initialMs: number;
  /** Longest delay between retries. */
  maxMs: number;
}

/**
 * A registry sync (git pull, a ConfigMap update, an rsync) can land `production.json` before the
 * version's artifact: retry soon, then back off to a retry every 30 s, which bounds the warnings.
 */
const DEFAULT_RETRY: RetryPolicy = { initialMs: 250, maxMs: 30_000 };

/** A running watch: stop it, and ask whether the registry's production version is served. */
export interface ModelWatch {
  stop(): void;
  /**
   * Loads the source again now, as a change would: a change that landed between the first load
   * and the watch's start (a server's whole start-up) would otherwise go unseen until the next.
   */
  recheck(): void;
  /** Registry sources: served version against production (see {@link ModelFreshness}); else null. */
  freshness(): ModelFreshness | null;
}

/**
 * Reloads whenever the source's watch file changes. For a registry source it also compares the
 * served version with the registry's production version after each attempt, and while they
 * differ (the production file names a version whose artifact is missing or does not verify yet)
 * retries with exponential backoff until production is verified and loaded.
 */
export function watchModel(
  options: ReloaderOptions & {
    watcher: FileWatcher;
    retry?: RetryPolicy;
    /** Wall-clock epoch ms, for `staleSince`. */
    now?: () => number;
  },
): ModelWatch {
  const { source, holder } = options;
  const retry = options.retry ?? DEFAULT_RETRY;
  const now = options.now ?? Date.now;
  const tracksProduction = typeof source.productionVersion === 'function';
  let delay = retry.initialMs;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let state: ModelFreshness | null = tracksProduction
    ? {
        production: holder.current?.registry?.version ?? null,
        serving: holder.current?.version ?? null,
        stale: false,
        staleSince: null,
        reason: null,
      }
    : null;

  const productionNow = (): { version: number | null; reason: string | null } => {
    try {
      return { version: source.productionVersion!(), reason: null };
    } catch (error) {
      return { version: null, reason: error instanceof Error ? error.message : String(error) };
    }
  };

  const attempt = () => {
    timer = undefined;
    if (stopped) return;
    const result = attemptReload(options);
    if (!tracksProduction) return;
    const serving = holder.current?.version ?? null;
    let production: number | null;
    let reason: string | null;
    if (result.outcome === 'failed') {
      const read = productionNow();
      production = read.version;
      reason = read.reason ?? result.reason;
    } else {
      production = result.model.registry?.version ?? null;
      reason = null;
    }
    const stale = production === null || String(production) !== serving;
    state = {
      production,
      serving,
      stale,
      staleSince: stale ? (state?.staleSince ?? new Date(now()).toISOString()) : null,
      reason: stale ? reason : null,
    };
    if (!stale) {
      delay = retry.initialMs;
      return;
    }
    options.logger.log({
      level: 'warn',
      msg: 'not serving the registry production version; retrying',
      source: source.description,
      production,
      serving,
      retryInMs: delay,
    });
    timer = setTimeout(attempt, delay);
    delay = Math.min(delay * 2, retry.maxMs);
  };

  const changed = () => {
    // A change may be the missing file arriving: try now, and restart the backoff.
    clearTimeout(timer);
    delay = retry.initialMs;
    attempt();
  };
  const unwatch = options.watcher.watch(source.watchFile, changed);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      unwatch();
    },
    recheck: changed,
    freshness: () => state,
  };
}

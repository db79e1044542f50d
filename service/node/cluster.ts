// `serve --workers N`: a node:cluster primary and its workers, each running the whole app
// (service/serve.ts) on the one port. The primary forwards signals, merges the workers' metrics for
// /metrics, and replaces a worker that crashes. Where each process has its own SO_REUSEPORT
// socket the primary serves too, first, and forks N - 1 workers once it listens: a cluster then
// starts as fast as one process. Where they would share its socket it serves nothing and forks N.
// The messages are in cluster-messages.ts; the worker's side is worker-link.ts.
import cluster, { type Worker } from 'node:cluster';
import { type AddressInfo, createServer } from 'node:net';
import type { Logger } from '../log.js';
// Types only: a primary that serves nothing imports metrics.ts (and prom-client with it) at its
// first scrape, so its start, before it forks the first worker, stays small.
import type { LocalMetrics } from '../metrics.js';
import type { ResolvedAuditKey } from '../options.js';
import {
  AUDIT_LOST_EXIT_CODE,
  type ClusterServing,
  ignoreClosedChannel,
  isOurs,
  STATE_TIMEOUT_MS,
  signalInbox,
  type ToPrimary,
  type ToWorker,
  WORKER_OPTIONS_ENV,
} from './cluster-messages.js';
import { createMetricsBook } from './metrics-book.js';
import type { WorkerLink } from './worker-link.js';

/**
 * How long, after the first server's listener closed (a worker's or the primary's own), the
 * primary waits for the others' before telling every server to finish its connections anyway
 * (a server busy past this is stuck).
 */
const FINISH_WAIT_MS = 2000;
/** Crash replacements allowed per minute before the primary gives up and exits 1. */
const MAX_RESTARTS_PER_MINUTE = 10;

/** A worker could not start; it has said why on stderr, so the primary only exits with `code`. */
export class WorkerStartError extends Error {
  constructor(readonly code: number) {
    super(`a worker exited with code ${code} before listening`);
  }
}

/**
 * The port the workers' SO_REUSEPORT sockets share: `port` itself, or for 0 one the kernel picks
 * now (bound with reusePort and released, so the workers can bind it; another process could take
 * it in between, and the first worker's listen would then fail loudly).
 */
export function reservePort(port: number, host: string): Promise<number> {
  if (port !== 0) return Promise.resolve(port);
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, host, reusePort: true, exclusive: true }, () => {
      const { port: picked } = probe.address() as AddressInfo;
      probe.close(() => resolve(picked));
    });
  });
}

export interface PrimaryOptions {
  /** Server processes in all, the primary included when it serves (`self`). */
  workers: number;
  /** What each worker serves: the primary's options, passed whole. */
  serve: unknown;
  /** The audit key for every worker, given when one asks (never in the options above). */
  auditKey?: ResolvedAuditKey;
  logger: Logger;
  exit?: (code: number) => void;
  /**
   * The primary's own serving (startServing with the link given), when it serves too: it starts
   * first, alone, and the workers are forked once it listens. Only with SO_REUSEPORT sockets.
   */
  self?: (link: WorkerLink) => Promise<unknown>;
  /** Where SIGTERM and SIGINT come from (default: the process's). */
  subscribe?: (handler: (signal: NodeJS.Signals) => void) => void;
}

/** The book's key for the primary's own metrics (cluster worker ids start at 1). */
const PRIMARY_ID = 0;

/**
 * Starts the cluster's servers and resolves once every one listens. The first starts alone (the
 * primary's own with `self`, else the first worker): it answers /ready as soon as it listens, so
 * cold start is one process's, and a model that fails to load fails once, with one message on
 * stderr, not N. If that first server cannot start, the start rejects: with its error, or with
 * {@link WorkerStartError} for a worker. Later workers that die, starting or serving, are
 * replaced (at most MAX_RESTARTS_PER_MINUTE a minute). SIGTERM and SIGINT reach every server, so
 * each drains exactly as a single process does (a second signal drops connections at once),
 * except that they end their connections together, once every listener is closed; the primary
 * exits when the last server has, with the worst exit code.
 */
export function runPrimary(options: PrimaryOptions): Promise<ClusterServing> {
  const { logger, self } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  // The primary's own server, when it serves: its metrics, its drain and whether it has stopped.
  let selfMetrics: LocalMetrics | null = null;
  // Signals that come while the primary's own server is still starting wait for its drain.
  const selfSignals = signalInbox();
  let selfFinish: (() => void) | null = null;
  let selfStopped = !self;
  // Workers run bin/oncoclear.js `serve`; their options come from WORKER_OPTIONS_ENV.
  cluster.setupPrimary({ args: ['serve'] });
  const workerEnv = { [WORKER_OPTIONS_ENV]: JSON.stringify(options.serve) };
  let stopping = false;
  let exitCode = 0;
  const restarts: number[] = [];
  const live = new Set<Worker>();
  let nextId = 0;
  const pendingStates = new Map<number, { waiting: Set<Worker>; done: () => void }>();
  // What each worker last reported and what exited workers counted: a scrape never goes below
  // the one before it (service/node/metrics-book.ts).
  const book = createMetricsBook();

  const collect = async (): Promise<string> => {
    const id = nextId++;
    const own = selfMetrics?.state().then(
      (state) => book.record(PRIMARY_ID, state),
      () => {},
    );
    const waiting = new Set(live);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STATE_TIMEOUT_MS);
      pendingStates.set(id, {
        waiting,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      for (const w of waiting) send(w, { type: 'oncoclear:state-request', id });
      if (waiting.size === 0) pendingStates.get(id)!.done();
    });
    pendingStates.delete(id);
    await own;
    const { mergeMetricsStates, renderMetrics } = await import('../metrics.js');
    const { states, runtimes } = book.scrape(
      [...(selfMetrics ? [PRIMARY_ID] : []), ...[...live].map((w) => w.id)],
      mergeMetricsStates,
    );
    return renderMetrics(mergeMetricsStates(states), runtimes);
  };

  // Shutdown's last step, together: a worker's connections are told to go only once no worker's
  // listener is open, so their clients' reconnects are refused rather than queued on a listener
  // about to close (which resets them with the request written). See installShutdown.
  const listenerClosed = new Set<Worker>();
  let anyClosed = false;
  let finishTimer: NodeJS.Timeout | undefined;
  let finished = false;
  const finishWhenAllClosed = (force = false) => {
    if (finished || !anyClosed) return;
    const open = [...live].some((w) => !listenerClosed.has(w)) || (!selfStopped && !selfFinish);
    if (open && !force) {
      // A server that does not close its listener within FINISH_WAIT_MS is stuck: go on.
      finishTimer ??= setTimeout(() => finishWhenAllClosed(true), FINISH_WAIT_MS);
      return;
    }
    finished = true;
    clearTimeout(finishTimer);
    for (const w of live) send(w, { type: 'oncoclear:finish' });
    selfFinish?.();
  };
  const exitWhenAllStopped = () => {
    if (selfStopped && live.size === 0) exit(exitCode);
  };

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isOurs(message)) return;
    const m = message as ToPrimary;
    if (m.type === 'oncoclear:audit-key-request') {
      send(worker, { type: 'oncoclear:audit-key', auditKey: options.auditKey ?? null });
    } else if (m.type === 'oncoclear:may-listen') {
      send(worker, { type: 'oncoclear:may-listen', ok: !stopping });
    } else if (m.type === 'oncoclear:listener-closed') {
      listenerClosed.add(worker);
      anyClosed = true;
      // A worker whose listener closes after the word went out finishes at once.
      if (finished) send(worker, { type: 'oncoclear:finish' });
      else finishWhenAllClosed();
    } else if (m.type === 'oncoclear:metrics-request') {
      collect().then(
        (text) => send(worker, { type: 'oncoclear:metrics', id: m.id, text }),
        (error: unknown) =>
          logger.log({ level: 'error', msg: 'metrics not merged', error: String(error) }),
      );
    } else if (m.type === 'oncoclear:state') {
      // Recorded even past its scrape's deadline: the next scrape has it if this worker is late again.
      if (m.state) book.record(worker.id, m.state);
      const pending = pendingStates.get(m.id);
      if (!pending) return;
      pending.waiting.delete(worker);
      if (pending.waiting.size === 0) pending.done();
    }
  };

  const forget = (worker: Worker) => {
    live.delete(worker);
    listenerClosed.delete(worker);
    book.exited(worker.id);
    finishWhenAllClosed();
    for (const pending of pendingStates.values()) {
      pending.waiting.delete(worker);
      if (pending.waiting.size === 0) pending.done();
    }
  };

  const fork = (): Worker => {
    const worker = cluster.fork(workerEnv);
    live.add(worker);
    worker.on('message', (message) => onMessage(worker, message));
    return worker;
  };

  return new Promise<ClusterServing>((resolve, reject) => {
    let listening = 0;
    let serving: ClusterServing | null = null;
    // A worker still starting asks before it listens (`mayListen`): once the cluster is stopping
    // it is told no and leaves, holding nothing; a signal that reaches it after the yes waits in
    // its link until it takes signals (workerLink).
    const starting = new Set<Worker>();
    const onListening = (worker: Worker, message: unknown) => {
      if (!isOurs(message) || (message as ToPrimary).type !== 'oncoclear:listening') return;
      const m = message as Extract<ToPrimary, { type: 'oncoclear:listening' }>;
      starting.delete(worker);
      serverListening(m);
    };
    /** A server (a worker, or the primary's own) listens; at the last, the cluster does. */
    const serverListening = (m: ClusterServing) => {
      if (serving || stopping) return;
      listening++;
      // The first server starts alone: cold start is one process's, not N competing for the CPUs.
      if (listening === 1) for (let i = 1; i < options.workers; i++) start();
      if (listening === options.workers) {
        serving = { url: m.url, port: m.port, addresses: m.addresses, model: m.model };
        logger.log({
          level: 'info',
          msg: 'cluster listening',
          workers: options.workers,
          url: m.url,
          // Every serving process: the primary first when it serves.
          pids: [...(self ? [process.pid] : []), ...[...live].map((w) => w.process.pid)],
        });
        resolve(serving);
      }
    };
    const signalAll = (signal: NodeJS.Signals) => {
      for (const w of live) send(w, { type: 'oncoclear:signal', signal });
      if (self) selfSignals.deliver(signal);
    };
    const start = () => {
      if (stopping) return;
      const worker = fork();
      starting.add(worker);
      worker.on('message', (message) => onListening(worker, message));
    };

    cluster.on('exit', (worker, code, signal) => {
      const wasStarting = starting.delete(worker);
      forget(worker);
      const failed = code !== 0 || signal !== null;
      // A worker stopped before it listened held nothing: its exit is no failure.
      if (failed && !(stopping && wasStarting)) exitCode = Math.max(exitCode, code || 1);
      if (stopping) return exitWhenAllStopped();
      if (code === AUDIT_LOST_EXIT_CODE) {
        // It has said why; the others write to the same stdout.
        logger.log({
          level: 'error',
          msg: 'a server could not write its audit log; stopping the cluster',
          pid: worker.process.pid,
        });
        stopping = true;
        signalAll('SIGINT');
        return exitWhenAllStopped();
      }
      if (wasStarting && !serving && !self && signal === null) {
        // No server is up and a worker failed to start on its own: none can (same model, same
        // flags), so stop. With the primary serving, it is a crash like any other.
        stopping = true;
        exitCode = Math.max(exitCode, 1); // even a worker that left with 0 did not serve
        signalAll('SIGINT');
        reject(new WorkerStartError(exitCode));
        return exitWhenAllStopped();
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length && restarts[0]! < now - 60_000) restarts.shift();
      logger.log({
        level: 'error',
        msg: 'worker exited; starting a replacement',
        pid: worker.process.pid,
        code,
        signal,
      });
      if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
        logger.log({
          level: 'error',
          msg: 'workers keep exiting; stopping',
          restarts: restarts.length,
        });
        stopping = true;
        exitCode = 1;
        signalAll('SIGINT');
        return exitWhenAllStopped();
      }
      exitCode = 0;
      start();
    });

    const onSignal = (signal: NodeJS.Signals) => {
      stopping = true;
      signalAll(signal);
      exitWhenAllStopped();
    };
    if (options.subscribe) options.subscribe(onSignal);
    else {
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    }
    if (!self) return start();
    // The primary's own server, linked to the cluster as a worker is, but in-process.
    const own: WorkerLink = {
      metrics(local) {
        selfMetrics = local;
        return { ...local, render: collect };
      },
      signals: (handler) => selfSignals.take(handler),
      listening: serverListening,
      afterListenerClosed(finish) {
        if (finished) return finish();
        selfFinish = finish;
        anyClosed = true;
        finishWhenAllClosed();
      },
      exit(code) {
        selfStopped = true;
        exitCode = Math.max(exitCode, code);
        exitWhenAllStopped();
      },
    };
    self(own).catch((error: unknown) => {
      // It could not load the model or build its app: the workers could not either.
      selfStopped = true;
      stopping = true;
      exitCode = Math.max(exitCode, 1);
      signalAll('SIGINT');
      // The entry prints why; the process then ends when the last worker has (or at once).
      reject(error);
    });
  });
}

function send(worker: Worker, message: ToWorker): void {
  // A worker can be exiting while it still looks connected (see ignoreClosedChannel); its exit is
  // handled.
  if (worker.isConnected()) worker.send(message, ignoreClosedChannel);
}

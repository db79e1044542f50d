// A cluster worker's side of the link to its primary (service/node/cluster.ts): metrics answered
// for the whole cluster, shutdown signals, the word to listen and to finish.
import type { LocalMetrics, MetricsState, ServiceMetrics } from '../metrics.js';
import type { ResolvedAuditKey } from '../options.js';
import {
  type ClusterServing,
  ignoreClosedChannel,
  isOurs,
  STATE_TIMEOUT_MS,
  signalInbox,
  type ToPrimary,
  type ToWorker,
} from './cluster-messages.js';

/** The worker's side of the link to its primary (the primary's own server has one too). */
export interface WorkerLink {
  /** `local` with /metrics answered by the primary: the whole cluster's series in one view. */
  metrics(local: LocalMetrics): ServiceMetrics;
  /**
   * Takes shutdown signals from the primary instead of the process: a terminal's Ctrl-C reaches
   * every process of the group, and the primary passes it on too, which would count twice.
   */
  signals(handler: (signal: NodeJS.Signals) => void): () => void;
  /** Tells the primary this worker is listening. */
  listening(serving: ClusterServing): void;
  /**
   * Tells the primary this worker's listener has closed, and calls `finish` once every worker's
   * has (or at once when the primary is gone): installShutdown's `afterListenerClosed`.
   */
  afterListenerClosed(finish: () => void): void;
  /** How the server's process ends once it has stopped (default: process.exit). */
  exit?(code: number): void;
  /**
   * Asked right before listening: false when the cluster is already stopping (or the primary is
   * gone), so the worker leaves without joining the port. The primary's own server has no need.
   */
  mayListen?(): Promise<boolean>;
}

/** Links a worker to its primary over the cluster's IPC channel. */
export function workerLink(): WorkerLink & {
  /**
   * The audit key the primary resolved for the cluster, asked for over IPC (so it is in no
   * worker's environment); null when the primary has none to give, or is gone.
   */
  auditKey(): Promise<ResolvedAuditKey | null>;
} {
  let nextId = 0;
  const waiting = new Map<number, (text: string) => void>();
  let local: LocalMetrics | null = null;
  // Signals from the primary before the server takes them (between its yes to listen and its
  // shutdown handler) wait for it.
  const inbox = signalInbox();
  let answerMayListen: ((ok: boolean) => void) | null = null;
  let answerAuditKey: ((key: ResolvedAuditKey | null) => void) | null = null;
  const toPrimary = (message: ToPrimary) => {
    if (process.connected) process.send?.(message, ignoreClosedChannel);
  };
  process.on('message', (message: unknown) => {
    if (!isOurs(message)) return;
    const m = message as ToWorker;
    if (m.type === 'oncoclear:signal') {
      inbox.deliver(m.signal);
    } else if (m.type === 'oncoclear:may-listen') {
      answerMayListen?.(m.ok);
      answerMayListen = null;
    } else if (m.type === 'oncoclear:audit-key') {
      answerAuditKey?.(m.auditKey);
      answerAuditKey = null;
    } else if (m.type === 'oncoclear:metrics') {
      waiting.get(m.id)?.(m.text);
      waiting.delete(m.id);
    } else if (m.type === 'oncoclear:state-request') {
      const reply = (state: MetricsState | null) =>
        toPrimary({ type: 'oncoclear:state', id: m.id, state });
      if (!local) reply(null);
      else local.state().then(reply, () => reply(null));
    }
  });
  return {
    metrics(metrics) {
      local = metrics;
      return {
        ...metrics,
        render: () =>
          new Promise<string>((resolve, reject) => {
            const id = nextId++;
            const timer = setTimeout(() => {
              waiting.delete(id);
              reject(new Error('the cluster primary did not answer for metrics'));
            }, STATE_TIMEOUT_MS * 2);
            waiting.set(id, (text) => {
              clearTimeout(timer);
              resolve(text);
            });
            toPrimary({ type: 'oncoclear:metrics-request', id });
          }),
      };
    },
    signals(handler) {
      const ignore = () => {};
      process.on('SIGTERM', ignore);
      process.on('SIGINT', ignore);
      const release = inbox.take(handler);
      return () => {
        process.off('SIGTERM', ignore);
        process.off('SIGINT', ignore);
        release();
      };
    },
    auditKey() {
      if (!process.connected) return Promise.resolve(null);
      return new Promise<ResolvedAuditKey | null>((resolve) => {
        answerAuditKey = resolve;
        toPrimary({ type: 'oncoclear:audit-key-request' });
      });
    },
    mayListen() {
      if (!process.connected) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        answerMayListen = resolve;
        toPrimary({ type: 'oncoclear:may-listen' });
      });
    },
    listening(serving) {
      toPrimary({ type: 'oncoclear:listening', ...serving });
    },
    afterListenerClosed(finish) {
      // Without a primary there is no cluster to wait for (and node:cluster exits a worker whose
      // primary disconnects).
      if (!process.connected) return finish();
      const onMessage = (message: unknown) => {
        if (!isOurs(message) || (message as ToWorker).type !== 'oncoclear:finish') return;
        process.off('message', onMessage);
        finish();
      };
      process.on('message', onMessage);
      toPrimary({ type: 'oncoclear:listener-closed' });
    },
  };
}

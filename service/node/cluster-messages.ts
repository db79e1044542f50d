// The cluster's protocol: the messages between the primary (service/node/cluster.ts) and each
// worker's link (service/node/worker-link.ts), and what both sides need of it.
import type { MetricsState } from '../metrics.js';
import type { ResolvedAuditKey } from '../options.js';

/** Messages between the primary and its workers; every type is prefixed so others pass by. */
export type ToWorker =
  | { type: 'oncoclear:signal'; signal: NodeJS.Signals }
  | { type: 'oncoclear:may-listen'; ok: boolean }
  | { type: 'oncoclear:finish' }
  | { type: 'oncoclear:state-request'; id: number }
  | { type: 'oncoclear:metrics'; id: number; text: string }
  | { type: 'oncoclear:audit-key'; auditKey: ResolvedAuditKey | null };
export type ToPrimary =
  | ({ type: 'oncoclear:listening' } & ClusterServing)
  | { type: 'oncoclear:listener-closed' }
  | { type: 'oncoclear:may-listen' }
  | { type: 'oncoclear:state'; id: number; state: MetricsState | null }
  | { type: 'oncoclear:metrics-request'; id: number }
  | { type: 'oncoclear:audit-key-request' };

export const isOurs = (message: unknown): message is { type: string } =>
  typeof message === 'object' &&
  message !== null &&
  typeof (message as { type?: unknown }).type === 'string' &&
  (message as { type: string }).type.startsWith('oncoclear:');

/**
 * The exit code of a server whose audit log could not be written (stdout's reader has gone): it
 * stops rather than answer a prediction it cannot audit (service/serve.ts). Every server of a
 * cluster shares that stdout, so the primary stops the cluster with this code instead of
 * replacing the worker with one that would fail the same way.
 */
export const AUDIT_LOST_EXIT_CODE = 3;

/** How long the primary waits for a worker's metrics before scraping its last known ones. */
export const STATE_TIMEOUT_MS = 2000;

export interface ClusterServing {
  url: string;
  port: number;
  addresses: string[];
  model: { name: string; version: string };
}

/**
 * The environment variable that hands a worker its primary's resolved serve options (JSON), so
 * every worker serves exactly what the primary parsed, whatever the command (`serve` or `start`)
 * and whatever else the environment says.
 */
export const WORKER_OPTIONS_ENV = 'ONCOCLEAR_WORKER_OPTIONS';

/**
 * Shutdown signals for a server that may not take them yet (it is still starting): held until it
 * does, then handed over in order, so none is lost and none counted twice.
 */
export function signalInbox() {
  let handler: ((signal: NodeJS.Signals) => void) | null = null;
  const held: NodeJS.Signals[] = [];
  return {
    deliver(signal: NodeJS.Signals): void {
      if (handler) handler(signal);
      else held.push(signal);
    },
    /** The server takes its signals from now on, the held ones first; returns the release. */
    take(next: (signal: NodeJS.Signals) => void): () => void {
      handler = next;
      for (const signal of held.splice(0)) next(signal);
      return () => {
        handler = null;
      };
    },
  };
}

/**
 * For a send over IPC: a process can be going while it still looks connected, and the write then
 * fails (EPIPE); without a callback that is an 'error' event, which would crash the sender.
 */
export const ignoreClosedChannel = (): void => {};

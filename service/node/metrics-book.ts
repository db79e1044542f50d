// The cluster primary's record of its workers' metrics, so the merged /metrics never goes down:
// Prometheus reads any drop in a counter as a reset, and rate() then spikes. A worker that is
// replaced takes its totals with it, and one that misses a scrape's deadline would be left out of
// that scrape; the book keeps what each worker last reported, and what exited workers had counted.
// Pure data, no processes: the merge is passed in, because the primary loads metrics.ts (and
// prom-client with it) only at its first scrape.
import type { MetricsState } from '../metrics.js';

export type MergeStates = (states: readonly MetricsState[]) => MetricsState;

export interface MetricsBook {
  /** A worker's answer to a state request: from now on its last known state. */
  record(worker: number, state: MetricsState): void;
  /**
   * A worker has exited: its last reported counters (requests, predictions, reloads; histogram
   * buckets, sums and counts are counters too) stay in every later scrape. Its gauges (in flight,
   * the model it served, staleness) and its process series go with it: they describe a process
   * that no longer exists.
   */
  exited(worker: number): void;
  /**
   * The states to merge for a scrape of the `live` workers: each one's last known state (fresh if
   * it answered this scrape, cached if it did not; nothing if it never has), plus the exited
   * workers' counters. `runtimes` holds only the live workers' process series.
   */
  scrape(
    live: Iterable<number>,
    merge: MergeStates,
  ): { states: MetricsState[]; runtimes: unknown[][] };
}

/** The part of a state that keeps counting after its process is gone. */
function countersOnly(state: MetricsState): MetricsState {
  return {
    version: state.version,
    inFlight: 0,
    requests: state.requests,
    predictions: state.predictions,
    reloads: state.reloads,
    models: [],
    stale: null,
    runtime: [],
  };
}

export function createMetricsBook(): MetricsBook {
  const last = new Map<number, MetricsState>();
  // Exited workers' counters, folded into `baseline` at the next scrape (when a merge is at hand),
  // so the book holds one state for all of them however many workers have come and gone.
  let retired: MetricsState[] = [];
  let baseline: MetricsState | null = null;
  return {
    record(worker, state) {
      last.set(worker, state);
    },
    exited(worker) {
      const state = last.get(worker);
      last.delete(worker);
      if (state) retired.push(countersOnly(state));
    },
    scrape(live, merge) {
      if (retired.length > 0) {
        baseline = countersOnly(merge(baseline ? [baseline, ...retired] : retired));
        retired = [];
      }
      const states: MetricsState[] = [];
      const runtimes: unknown[][] = [];
      for (const worker of live) {
        const state = last.get(worker);
        if (!state) continue;
        states.push(state);
        runtimes.push(state.runtime);
      }
      if (baseline) states.push(baseline);
      return { states, runtimes };
    },
  };
}

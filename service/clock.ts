/** Time sources behind one small interface, so tests can pin timestamps and latencies. */
export interface Clock {
  /** Wall-clock time in epoch milliseconds, for timestamps in logs and responses. */
  now(): number;
  /** Monotonic milliseconds, for measuring durations; unaffected by clock adjustments. */
  monotonic(): number;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

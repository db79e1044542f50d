/** Where operational log lines go (not the audit stream): one JSON object per line. */
export type LogSink = (line: string) => void;

/** Structured operational event, e.g. a reload that failed. */
export interface LogEvent {
  level: 'info' | 'warn' | 'error';
  msg: string;
  [key: string]: unknown;
}

/** A logger writing one JSON line per event; `time` is added here so callers cannot forget it. */
export interface Logger {
  log(event: LogEvent): void;
}

/** Builds a logger over a sink; the default sink is stderr so stdout carries only audit lines. */
export function createLogger(
  sink: LogSink = (line) => process.stderr.write(line),
  now: () => number = Date.now,
): Logger {
  return {
    log(event) {
      sink(`${JSON.stringify({ time: new Date(now()).toISOString(), ...event })}\n`);
    },
  };
}

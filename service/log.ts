import { fdWriter } from './node/fd-writer.js';

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

/**
 * Builds a logger over a sink; the default sink is stderr (fd 2) so stdout carries only audit
 * lines, written as audit lines are (service/node/fd-writer.ts): a full pipe is waited for, so the
 * last lines before an exit are not dropped, and a cluster's processes never tear each other's.
 */
export function createLogger(sink: LogSink = fdWriter(2), now: () => number = Date.now): Logger {
  return {
    log(event) {
      try {
        sink(`${JSON.stringify({ time: new Date(now()).toISOString(), ...event })}\n`);
      } catch (error) {
        // A log nobody reads any more (stderr's reader has gone) is not worth a crash of whatever
        // was logging; the audit stream is another matter (service/serve.ts stops for it).
        if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
      }
    },
  };
}

// Writes straight to a file descriptor (stdout for audit lines, stderr for log lines) that lose
// nothing and never split a piece of at most PIPE_BUF bytes.
//
// process.stdout is synchronous on a Linux pipe only while the pipe has room. libuv puts the pipe
// in non-blocking mode (for every process sharing it: the flag belongs to the open pipe), and a
// write that meets a full pipe is queued in memory, without bound. Queued pieces then go out
// merged into one writev larger than PIPE_BUF, which the kernel may split, so another worker's
// write lands inside a line; and process.exit drops whatever is still queued, so a reader that
// fell behind lost the last seconds of audit lines at every shutdown.
//
// write(2) of at most PIPE_BUF bytes to a pipe is all or nothing, blocking or not. These writes go
// to the descriptor themselves, and when the pipe is full they wait for its reader rather than
// queue: the server slows to its log's pace, as under Docker's default (blocking) log mode, and no
// line is lost or torn. The price: a reader that stops for good stops the server with it (no
// request, probe or signal is answered while it waits), so its liveness probe fails and the
// orchestrator restarts it, as it would a server out of memory. Only a pipe keeps a cluster's
// lines whole: a socket (journald's stdout) may take part of a write.
import { writeSync } from 'node:fs';

/** A descriptor's sink: writes all of `text` before it returns. */
export type FdWrite = (text: string) => void;

/** How long to wait before trying a full pipe again: at first, and at most (the wait doubles). */
const FULL_PIPE_RETRY_MS = 1;
const FULL_PIPE_RETRY_MAX_MS = 50;

// Made on first use: a V8 startup snapshot's builder has no SharedArrayBuffer (service/snapshot.ts).
let sleeper: Int32Array | undefined;

/** Blocks the thread for `ms` (Atomics.wait on a value nothing changes). */
function sleepSync(ms: number): void {
  sleeper ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * A writer of whole strings to `fd`: a short write continues where it stopped, and a full
 * non-blocking pipe (EAGAIN) is retried, after 1 ms and then up to every 50 ms, until its reader
 * makes room. Any other
 * error (the reader has gone: EPIPE) is thrown, as a failed write to process.stdout would be.
 */
export function fdWriter(
  fd: number,
  write: (fd: number, bytes: Uint8Array, offset: number) => number = (f, bytes, offset) =>
    writeSync(f, bytes, offset),
  wait: (ms: number) => void = sleepSync,
): FdWrite {
  return (text) => {
    const bytes = Buffer.from(text);
    let offset = 0;
    let delay = FULL_PIPE_RETRY_MS;
    while (offset < bytes.length) {
      try {
        offset += write(fd, bytes, offset);
        delay = FULL_PIPE_RETRY_MS;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        // A reader that has stalled is not polled a thousand times a second.
        wait(delay);
        delay = Math.min(delay * 2, FULL_PIPE_RETRY_MAX_MS);
      }
    }
  };
}

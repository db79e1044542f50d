// A synchronous pool of worker threads for chunked numeric passes over SharedArrayBuffers.
//
// Training is synchronous from the CLI down to the solver, so the pool never touches the event
// loop: the main thread publishes a pass through a shared control block, works through chunks
// itself beside the workers, and blocks in Atomics.wait until every chunk is done. Which thread
// computes a chunk never matters: each chunk writes its own result slot, and the caller adds the
// slots in chunk order, so a pass gives the same bits with any number of workers, or none.
//
// Workers are started from a source string (`eval: true`) built from a self-contained kernel
// factory's `toString()`. That needs no file on disk, so it works the same from src/ under tsx
// and vitest, from the minified dist/cli.js and from the actions' bundles. The same factory runs
// on the main thread, so both sides execute the very same code.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Builds a chunk runner from the shared buffers; must reference nothing outside its own body. */
export type KernelFactory<S> = (shared: S) => (chunk: number) => void;

// Control block layout (Int32Array on a SharedArrayBuffer).
const GENERATION = 0;
/**
 * The next chunk to take, tagged with the pass it belongs to: (generation mod 2048) << 20 | chunk.
 * Taking a chunk is a compare-and-swap on this one word, so a thread that is late from the last
 * pass can never take (and count) a chunk of the next one with the old pass's view of it.
 */
const TICKET = 1;
const DONE = 2;
const COUNT = 3;
const QUIT = 4;
const CHUNK_BITS = 20;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;
const TAG_MASK = 0x7ff;
const CONTROL_SLOTS = 8;

/** How long the main thread waits with no chunk finishing before it stops trusting the workers. */
const STALL_MS = 20_000;

/**
 * Takes the next chunk of pass `generation`, or returns -1 when there is none left or the pass
 * is over. Shared by both sides as source text, so it names no outer constants.
 */
function take(control: Int32Array, generation: number): number {
  const tag = (generation & 0x7ff) << 20;
  for (;;) {
    const ticket = Atomics.load(control, 1);
    if ((ticket & ~0xfffff) !== tag) return -1;
    const chunk = ticket & 0xfffff;
    if (chunk >= Atomics.load(control, 3)) return -1;
    if (Atomics.compareExchange(control, 1, ticket, ticket + 1) === ticket) return chunk;
  }
}

/** The worker's side: wait for a generation, take chunks until none are left, repeat. */
function workerLoop(factorySource: string): string {
  return `'use strict';
const { workerData } = require('node:worker_threads');
const run = (${factorySource})(workerData.shared);
const control = workerData.control;
let seen = 0;
const take = ${take.toString()};
for (;;) {
  Atomics.wait(control, ${GENERATION}, seen);
  seen = Atomics.load(control, ${GENERATION});
  if (Atomics.load(control, ${QUIT}) !== 0) break;
  for (;;) {
    const chunk = take(control, seen);
    if (chunk < 0) break;
    run(chunk);
    Atomics.add(control, ${DONE}, 1);
    Atomics.notify(control, ${DONE});
  }
}
`;
}

/**
 * Workers to use by default: one fewer than the cores (the main thread works too), at most 3.
 * `ONCOCLEAR_WORKERS` overrides it: 0 turns workers off, N asks for N.
 */
export function defaultWorkerCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ONCOCLEAR_WORKERS;
  if (raw !== undefined && raw.trim() !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 64) {
      throw new Error(
        `ONCOCLEAR_WORKERS is '${raw}'; expected a whole number of worker threads from 0 to 64.`,
      );
    }
    return n;
  }
  return Math.max(0, Math.min(3, availableParallelism() - 1));
}

/**
 * Fewest rows for which a pass starts workers: `fallback` unless `ONCOCLEAR_PARALLEL_MIN_ROWS`
 * says otherwise (tests set it low to run the parallel path on small data).
 */
export function parallelMinRows(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ONCOCLEAR_PARALLEL_MIN_ROWS;
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(
      `ONCOCLEAR_PARALLEL_MIN_ROWS is '${raw}'; expected a whole number of rows, 0 or more.`,
    );
  }
  return n;
}

/** True when every typed array in `shared` lives in a SharedArrayBuffer, so workers can see it. */
export function allShared(shared: Record<string, unknown>): boolean {
  return Object.values(shared).every(
    (v) => !ArrayBuffer.isView(v) || (v as ArrayBufferView).buffer instanceof SharedArrayBuffer,
  );
}

export class SyncPool<S extends Record<string, unknown>> {
  private readonly control = new Int32Array(
    new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT),
  );
  private readonly workers: Worker[] = [];
  private readonly local: (chunk: number) => void;
  private broken = false;

  /**
   * Starts `workers` threads running `factory(shared)`. With 0 workers, or buffers that are not
   * shared, every pass runs on the calling thread through the same code.
   */
  constructor(
    factory: KernelFactory<S>,
    shared: S,
    workers: number,
    /** False leaves every chunk to the workers: only tests want that, to prove they ran. */
    private readonly mainThreadWorks = true,
  ) {
    this.local = factory(shared);
    if (workers <= 0 || !allShared(shared)) return;
    const source = workerLoop(factory.toString());
    for (let i = 0; i < workers; i++) {
      let worker: Worker;
      try {
        worker = new Worker(source, {
          eval: true,
          workerData: { shared, control: this.control },
        });
      } catch {
        // No threads to be had (e.g. Node's permission model without --allow-worker): the
        // workers already started, or this thread alone, do the chunks.
        break;
      }
      // A failing worker must not crash training: mark the pool broken and finish on this thread.
      worker.on('error', () => {
        this.broken = true;
      });
      // Never keep the process alive for a worker.
      worker.unref();
      this.workers.push(worker);
    }
  }

  get workerCount(): number {
    return this.broken ? 0 : this.workers.length;
  }

  /**
   * Runs chunks 0 … count − 1, each exactly once, returning when all are done. Inputs the chunks
   * read must be written to the shared buffers before the call; Atomics order them.
   */
  run(count: number): void {
    if (this.workers.length === 0 || this.broken) {
      for (let c = 0; c < count; c++) this.local(c);
      return;
    }
    const control = this.control;
    if (count > CHUNK_MASK)
      throw new RangeError(`${count} chunks; expected at most ${CHUNK_MASK}.`);
    const generation = Atomics.load(control, GENERATION) + 1;
    // COUNT and DONE first: whoever sees the new ticket sees them too (Atomics are ordered).
    Atomics.store(control, COUNT, count);
    Atomics.store(control, DONE, 0);
    Atomics.store(control, TICKET, (generation & TAG_MASK) << CHUNK_BITS);
    Atomics.store(control, GENERATION, generation);
    Atomics.notify(control, GENERATION);
    while (this.mainThreadWorks) {
      const chunk = take(control, generation);
      if (chunk < 0) break;
      this.local(chunk);
      Atomics.add(control, DONE, 1);
    }
    let last = Atomics.load(control, DONE);
    let stalledSince = performance.now();
    while (last < count) {
      Atomics.wait(control, DONE, last, 1000);
      const now = Atomics.load(control, DONE);
      if (now !== last) {
        last = now;
        stalledSince = performance.now();
      } else if (performance.now() - stalledSince > STALL_MS) {
        throw new Error(
          `A worker thread stopped responding: ${now} of ${count} chunks done after ${STALL_MS} ms; expected all. Set ONCOCLEAR_WORKERS=0 to train on one thread.`,
        );
      }
    }
  }

  /** Lets the workers exit; the pool runs on the calling thread afterwards. */
  close(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.control, QUIT, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    this.broken = true;
  }
}

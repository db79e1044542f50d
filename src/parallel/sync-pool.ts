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
//
// A worker whose kernel throws cannot tell the main thread through an 'error' event: that needs
// the event loop, and the main thread is blocked in Atomics.wait. So the worker catches, posts the
// chunk and the message on its own MessagePort (read with receiveMessageOnPort, which needs no
// event loop), counts itself in LOST, counts the chunk as settled and quits. The main thread then
// takes the rest of the pass itself and, once every chunk has settled, runs the failed chunks
// again: if the kernel throws there too, that is the kernel's error and it is thrown as the
// kernel threw it, as with no workers; if not, the failure was the worker's own, and the pass
// completes with the same bits, one worker fewer.
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from 'node:worker_threads';
import { availableCpus } from '../util/cpu-limit.js';

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
/** Chunks of the pass settled: finished, or failed on a worker that reported it. */
const DONE = 2;
const COUNT = 3;
const QUIT = 4;
/** Workers that have failed and quit since the pool started; each posted why first. */
const LOST = 5;
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

/** What a failed worker posts before it quits; `chunk` is -1 when it failed before any. */
interface WorkerFailure {
  chunk: number;
  message: string;
}

/**
 * The worker's side: wait for a generation, take chunks until none are left, repeat. A throw
 * is reported (see the top of the file) and ends the worker: its state may be half-written.
 */
function workerLoop(factorySource: string): string {
  return `'use strict';
const { workerData } = require('node:worker_threads');
const control = workerData.control;
const fail = (chunk, error) => {
  let message;
  try {
    message = error instanceof Error ? error.message : String(error);
  } catch {
    message = 'an error that could not be read';
  }
  // The message first: whoever sees LOST change must find it on the port.
  workerData.port.postMessage({ chunk, message });
  Atomics.add(control, ${LOST}, 1);
  if (chunk >= 0) Atomics.add(control, ${DONE}, 1);
  Atomics.notify(control, ${DONE});
};
const take = ${take.toString()};
let run;
try {
  run = (${factorySource})(workerData.shared);
} catch (error) {
  fail(-1, error);
}
let seen = 0;
while (run !== undefined) {
  Atomics.wait(control, ${GENERATION}, seen);
  seen = Atomics.load(control, ${GENERATION});
  if (Atomics.load(control, ${QUIT}) !== 0) break;
  for (;;) {
    const chunk = take(control, seen);
    if (chunk < 0) break;
    try {
      run(chunk);
    } catch (error) {
      fail(chunk, error);
      run = undefined;
      break;
    }
    Atomics.add(control, ${DONE}, 1);
    Atomics.notify(control, ${DONE});
  }
}
`;
}

/**
 * Workers to use by default: one fewer than the CPUs the process may use (the main thread works
 * too; a CI container's CPU limit counts, src/util/cpu-limit.ts), at most 3.
 * `ONCOCLEAR_WORKERS` overrides it: 0 turns workers off, N asks for N.
 */
export function defaultWorkerCount(
  env: NodeJS.ProcessEnv = process.env,
  cpus: () => number = availableCpus,
): number {
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
  return Math.max(0, Math.min(3, cpus() - 1));
}

/**
 * Below this many rows a pass takes less than starting a worker (33–46 ms measured). One threshold
 * for every pass: the training table's shared memory (src/pipeline/train.ts) serves both the
 * preprocessing and Newton's passes.
 */
export const PARALLEL_MIN_ROWS = 200_000;

/** Rows from which training's passes use workers; ONCOCLEAR_PARALLEL_MIN_ROWS overrides it. */
export function poolMinRows(): number {
  return parallelMinRows(PARALLEL_MIN_ROWS);
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

/** True when every typed array among `values` lives in a SharedArrayBuffer, so workers can see it. */
function allShared(values: readonly unknown[]): boolean {
  return values.every(
    (v) => !ArrayBuffer.isView(v) || (v as ArrayBufferView).buffer instanceof SharedArrayBuffer,
  );
}

/** A pass's worker-thread knobs; each one left out comes from the environment. */
export interface PoolOptions {
  /** Worker threads beside the main thread; defaults to defaultWorkerCount(). */
  workers?: number;
  /** Fewest rows for which workers are started; defaults to the pass's own threshold. */
  minRows?: number;
  /** Tests only: leave every chunk to the workers, to prove the worker path computes them. */
  workersOnly?: boolean;
  /**
   * Told why, each time a worker is lost (its chunks are redone on this thread, with the same
   * result): the pool has nowhere to warn.
   */
  onWorkerLost?: (reason: string) => void;
}

/**
 * Workers for a pass over `rows` rows whose arrays are `memory`: none below the row threshold
 * (`options.minRows`, else parallelMinRows(minRows)) or when some of `memory` is not in a
 * SharedArrayBuffer, where workers could not see it; else `options.workers`, else
 * defaultWorkerCount(). The environment is read only for a knob the options leave out, and
 * ONCOCLEAR_WORKERS only above the threshold.
 */
export function poolWorkers(
  rows: number,
  minRows: number,
  options: PoolOptions,
  ...memory: ArrayBufferView[]
): number {
  if (rows < (options.minRows ?? parallelMinRows(minRows))) return 0;
  const workers = options.workers ?? defaultWorkerCount();
  return workers > 0 && allShared(memory) ? workers : 0;
}

/** Float64Array, Int32Array, Uint8Array and the like. */
interface ArrayType<T> {
  new (buffer: ArrayBuffer | SharedArrayBuffer): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** A zeroed `type` of `length` elements, in a SharedArrayBuffer when `shared`, for workers. */
export function poolArray<T>(type: ArrayType<T>, length: number, shared: boolean): T {
  const bytes = length * type.BYTES_PER_ELEMENT;
  return new type(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}

export class SyncPool<S extends Record<string, unknown>> {
  private readonly control = new Int32Array(
    new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT),
  );
  private readonly workers: Worker[] = [];
  /** The main thread's end of each worker's failure channel, by worker. */
  private readonly ports: MessagePort[] = [];
  /** Which workers have failed and quit. */
  private readonly lost: boolean[] = [];
  /** LOST as last read: when it moves, a worker has posted a failure to collect. */
  private lostSeen = 0;
  private readonly failures: string[] = [];
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
    /** Told why each time a worker is lost (PoolOptions.onWorkerLost). */
    private readonly onLost: (reason: string) => void = () => {},
  ) {
    this.local = factory(shared);
    if (workers <= 0 || !allShared(Object.values(shared))) return;
    const source = workerLoop(factory.toString());
    for (let i = 0; i < workers; i++) {
      const { port1, port2 } = new MessageChannel();
      let worker: Worker;
      try {
        worker = new Worker(source, {
          eval: true,
          workerData: { shared, control: this.control, port: port2 },
          transferList: [port2],
        });
      } catch {
        // No threads to be had (e.g. Node's permission model without --allow-worker): the
        // workers already started, or this thread alone, do the chunks.
        port1.close();
        break;
      }
      // Failures a worker can catch arrive on its port during a pass. This is for the rest (the
      // thread itself dying), seen only when the event loop runs between passes: from then on
      // the calling thread does every chunk.
      worker.on('error', (error) => {
        this.lose(error instanceof Error ? error.message : String(error));
        this.broken = true;
      });
      // Never keep the process alive for a worker, nor for its port.
      worker.unref();
      port1.unref();
      this.workers.push(worker);
      this.ports.push(port1);
      this.lost.push(false);
    }
  }

  /** Workers still taking chunks. */
  get workerCount(): number {
    if (this.broken) return 0;
    return this.lost.filter((lost) => !lost).length;
  }

  /**
   * Why workers were lost, oldest first: failures the pool recovered from by running the chunk
   * on the calling thread (each was also told to `onLost` as it happened).
   */
  get workerFailures(): readonly string[] {
    return this.failures;
  }

  /**
   * Runs chunks 0 … count − 1, each exactly once, returning when all are done. Inputs the chunks
   * read must be written to the shared buffers before the call; Atomics order them. A chunk
   * that throws throws here, as it would with no workers, once no other chunk is running.
   */
  run(count: number): void {
    if (this.workerCount === 0) {
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
    // Chunks that failed on a worker, to run again here once the pass has settled.
    const failed: number[] = [];
    let thrown: { error: unknown } | undefined;
    /** Chunks that will settle: all of them, unless this thread's own chunk threw. */
    let settling = count;
    let helping = this.mainThreadWorks;
    let last = -1;
    let stalledSince = 0;
    for (;;) {
      if (helping && thrown === undefined) {
        const chunk = take(control, generation);
        if (chunk >= 0) {
          try {
            this.local(chunk);
          } catch (error) {
            thrown = { error };
            settling = this.endPass(generation);
          }
          Atomics.add(control, DONE, 1);
          continue;
        }
      }
      if (Atomics.load(control, LOST) !== this.lostSeen) {
        this.collectFailures(failed);
        // A lost worker leaves its share to this thread, even one told to leave chunks alone.
        helping = true;
        continue;
      }
      const done = Atomics.load(control, DONE);
      if (done >= settling) break;
      if (done !== last) {
        last = done;
        stalledSince = performance.now();
      } else if (performance.now() - stalledSince > STALL_MS) {
        throw new Error(
          `A worker thread stopped responding: ${done} of ${count} chunks done after ${STALL_MS} ms; expected all. Set ONCOCLEAR_WORKERS=0 to train on one thread.`,
        );
      }
      Atomics.wait(control, DONE, done, 1000);
    }
    if (thrown) throw thrown.error;
    // Each chunk writes only its own slot, so running one again here, after the others, gives
    // the bits it would have given on the worker. Chunk order, for a deterministic first throw.
    failed.sort((a, b) => a - b);
    for (const chunk of failed) this.local(chunk);
  }

  /** Lets the workers exit; the pool runs on the calling thread afterwards. */
  close(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.control, QUIT, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    for (const port of this.ports) port.close();
    this.broken = true;
  }

  /**
   * Stops the pass handing out chunks (after a throw on this thread) and returns how many were
   * taken: those still settle, so nothing writes to the buffers once run() has thrown.
   */
  private endPass(generation: number): number {
    const tag = (generation & TAG_MASK) << CHUNK_BITS;
    for (;;) {
      const ticket = Atomics.load(this.control, TICKET);
      const taken = ticket & CHUNK_MASK;
      if (Atomics.compareExchange(this.control, TICKET, ticket, tag | CHUNK_MASK) === ticket)
        return taken;
    }
  }

  private lose(reason: string): void {
    this.failures.push(reason);
    this.onLost(reason);
  }

  /** Reads what lost workers posted, marking them lost and adding their chunks to `failed`. */
  private collectFailures(failed: number[]): void {
    // LOST before the ports: each worker posts before it counts itself.
    this.lostSeen = Atomics.load(this.control, LOST);
    for (let w = 0; w < this.ports.length; w++) {
      if (this.lost[w]) continue;
      const received = receiveMessageOnPort(this.ports[w]!);
      if (received === undefined) continue;
      const failure = received.message as WorkerFailure;
      this.lost[w] = true;
      this.lose(failure.message);
      if (failure.chunk >= 0) failed.push(failure.chunk);
    }
  }
}

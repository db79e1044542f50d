import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  defaultWorkerCount,
  parallelMinRows,
  poolArray,
  poolWorkers,
  SyncPool,
} from '../../src/parallel/sync-pool.js';

// A kernel that writes each chunk's square into its slot: which thread ran a chunk must not matter.
const squares = (shared: { out: Int32Array }) => (chunk: number) => {
  shared.out[chunk] = chunk * chunk;
};

describe('SyncPool', () => {
  it('runs every chunk exactly once on the workers, pass after pass, and on this thread after close', () => {
    const out = new Int32Array(new SharedArrayBuffer(4 * 100));
    const pool = new SyncPool(squares, { out }, 2, false);
    expect(pool.workerCount).toBe(2);
    for (const count of [100, 7, 100]) {
      out.fill(-1);
      pool.run(count);
      expect(Array.from(out.subarray(0, count))).toEqual(
        Array.from({ length: count }, (_, i) => i * i),
      );
      expect(out.subarray(count).every((v) => v === -1)).toBe(true);
    }
    pool.close();
    expect(pool.workerCount).toBe(0);
    out.fill(-1);
    pool.run(5);
    expect(Array.from(out.subarray(0, 5))).toEqual([0, 1, 4, 9, 16]);
  });

  it("never lets a chunk of one pass be taken with the last pass's inputs, as counts go up and down", () => {
    const out = new Float64Array(new SharedArrayBuffer(8 * 64));
    const base = new Float64Array(new SharedArrayBuffer(8));
    const kernel = (shared: { out: Float64Array; base: Float64Array }) => (chunk: number) => {
      let spin = 0;
      for (let i = 0; i < 200 * (chunk % 5); i++) spin += i; // uneven chunk lengths
      shared.out[chunk] = shared.base[0]! + chunk + spin * 0;
    };
    const pool = new SyncPool(kernel, { out, base }, 2);
    try {
      for (let pass = 1; pass <= 400; pass++) {
        const count = 1 + ((pass * 37) % 64);
        base[0] = pass * 1000;
        pool.run(count);
        for (let c = 0; c < count; c++) {
          if (out[c] !== pass * 1000 + c) throw new Error(`pass ${pass}, chunk ${c}: ${out[c]}`);
        }
      }
    } finally {
      pool.close();
    }
  });

  // Without the failure channel each of these waited 20 s in Atomics.wait and then threw "A
  // worker thread stopped responding"; the timeout catches a return of that stall.
  it("throws the kernel's own error when a chunk throws on the workers and again here", {
    timeout: 5000,
  }, () => {
    const out = new Int32Array(new SharedArrayBuffer(4 * 10));
    const kernel = (shared: { out: Int32Array }) => (chunk: number) => {
      if (chunk === 3) throw new RangeError('Array buffer allocation failed');
      shared.out[chunk] = chunk * chunk;
    };
    const pool = new SyncPool(kernel, { out }, 1, false);
    try {
      out.fill(-1);
      expect(() => pool.run(10)).toThrow(new RangeError('Array buffer allocation failed'));
      // The pass settled before the throw: every other chunk was still computed, once.
      expect(Array.from(out)).toEqual([0, 1, 4, -1, 16, 25, 36, 49, 64, 81]);
      expect(pool.workerCount).toBe(0);
    } finally {
      pool.close();
    }
  });

  it("throws the kernel's own error from a chunk that throws on this thread too", {
    timeout: 5000,
  }, () => {
    const out = new Int32Array(new SharedArrayBuffer(4 * 64));
    const kernel = (shared: { out: Int32Array }) => (chunk: number) => {
      if (chunk === 40) throw new Error('chunk 40 has no rows');
      shared.out[chunk] = chunk * chunk;
    };
    const pool = new SyncPool(kernel, { out }, 2);
    try {
      expect(() => pool.run(64)).toThrow('chunk 40 has no rows');
    } finally {
      pool.close();
    }
  });

  it('runs again here, with the same result, a chunk that failed only on a worker, and drops that worker', {
    timeout: 5000,
  }, () => {
    const out = new Float64Array(new SharedArrayBuffer(8 * 50));
    // The first thread to run chunk 7 fails, as a worker out of memory would; any later run works.
    const tripped = new Int32Array(new SharedArrayBuffer(4));
    const kernel = (shared: { out: Float64Array; tripped: Int32Array }) => (chunk: number) => {
      if (chunk === 7 && Atomics.add(shared.tripped, 0, 1) === 0) {
        throw new Error('worker out of memory');
      }
      shared.out[chunk] = Math.sqrt(chunk) / 3;
    };
    const expected = Array.from({ length: 50 }, (_, c) => Math.sqrt(c) / 3);
    const told: string[] = [];
    const pool = new SyncPool(kernel, { out, tripped }, 2, false, (reason) => told.push(reason));
    try {
      pool.run(50);
      expect(Array.from(out)).toEqual(expected);
      expect(pool.workerCount).toBe(1);
      expect(pool.workerFailures).toEqual(['worker out of memory']);
      // The caller is told at once, for its warning.
      expect(told).toEqual(['worker out of memory']);
      // The other worker fails the same way on the next pass (this thread takes no chunk
      // before a worker is lost), and after that this thread does every chunk.
      out.fill(-1);
      tripped[0] = 0;
      pool.run(50);
      expect(Array.from(out)).toEqual(expected);
      expect(pool.workerCount).toBe(0);
      out.fill(-1);
      pool.run(50);
      expect(Array.from(out)).toEqual(expected);
      expect(pool.workerFailures).toEqual(['worker out of memory', 'worker out of memory']);
    } finally {
      pool.close();
    }
  });

  it('does every chunk here when the workers cannot build their kernel', { timeout: 5000 }, () => {
    const out = new Int32Array(new SharedArrayBuffer(4 * 10));
    // This thread builds its kernel first; every worker after it fails to.
    const builds = new Int32Array(new SharedArrayBuffer(4));
    const kernel = (shared: { out: Int32Array; builds: Int32Array }) => {
      if (Atomics.add(shared.builds, 0, 1) > 0) throw new Error('no memory for the kernel');
      return (chunk: number) => {
        shared.out[chunk] = chunk * chunk;
      };
    };
    const pool = new SyncPool(kernel, { out, builds }, 2, false);
    try {
      // A worker boots while a pass runs, so it may be lost in this pass or a later one; every
      // pass must be complete either way, and passes end up on this thread alone.
      do {
        out.fill(-1);
        pool.run(10);
        expect(Array.from(out)).toEqual(Array.from({ length: 10 }, (_, i) => i * i));
      } while (pool.workerCount > 0);
      expect(pool.workerFailures).toEqual(['no memory for the kernel', 'no memory for the kernel']);
    } finally {
      pool.close();
    }
  });

  it('stays on this thread when the buffers are not shared', () => {
    const out = new Int32Array(10);
    const pool = new SyncPool(squares, { out }, 2);
    expect(pool.workerCount).toBe(0);
    pool.run(10);
    expect(out[9]).toBe(81);
  });

  it('reads ONCOCLEAR_WORKERS and ONCOCLEAR_PARALLEL_MIN_ROWS, quoting a bad value', () => {
    expect(defaultWorkerCount({ ONCOCLEAR_WORKERS: '0' })).toBe(0);
    expect(defaultWorkerCount({ ONCOCLEAR_WORKERS: '3' })).toBe(3);
    // By default one fewer than the CPUs the process may use (a container's limit included), ≤ 3.
    expect(defaultWorkerCount({}, () => 1)).toBe(0);
    expect(defaultWorkerCount({}, () => 2)).toBe(1);
    expect(defaultWorkerCount({}, () => 64)).toBe(3);
    expect(() => defaultWorkerCount({ ONCOCLEAR_WORKERS: 'two' })).toThrow(
      "ONCOCLEAR_WORKERS is 'two'; expected a whole number of worker threads from 0 to 64.",
    );
    expect(parallelMinRows(200_000, {})).toBe(200_000);
    expect(parallelMinRows(200_000, { ONCOCLEAR_PARALLEL_MIN_ROWS: '1000' })).toBe(1000);
    expect(() => parallelMinRows(1, { ONCOCLEAR_PARALLEL_MIN_ROWS: '-5' })).toThrow(
      "ONCOCLEAR_PARALLEL_MIN_ROWS is '-5'; expected a whole number of rows, 0 or more.",
    );
  });
});

describe('poolWorkers and poolArray', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('start workers from the row threshold on shared memory, reading the environment only when needed', () => {
    // Empty counts as unset: the defaults, whatever the environment running the tests says.
    vi.stubEnv('ONCOCLEAR_WORKERS', '');
    vi.stubEnv('ONCOCLEAR_PARALLEL_MIN_ROWS', '');
    const shared = new Float64Array(new SharedArrayBuffer(8));
    const plain = new Float64Array(1);
    expect(poolWorkers(999, 1000, { workers: 2 }, shared)).toBe(0);
    expect(poolWorkers(1000, 1000, { workers: 2 }, shared)).toBe(2);
    expect(poolWorkers(1000, 1000, { workers: 2 }, shared, plain)).toBe(0);
    expect(poolWorkers(10, 1000, { workers: 2, minRows: 0 }, shared)).toBe(2);
    expect(poolWorkers(1000, 1000, { workers: 0 }, shared)).toBe(0);
    vi.stubEnv('ONCOCLEAR_PARALLEL_MIN_ROWS', '50');
    expect(poolWorkers(50, 1000, { workers: 2 }, shared)).toBe(2);
    // A bad value is read, and so thrown, only where it would decide something.
    vi.stubEnv('ONCOCLEAR_WORKERS', 'two');
    expect(poolWorkers(49, 1000, {}, shared)).toBe(0);
    expect(poolWorkers(50, 1000, { workers: 1 }, shared)).toBe(1);
    expect(() => poolWorkers(50, 1000, {}, shared)).toThrow(
      "ONCOCLEAR_WORKERS is 'two'; expected a whole number of worker threads from 0 to 64.",
    );
    vi.stubEnv('ONCOCLEAR_PARALLEL_MIN_ROWS', '-5');
    expect(poolWorkers(50, 1000, { workers: 1, minRows: 0 }, shared)).toBe(1);
    expect(() => poolWorkers(50, 1000, { workers: 1 }, shared)).toThrow(
      "ONCOCLEAR_PARALLEL_MIN_ROWS is '-5'; expected a whole number of rows, 0 or more.",
    );
    vi.stubEnv('ONCOCLEAR_PARALLEL_MIN_ROWS', '');
    vi.stubEnv('ONCOCLEAR_WORKERS', '3');
    expect(poolWorkers(1000, 1000, {}, shared)).toBe(3);
  });

  it('allocate zeroed arrays in a SharedArrayBuffer only when asked', () => {
    const floats = poolArray(Float64Array, 3, true);
    expect(floats).toBeInstanceOf(Float64Array);
    expect(floats.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(floats.byteLength).toBe(24);
    const ints = poolArray(Int32Array, 5, false);
    expect(ints).toBeInstanceOf(Int32Array);
    expect(ints.buffer).toBeInstanceOf(ArrayBuffer);
    expect(ints.length).toBe(5);
    expect(poolArray(Uint8Array, 7, true).byteLength).toBe(7);
  });
});

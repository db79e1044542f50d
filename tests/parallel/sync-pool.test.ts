import { describe, expect, it } from 'vitest';
import { defaultWorkerCount, parallelMinRows, SyncPool } from '../../src/parallel/sync-pool.js';

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
    expect(defaultWorkerCount({})).toBeGreaterThanOrEqual(0);
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

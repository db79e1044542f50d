// Worker threads must not change a single bit: the same chunks, summed in the same order, whichever
// thread computed them. These tests fail if the worker's copy of the kernel, the chunking or the
// reduction order ever diverge.
import { afterEach, describe, expect, it } from 'vitest';
import { syntheticCsv } from '../../bench/synthetic.js';
import { seededRandom } from '../../src/data/split.js';
import { fitNewton } from '../../src/model/newton.js';
import { CHUNK_ROWS, NewtonPasses } from '../../src/model/newton-pass.js';
import { trainFromConfig } from '../../src/pipeline/train.js';
import { projectConfig, TRAIN_CONTEXT, tempDir } from '../support/fixtures.js';

const dir = tempDir();

/** A standardised-looking table with a logistic signal, in SharedArrayBuffers. */
function table(rows: number, p: number, seed: number) {
  const random = seededRandom(seed);
  const x = new Float64Array(new SharedArrayBuffer(rows * p * 8));
  const y = new Uint8Array(new SharedArrayBuffer(rows));
  for (let i = 0; i < rows; i++) {
    let z = -0.3;
    for (let j = 0; j < p; j++) {
      const v = random() * 4 - 2;
      x[i * p + j] = v;
      z += (j % 3 === 0 ? 0.8 : -0.1) * v;
    }
    y[i] = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { x, y };
}

const OPTIONS = { l2: 1, maxIterations: 100, tolerance: 1e-8 };

describe('Newton passes on worker threads', () => {
  it('compute every pass bit for bit as the main thread does, even with the workers doing all chunks', () => {
    const rows = 3 * CHUNK_ROWS + 123; // a ragged last chunk
    const p = 7; // odd q = 8 and even padding both get used across p = 7 and p = 8
    for (const width of [p, p + 1]) {
      const { x, y } = table(rows, width, 11 + width);
      const q = width + 1;
      const beta = Float64Array.from({ length: q }, (_, k) => (k % 2 ? 0.3 : -0.2) / (k + 1));
      const inline = new NewtonPasses(x, y, rows, width, { workers: 0 });
      const workers = new NewtonPasses(x, y, rows, width, {
        workers: 2,
        minRows: 0,
        workersOnly: true,
      });
      try {
        expect(inline.workerCount).toBe(0);
        expect(workers.workerCount).toBe(2);
        const g1 = new Float64Array(q);
        const h1 = new Float64Array(q * q);
        const g2 = new Float64Array(q);
        const h2 = new Float64Array(q * q);
        inline.gradient(beta, g1, h1);
        workers.gradient(beta, g2, h2);
        expect(Array.from(g2)).toEqual(Array.from(g1));
        expect(Array.from(h2)).toEqual(Array.from(h1));
        inline.gradient(beta, g1);
        workers.gradient(beta, g2);
        expect(Array.from(g2)).toEqual(Array.from(g1));
        expect(workers.loss(beta)).toBe(inline.loss(beta));
        // And the Hessian really is XᵀWX: check one entry against a direct sum.
        let direct = 0;
        for (let i = 0; i < rows; i++) {
          let z = beta[width]!;
          for (let j = 0; j < width; j++) z += beta[j]! * x[i * width + j]!;
          const mu = 1 / (1 + Math.exp(-z));
          direct += mu * (1 - mu) * x[i * width]! * x[i * width + 1]!;
        }
        expect(h1[1]).toBeCloseTo(direct, 6);
      } finally {
        inline.close();
        workers.close();
      }
    }
  });

  it('fits the same coefficients with and without workers, above and below the row threshold', () => {
    const rows = 30_000; // above the warm-start size, so both the sample fit and full passes run
    const p = 10;
    const { x, y } = table(rows, p, 5);
    const off = fitNewton(x, y, rows, p, OPTIONS, { workers: 0 });
    // workersOnly: the full-data passes all run on the workers, not on whichever thread is first.
    const above = fitNewton(x, y, rows, p, OPTIONS, {
      workers: 2,
      minRows: 1000,
      workersOnly: true,
    });
    const below = fitNewton(x, y, rows, p, OPTIONS, { workers: 2, minRows: rows + 1 });
    expect(off.converged).toBe(true);
    expect(above).toEqual(off);
    expect(below).toEqual(off);
  });
});

describe('a whole training run with and without workers', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ['ONCOCLEAR_WORKERS', 'ONCOCLEAR_PARALLEL_MIN_ROWS']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it('writes byte-identical artifacts', () => {
    const csv = syntheticCsv(dir, 30_000);
    const config = projectConfig();
    const run = (workers: string, minRows: string) => {
      process.env.ONCOCLEAR_WORKERS = workers;
      process.env.ONCOCLEAR_PARALLEL_MIN_ROWS = minRows;
      const config1 = { ...config, data: { ...config.data, path: csv, features: null } };
      return JSON.stringify(trainFromConfig(config1, TRAIN_CONTEXT).artifact);
    };
    const off = run('0', '1000');
    const on = run('2', '1000'); // 24,000 training rows: workers on
    const onBelow = run('2', '1000000'); // the threshold keeps them off
    expect(on).toBe(off);
    expect(onBelow).toBe(off);
    expect(JSON.parse(off).model.converged).toBe(true);
  });
});

// The data passes of Newton's method, in fixed chunks of rows so they can run on worker threads
// and still give the same bits: each chunk sums its rows in order into its own slot, and the
// slots are added in chunk order, whichever thread computed them and however many there were.
import {
  type KernelFactory,
  PARALLEL_MIN_ROWS,
  type PoolOptions,
  poolArray,
  poolWorkers,
  SyncPool,
} from '../parallel/sync-pool.js';

/** Rows per chunk: the unit of work and of the reduction order. A multiple of BLOCK_ROWS. */
export const CHUNK_ROWS = 8192;
/** Rows per block in the Hessian pass. */
const BLOCK_ROWS = 128;

const MODE_LOSS = 0;
const MODE_GRADIENT = 1;
const MODE_HESSIAN = 2;

interface NewtonShared extends Record<string, unknown> {
  x: Float64Array;
  y: Uint8Array;
  /** [mode, β₀ … β_p]: what the next pass computes, and where. */
  params: Float64Array;
  /** One slot per chunk: [loss, gradient (q), Hessian (q × q, upper triangle filled)]. */
  slots: Float64Array;
  /** [rowCount, p, CHUNK_ROWS, BLOCK_ROWS]. */
  sizes: Float64Array;
}

/**
 * The chunk kernel. Self-contained (no imports, no outer variables) because worker threads get
 * it as source text via `toString()`; the main thread runs the same function.
 */
const newtonKernel: KernelFactory<NewtonShared> = (shared) => {
  const state = {
    shared,
    // The block is padded to an even number of columns (the pad stays zero) so the 2 × 2 tiles
    // below read no edge case.
    block: new Float64Array(
      shared.sizes[3]! * (shared.sizes[1]! + 1 + ((shared.sizes[1]! + 1) & 1)),
    ),
    beta: new Float64Array(shared.sizes[1]! + 1),
    gradient: new Float64Array(shared.sizes[1]! + 1),
    hessian: new Float64Array((shared.sizes[1]! + 1) ** 2),
  };
  // Each fit makes its own kernel (a training makes a dozen, with cross-validation), so V8 does
  // not specialise the code to one closure's values; the loops below use only locals, loaded
  // once per chunk.
  return (chunk: number): void => newtonChunk(state, chunk);

  function newtonChunk(st: typeof state, chunk: number): void {
    const { x, y, params, slots, sizes } = st.shared;
    const { block, beta, gradient, hessian } = st;
    // `| 0`: the sizes arrive as doubles, and with doubles for p and q every index below is
    // double arithmetic: measured 2× slower passes once a second kernel had been made.
    const rowCount = sizes[0]! | 0;
    const p = sizes[1]! | 0;
    const chunkRows = sizes[2]! | 0;
    const blockRows = sizes[3]! | 0;
    const q = p + 1;
    const slotSize = 1 + q + q * q;
    const mode = params[0]! | 0;
    for (let k = 0; k < q; k++) beta[k] = params[1 + k]!;
    const start = chunk * chunkRows;
    const end = Math.min(rowCount, start + chunkRows);
    const out = chunk * slotSize;

    if (mode === 0) {
      let loss = 0;
      for (let i = start; i < end; i++) {
        const offset = i * p;
        let z = beta[p]!;
        for (let j = 0; j < p; j++) z += beta[j]! * x[offset + j]!;
        // log(1 + e^z) - y·z, computed without overflow.
        loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i]! * z;
      }
      slots[out] = loss;
      return;
    }

    gradient.fill(0);
    if (mode === 1) {
      for (let i = start; i < end; i++) {
        const offset = i * p;
        let z = beta[p]!;
        for (let j = 0; j < p; j++) z += beta[j]! * x[offset + j]!;
        // sigmoid(z), as newton.ts computes it, written out: a closure here was not inlined.
        let mu: number;
        if (z >= 0) mu = 1 / (1 + Math.exp(-z));
        else {
          const e = Math.exp(z);
          mu = e / (1 + e);
        }
        const r = mu - y[i]!;
        for (let j = 0; j < p; j++) gradient[j] += r * x[offset + j]!;
        gradient[p] += r;
      }
      for (let k = 0; k < q; k++) slots[out + 1 + k] = gradient[k]!;
      return;
    }

    // The gradient Xᵀ(μ − y) and the upper triangle of XᵀWX. Rows are taken in blocks stored
    // column-major as √w·x, so each Hessian entry is a dot product of two short contiguous
    // vectors summed in a register, then added once per block. The 2 × 2 tiles load four values
    // for four multiply-adds; each entry is still summed over k in order from zero, so the tiling
    // changes no bit of the result.
    hessian.fill(0);
    for (let from = start; from < end; from += blockRows) {
      const size = Math.min(blockRows, end - from);
      for (let k = 0; k < size; k++) {
        const offset = (from + k) * p;
        let z = beta[p]!;
        for (let j = 0; j < p; j++) z += beta[j]! * x[offset + j]!;
        let mu: number;
        if (z >= 0) mu = 1 / (1 + Math.exp(-z));
        else {
          const e = Math.exp(z);
          mu = e / (1 + e);
        }
        const r = mu - y[from + k]!;
        const sw = Math.sqrt(Math.max(mu * (1 - mu), 1e-12));
        for (let j = 0; j < p; j++) {
          const v = x[offset + j]!;
          gradient[j] += r * v;
          block[j * blockRows + k] = sw * v;
        }
        gradient[p] += r;
        block[p * blockRows + k] = sw;
      }
      for (let a = 0; a < q; a += 2) {
        const a0 = a * blockRows;
        const a1 = a0 + blockRows;
        for (let b = a; b < q; b += 2) {
          const b0 = b * blockRows;
          const b1 = b0 + blockRows;
          let s00 = 0;
          let s01 = 0;
          let s10 = 0;
          let s11 = 0;
          for (let k = 0; k < size; k++) {
            const xa0 = block[a0 + k]!;
            const xa1 = block[a1 + k]!;
            const xb0 = block[b0 + k]!;
            const xb1 = block[b1 + k]!;
            s00 += xa0 * xb0;
            s01 += xa0 * xb1;
            s10 += xa1 * xb0;
            s11 += xa1 * xb1;
          }
          hessian[a * q + b] += s00;
          if (b + 1 < q) hessian[a * q + b + 1] += s01;
          if (a + 1 < q) {
            if (b > a) hessian[(a + 1) * q + b] += s10;
            if (b + 1 < q) hessian[(a + 1) * q + b + 1] += s11;
          }
        }
      }
    }
    for (let k = 0; k < q; k++) slots[out + 1 + k] = gradient[k]!;
    const h = out + 1 + q;
    for (let a = 0; a < q; a++)
      for (let b = a; b < q; b++) slots[h + a * q + b] = hessian[a * q + b]!;
  }
};

/**
 * Runs the three kinds of pass over a fixed table, chunk by chunk, on this thread and on
 * workers when the table is large and lives in SharedArrayBuffers.
 */
export class NewtonPasses {
  private readonly shared: NewtonShared;
  private readonly pool: SyncPool<NewtonShared>;
  private readonly chunks: number;
  private readonly q: number;

  constructor(
    x: Float64Array,
    y: Uint8Array,
    rowCount: number,
    p: number,
    options: PoolOptions = {},
  ) {
    const q = p + 1;
    this.q = q;
    this.chunks = Math.max(1, Math.ceil(rowCount / CHUNK_ROWS));
    const workers = poolWorkers(rowCount, PARALLEL_MIN_ROWS, options, x, y);
    const shared = workers > 0;
    this.shared = {
      x,
      y,
      params: poolArray(Float64Array, 1 + q, shared),
      slots: poolArray(Float64Array, this.chunks * (1 + q + q * q), shared),
      sizes: poolArray(Float64Array, 4, shared),
    };
    this.shared.sizes.set([rowCount, p, CHUNK_ROWS, BLOCK_ROWS]);
    this.pool = new SyncPool(
      newtonKernel,
      this.shared,
      workers,
      !options.workersOnly,
      options.onWorkerLost,
    );
  }

  get workerCount(): number {
    return this.pool.workerCount;
  }

  private run(mode: number, beta: Float64Array): void {
    this.shared.params[0] = mode;
    this.shared.params.set(beta, 1);
    this.pool.run(this.chunks);
  }

  /** Σ log-loss over the rows (without the penalty). */
  loss(beta: Float64Array): number {
    this.run(MODE_LOSS, beta);
    const { slots } = this.shared;
    const slotSize = 1 + this.q + this.q * this.q;
    let loss = 0;
    for (let c = 0; c < this.chunks; c++) loss += slots[c * slotSize]!;
    return loss;
  }

  /** Xᵀ(μ − y) into `gradient`, and with `hessian` the upper triangle of XᵀWX into it too. */
  gradient(beta: Float64Array, gradient: Float64Array, hessian?: Float64Array): void {
    this.run(hessian ? MODE_HESSIAN : MODE_GRADIENT, beta);
    const { slots } = this.shared;
    const q = this.q;
    const slotSize = 1 + q + q * q;
    gradient.fill(0);
    hessian?.fill(0);
    for (let c = 0; c < this.chunks; c++) {
      const out = c * slotSize;
      for (let k = 0; k < q; k++) gradient[k] += slots[out + 1 + k]!;
      if (hessian) {
        const h = out + 1 + q;
        for (let a = 0; a < q; a++)
          for (let b = a; b < q; b++) hessian[a * q + b] += slots[h + a * q + b]!;
      }
    }
  }

  close(): void {
    this.pool.close();
  }
}

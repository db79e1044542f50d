import { createHash } from 'node:crypto';

export interface SplitOptions {
  testFraction: number;
  seed: number;
  stratified: boolean;
}

export interface Split {
  /** Row indices in ascending order. */
  train: Uint32Array;
  test: Uint32Array;
}

/** mulberry32: a tiny seeded PRNG, so a split depends only on the seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(values: number[], random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = values[i]!;
    values[i] = values[j]!;
    values[j] = tmp;
  }
}

/**
 * Deterministic train/test split. Stratified splits take round(n_class × testFraction) of each
 * class, so both parts keep the class balance. Throws when a part would be empty.
 */
export function splitRows(labels: Uint8Array, options: SplitOptions): Split {
  const random = seededRandom(options.seed);
  const groups: number[][] = options.stratified ? [[], []] : [[]];
  for (let i = 0; i < labels.length; i++) groups[options.stratified ? labels[i]! : 0]!.push(i);
  const test: number[] = [];
  const train: number[] = [];
  for (const group of groups) {
    shuffle(group, random);
    const k = Math.round(group.length * options.testFraction);
    test.push(...group.slice(0, k));
    train.push(...group.slice(k));
  }
  if (test.length === 0 || train.length === 0) {
    throw new RangeError(
      `A test fraction of ${options.testFraction} on ${labels.length} rows leaves an empty ${test.length === 0 ? 'test' : 'training'} part; expected enough rows for both.`,
    );
  }
  return {
    train: Uint32Array.from(train).sort(),
    test: Uint32Array.from(test).sort(),
  };
}

/** Short hash of the test rows, so a later re-split can prove it picked the same ones. */
export function rowsHash(rows: Uint32Array): string {
  return `sha256:${createHash('sha256').update(Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength)).digest('hex').slice(0, 16)}`;
}

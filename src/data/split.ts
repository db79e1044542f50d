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

function shuffle(values: Uint32Array, random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = values[i]!;
    values[i] = values[j]!;
    values[j] = tmp;
  }
}

/**
 * Deterministic train/test split. Stratified splits keep the class balance in both parts. Throws when a part would be empty.
 */
export function splitRows(labels: Uint8Array, options: SplitOptions): Split {
  const random = seededRandom(options.seed);
  // Typed arrays, not number[]: a million indices as JS arrays cost ~80 MB of heap and the GC.
  const sizes = [0, 0];
  if (options.stratified) for (let i = 0; i < labels.length; i++) sizes[labels[i]!]!++;
  else sizes[0] = labels.length;
  const groups = (options.stratified ? sizes : [labels.length]).map((n) => new Uint32Array(n));
  const filled = [0, 0];
  for (let i = 0; i < labels.length; i++) {
    const g = options.stratified ? labels[i]! : 0;
    groups[g]![filled[g]!++] = i;
  }
  // Like scikit-learn: ceil(n × fraction) test rows in all, shared out between the classes by
  // largest remainder, so a 569-row set gives 114 test rows whether stratified or not.
  const total = Math.ceil(labels.length * options.testFraction);
  const exact = groups.map((g) => (g.length * total) / labels.length);
  const take = exact.map(Math.floor);
  let left = total - take.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((e, i) => ({ i, r: e - Math.floor(e) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left-- <= 0) break;
    take[i]!++;
  }
  // Mark the test rows, then read both parts off in row order: ascending without a sort, which
  // took ~100 ms per part at a million rows.
  const isTest = new Uint8Array(labels.length);
  let testCount = 0;
  groups.forEach((group, g) => {
    shuffle(group, random);
    const n = Math.min(take[g]!, group.length);
    for (let k = 0; k < n; k++) isTest[group[k]!] = 1;
    testCount += n;
  });
  const test = new Uint32Array(testCount);
  const train = new Uint32Array(labels.length - testCount);
  for (let i = 0, t = 0, r = 0; i < labels.length; i++) {
    if (isTest[i]) test[t++] = i;
    else train[r++] = i;
  }
  if (test.length === 0 || train.length === 0) {
    throw new RangeError(
      `A test fraction of ${options.testFraction} on ${labels.length} rows leaves an empty ${test.length === 0 ? 'test' : 'training'} part; expected enough rows for both.`,
    );
  }
  return { train, test };
}

/**
 * Throws unless both parts of `split` hold rows of both classes: a model needs examples of each
 * to fit, and ROC AUC, sensitivity and the rest are undefined on a part without one (a rare class
 * of 2 rows in 152 leaves none in a 20% test part). `classes` is `[negative, positive]`.
 */
export function requireBothClasses(
  labels: Uint8Array,
  split: Split,
  classes: readonly [string, string],
  options: SplitOptions,
): void {
  for (const [part, rows] of [
    ['test', split.test],
    ['training', split.train],
  ] as const) {
    const count = [0, 0];
    for (const row of rows) count[labels[row]!]!++;
    const missing = count.indexOf(0);
    if (missing === -1) continue;
    // Counted only here: training calls this on every run, up to millions of rows.
    const total = [0, 0];
    for (let i = 0; i < labels.length; i++) total[labels[i]!]!++;
    const rare = total[0]! <= total[1]! ? 0 : 1;
    throw new RangeError(
      `The ${part} part (${rows.length} of ${labels.length} rows, split.testFraction ${options.testFraction}) has no '${classes[missing]}' rows: ` +
        `'${classes[rare]}' is ${total[rare]} of the ${labels.length} rows. Metrics need both classes in both parts; expected ` +
        (options.stratified
          ? `at least ${minimumPerClass(options.testFraction)} rows of each class (add rows of '${classes[rare]}', or change split.testFraction).`
          : `a stratified split (split.stratified: true), which shares each class out between the parts, or more rows of '${classes[rare]}'.`),
    );
  }
}

/** Rows of a class that give a stratified split at least one of them in each part. */
function minimumPerClass(testFraction: number): number {
  // Rounded first: 1 / (1 - 0.9) is 10.000000000000002 in floating point.
  return Math.max(2, Math.ceil(Number((1 / Math.min(testFraction, 1 - testFraction)).toFixed(9))));
}

/** Short hash of the test rows, so a later re-split can prove it picked the same ones. */
export function rowsHash(rows: Uint32Array): string {
  return `sha256:${createHash('sha256')
    .update(Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength))
    .digest('hex')
    .slice(0, 16)}`;
}

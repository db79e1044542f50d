import { describe, expect, it } from 'vitest';
import { requireBothClasses, rowsHash, splitRows } from '../../src/data/split.js';
import { MetricsSchema } from '../../src/evaluate/metrics-schema.js';
import { parseToWrite } from '../../src/util/format-issue.js';

const labels = Uint8Array.from({ length: 569 }, (_, i) => (i < 212 ? 1 : 0));

describe('splitRows', () => {
  it('is deterministic for a seed and different across seeds', () => {
    const a = splitRows(labels, { testFraction: 0.2, seed: 42, stratified: true });
    const b = splitRows(labels, { testFraction: 0.2, seed: 42, stratified: true });
    const c = splitRows(labels, { testFraction: 0.2, seed: 43, stratified: true });
    expect(rowsHash(a.test)).toBe(rowsHash(b.test));
    expect(rowsHash(a.test)).not.toBe(rowsHash(c.test));
  });

  it('takes ceil(n × fraction) rows and keeps the class balance when stratified', () => {
    const { train, test } = splitRows(labels, { testFraction: 0.2, seed: 1, stratified: true });
    expect(test.length).toBe(114);
    expect(train.length + test.length).toBe(569);
    const positives = Array.from(test).filter((i) => labels[i] === 1).length;
    // 212 × 114 / 569 = 42.47 and 357 × 114 / 569 = 71.53: the larger remainder gets the spare row.
    expect(positives).toBe(42);
    expect(new Set([...train, ...test]).size).toBe(569);
  });

  it('refuses a split that leaves one part empty', () => {
    expect(() =>
      splitRows(Uint8Array.from([1, 0]), { testFraction: 0.01, seed: 1, stratified: false }),
    ).not.toThrow();
    expect(() =>
      splitRows(Uint8Array.from([1]), { testFraction: 0.5, seed: 1, stratified: false }),
    ).toThrow(/empty training part/);
  });
});

describe('requireBothClasses', () => {
  const options = { testFraction: 0.2, seed: 42, stratified: true };
  const classes = ['no', 'yes'] as const;

  it('passes a split with both classes in both parts', () => {
    expect(() =>
      requireBothClasses(labels, splitRows(labels, options), classes, options),
    ).not.toThrow();
  });

  it('names the part, the missing class, its count and what is needed', () => {
    // 2 'yes' rows of 152: a 20% stratified test part gets none.
    const rare = Uint8Array.from({ length: 152 }, (_, i) => (i < 2 ? 1 : 0));
    expect(() => requireBothClasses(rare, splitRows(rare, options), classes, options)).toThrow(
      "The test part (31 of 152 rows, split.testFraction 0.2) has no 'yes' rows: 'yes' is 2 of the 152 rows. Metrics need both classes in both parts; expected at least 5 rows of each class (add rows of 'yes', or change split.testFraction).",
    );
    // And the training part, when the test part would take them all.
    const wide = { ...options, testFraction: 0.9 };
    const one = Uint8Array.from({ length: 40 }, (_, i) => (i < 1 ? 1 : 0));
    expect(() => requireBothClasses(one, splitRows(one, wide), classes, wide)).toThrow(
      /^The training part \(4 of 40 rows, split\.testFraction 0\.9\) has no 'yes' rows: 'yes' is 1 of the 40 rows\. .*at least 10 rows of each class/,
    );
  });
});

describe('requireBothClasses on an unstratified split', () => {
  it('advises a stratified split rather than a row count that only holds for one', () => {
    const options = { testFraction: 0.2, seed: 5, stratified: false };
    const rare = Uint8Array.from({ length: 155 }, (_, i) => (i < 5 ? 1 : 0));
    const split = splitRows(rare, options);
    const inTest = Array.from(split.test).filter((row) => rare[row] === 1).length;
    // Seed 5 happens to leave all five in the training part.
    expect(inTest).toBe(0);
    expect(() => requireBothClasses(rare, split, ['no', 'yes'], options)).toThrow(
      /has no 'yes' rows: 'yes' is 5 of the 155 rows\. Metrics need both classes in both parts; expected a stratified split \(split\.stratified: true\)/,
    );
  });
});

describe('parseToWrite', () => {
  it('turns a value its schema cannot hold into one line naming the field, not zod issues', () => {
    const metrics = {
      rows: 3,
      accuracy: 1,
      precision: 1,
      recall: 1,
      f1: 1,
      rocAuc: Number.NaN,
      logLoss: 0.1,
    };
    expect(() => parseToWrite(MetricsSchema, metrics, 'model artifact')).toThrow(
      /^Internal error: the model artifact to be written is invalid: rocAuc is NaN; expected a number\. Nothing was written; please report this\.$/,
    );
  });
});

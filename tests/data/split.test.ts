import { describe, expect, it } from 'vitest';
import { rowsHash, splitRows } from '../../src/data/split.js';

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

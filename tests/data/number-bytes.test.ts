import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCellText, parseNumberBytes } from '../../src/data/number-bytes.js';
import { seededRandom } from '../../src/data/split.js';

const parse = (text: string) => {
  const bytes = Buffer.from(text);
  return parseNumberBytes(bytes, 0, bytes.length);
};

describe('parseNumberBytes', () => {
  it('gives exactly the double Number() gives for every cell of WDBC', () => {
    const cells = readFileSync('data/wdbc.csv', 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .flatMap((l) => l.split(',').slice(0, 30));
    const mismatches = cells.filter((c) => parse(c) !== Number(c));
    expect(cells.length).toBe(569 * 30);
    expect(mismatches).toEqual([]);
  });

  it('matches Number() on random decimals, signs and exponents, or defers to it', () => {
    const random = seededRandom(3);
    for (let i = 0; i < 20_000; i++) {
      const v = (random() - 0.5) * 10 ** Math.floor(random() * 12 - 6);
      for (const text of [
        v.toString(),
        v.toFixed(4),
        v.toExponential(6),
        `+${Math.abs(v).toPrecision(9)}`,
      ]) {
        const got = parse(text);
        if (got !== undefined) expect(got).toBe(Number(text));
      }
    }
  });

  it('treats an empty or blank cell as missing and rejects text', () => {
    expect(parse('')).toBeNaN();
    expect(parse('  ')).toBeNaN();
    expect(parse('abc')).toBeUndefined();
    expect(parse('1.2.3')).toBeUndefined();
    expect(parse('-')).toBeUndefined();
    expect(parse(' 42 ')).toBe(42);
    expect(parse('1e3')).toBe(1000);
    expect(parse('0.000')).toBe(0);
  });
});

describe('parseCellText', () => {
  it('reads every decimal form the byte parser reads, as Number() does', () => {
    for (const text of ['42', '-0', '+2', '000.5', '.5', '5.', '-.25', '1e3', '2.5E-4', '-1.5e+2'])
      expect(parseCellText(text)).toBe(Number(text));
    expect(parseCellText('0.1234567890123456789')).toBe(0.12345678901234568);
    expect(parseCellText('1e-400')).toBe(0);
  });

  it('reads empty, NA and NaN as missing', () => {
    for (const text of ['', 'NA', 'NaN']) expect(parseCellText(text)).toBeNaN();
  });

  it('refuses hex, binary, octal, infinities, other spellings of missing and non-decimals', () => {
    for (const text of [
      ...['0x2A', '0X2a', '0b1', '0o7', '-0x10', 'Infinity', '-Infinity', '1e999'],
      ...['nan', 'na', 'N/A', 'null', '1_000', '1,5', '.', '-', '1e', 'e5', '.e5', '1.2.3'],
    ])
      expect(parseCellText(text), text).toBeUndefined();
  });
});

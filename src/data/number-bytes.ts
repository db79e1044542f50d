/** Exact powers of ten: every one up to 1e22 is representable, which the fast path relies on. */
export const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Parses a decimal number from bytes without creating a string. Uses Clinger's fast path: a
 * mantissa of at most 15 significant digits is exact in a double, and so is 10^k for k ≤ 22, so
 * one multiplication or division gives the correctly rounded result — the same double as
 * `Number(text)`. Anything outside the fast path returns undefined for the caller to fall back.
 * Returns NaN for an empty (missing) cell.
 */
export function parseNumberBytes(buf: Uint8Array, start: number, end: number): number | undefined {
  while (start < end && (buf[start] === 32 || buf[start] === 9)) start++;
  while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 9 || buf[end - 1] === 13)) end--;
  if (start === end) return Number.NaN;
  let i = start;
  let negative = false;
  if (buf[i] === 45 || buf[i] === 43) {
    negative = buf[i] === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let exponent = 0;
  let sawDigit = false;
  for (; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) break;
    sawDigit = true;
    if (mantissa === 0 && c === 0) continue; // leading zeros are not significant
    if (digits < 15) {
      mantissa = mantissa * 10 + c;
      digits++;
    } else return undefined;
  }
  if (i < end && buf[i] === 46) {
    for (i++; i < end; i++) {
      const c = buf[i]! - 48;
      if (c < 0 || c > 9) break;
      sawDigit = true;
      if (mantissa === 0 && c === 0) {
        exponent--;
        continue;
      }
      if (digits < 15) {
        mantissa = mantissa * 10 + c;
        digits++;
        exponent--;
      } else return undefined;
    }
  }
  if (!sawDigit) return undefined;
  if (i < end && (buf[i] === 101 || buf[i] === 69)) {
    i++;
    let expNegative = false;
    if (buf[i] === 45 || buf[i] === 43) {
      expNegative = buf[i] === 45;
      i++;
    }
    let e = 0;
    const first = i;
    for (; i < end; i++) {
      const c = buf[i]! - 48;
      if (c < 0 || c > 9) break;
      e = e * 10 + c;
      if (e > 1000) return undefined;
    }
    if (i === first) return undefined;
    exponent += expNegative ? -e : e;
  }
  if (i !== end) return undefined;
  let value: number;
  if (mantissa === 0) value = 0;
  else if (exponent === 0) value = mantissa;
  else if (exponent > 0 && exponent <= 22) value = mantissa * POW10[exponent]!;
  else if (exponent < 0 && exponent >= -22) value = mantissa / POW10[-exponent]!;
  else return undefined;
  return negative ? -value : value;
}

/** A decimal number: optional sign, digits with an optional point (`5.`, `.5`), optional exponent. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The general path's reading of a numeric cell, already trimmed: NaN for a missing value (empty,
 * `NA`, `NaN`), the number for a finite decimal, and undefined for anything else. `Number()`
 * alone would also read `0x2A` as 42, `0b1`, `0o7` and `Infinity`, and an all-whitespace cell
 * as 0, none of which a data file means as a measurement.
 */
export function parseCellText(text: string): number | undefined {
  if (text === '' || text === 'NA' || text === 'NaN') return Number.NaN;
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Dataset, FeatureTable } from './dataset.js';

const CHUNK_BYTES = 1 << 20;

export interface LoadDatasetOptions {
  target: string;
  positiveClass: string;
  /** Feature columns in order; null or undefined means every column but the target. */
  features?: string[] | null;
}

/**
 * Streams a CSV into typed arrays, one line at a time, so a million rows stay well under 1 GB.
 * Errors name the file, the 1-based line and the column, e.g.
 * `data.csv line 12, column 'mean radius': 'abc' is not a number`.
 */
export function loadDataset(file: string, options: LoadDatasetOptions): Dataset {
  const parsed = parseNumericCsv(file, options.features ?? null, options.target, true);
  const { ids, names } = parsed.labels!;
  if (names.length < 2) {
    const only = names[0];
    throw new Error(
      `${file}: column '${options.target}' has a single class ('${only}'); expected two classes, one of them '${options.positiveClass}'.`,
    );
  }
  const positiveId = names.indexOf(options.positiveClass);
  if (positiveId < 0) {
    throw new Error(
      `${file}: positive class '${options.positiveClass}' never appears in column '${options.target}'; found ${names.map((c) => `'${c}'`).join(' and ')}.`,
    );
  }
  const negative = names[1 - positiveId]!;
  const y = new Uint8Array(ids.length);
  for (let i = 0; i < ids.length; i++) y[i] = ids[i] === positiveId ? 1 : 0;
  return {
    featureNames: parsed.featureNames,
    rowCount: parsed.rowCount,
    x: parsed.x,
    y,
    classes: [negative, options.positiveClass],
    positiveClass: options.positiveClass,
  };
}

/**
 * Reads the given feature columns for batch inference. A target column, if present, is ignored,
 * and so is any other extra column; a missing feature column is an error.
 */
export function loadFeatureTable(file: string, features: string[]): FeatureTable {
  const parsed = parseNumericCsv(file, features, null, false);
  return { featureNames: parsed.featureNames, rowCount: parsed.rowCount, x: parsed.x };
}

interface ParsedCsv {
  featureNames: string[];
  rowCount: number;
  x: Float64Array;
  /** Label ids in order of first appearance, and their names. */
  labels?: { ids: Uint8Array; names: string[] };
}

function parseNumericCsv(
  file: string,
  wanted: string[] | null,
  target: string | null,
  requireTarget: boolean,
): ParsedCsv {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    throw new Error(`Data file '${file}' not found; expected a CSV with a header row.`);
  }
  try {
    const size = fstatSync(fd).size;
    const lines = lineReader(fd);
    const headerLine = lines.next();
    if (headerLine.done || headerLine.value.trim() === '') {
      throw new Error(`${file} is empty; expected a header row of column names.`);
    }
    const header = splitCsvLine(headerLine.value, file, 1);
    const indexOf = new Map<string, number>();
    header.forEach((name, i) => {
      if (indexOf.has(name)) throw new Error(`${file} line 1: column '${name}' appears twice.`);
      indexOf.set(name, i);
    });
    const targetIndex = target === null ? -1 : (indexOf.get(target) ?? -1);
    if (requireTarget && targetIndex < 0) {
      throw new Error(
        `${file}: no target column '${target}'; the header has ${header.map((h) => `'${h}'`).join(', ')}.`,
      );
    }
    const featureNames = wanted ?? header.filter((_, i) => i !== targetIndex);
    if (featureNames.length === 0)
      throw new Error(`${file}: no feature columns besides the target.`);
    const missing = featureNames.filter((f) => !indexOf.has(f));
    if (missing.length > 0) {
      throw new Error(
        `${file}: missing feature column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}; expected all of the model's ${featureNames.length} features.`,
      );
    }
    const columns = featureNames.map((f) => indexOf.get(f)!);
    const p = featureNames.length;

    // Pre-size from the file length so large files grow at most once or twice.
    let capacity = Math.max(16, Math.ceil(size / Math.max(1, headerLine.value.length / 2 + p * 4)));
    let x = new Float64Array(capacity * p);
    let y = requireTarget ? new Uint8Array(capacity) : new Uint8Array(0);
    const labelIds = new Map<string, number>();
    const labelNames: string[] = [];
    let rows = 0;
    let lineNo = 1;
    for (let line = lines.next(); !line.done; line = lines.next()) {
      lineNo++;
      const text = line.value;
      if (text === '' || text === '\r') continue;
      const cells = text.includes('"') ? splitCsvLine(text, file, lineNo) : text.split(',');
      if (cells.length !== header.length) {
        throw new Error(
          `${file} line ${lineNo}: ${cells.length} cells; expected ${header.length} to match the header.`,
        );
      }
      if (rows === capacity) {
        capacity *= 2;
        const grown = new Float64Array(capacity * p);
        grown.set(x);
        x = grown;
        if (requireTarget) {
          const grownY = new Uint8Array(capacity);
          grownY.set(y);
          y = grownY;
        }
      }
      const base = rows * p;
      for (let j = 0; j < p; j++) {
        const raw = cells[columns[j]!]!;
        const cell = raw.trim();
        if (cell === '' || cell === 'NA' || cell === 'NaN') {
          x[base + j] = Number.NaN;
          continue;
        }
        const value = Number(cell);
        if (!Number.isFinite(value)) {
          throw new Error(
            `${file} line ${lineNo}, column '${featureNames[j]}': '${cell}' is not a number; expected a finite number or an empty cell.`,
          );
        }
        x[base + j] = value;
      }
      if (requireTarget) {
        const label = cells[targetIndex]!.trim();
        if (label === '') {
          throw new Error(
            `${file} line ${lineNo}, column '${target}': the target is missing; every training row needs a label.`,
          );
        }
        let id = labelIds.get(label);
        if (id === undefined) {
          if (labelNames.length === 2) {
            throw new Error(
              `${file} line ${lineNo}, column '${target}': a third class '${label}' besides ${labelNames.map((n) => `'${n}'`).join(' and ')}; expected exactly two classes.`,
            );
          }
          id = labelNames.length;
          labelIds.set(label, id);
          labelNames.push(label);
        }
        y[rows] = id;
      }
      rows++;
    }
    if (rows === 0) throw new Error(`${file} has a header but no data rows.`);
    const result: ParsedCsv = { featureNames, rowCount: rows, x: x.slice(0, rows * p) };
    if (requireTarget) {
      // Label ids are in order of appearance; the caller maps them to negative/positive.
      result.labels = { ids: y.slice(0, rows), names: labelNames };
    }
    return result;
  } finally {
    closeSync(fd);
  }
}

/** Splits one CSV line honouring double quotes (RFC 4180, without embedded newlines). */
export function splitCsvLine(line: string, file: string, lineNo: number): string[] {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  if (quoted)
    throw new Error(`${file} line ${lineNo}: unterminated quote; expected a closing '"'.`);
  cells.push(cell);
  return cells;
}

/** Yields lines of a file read in 1 MiB chunks; strips '\n' (and '\r' before it). */
function* lineReader(fd: number): Generator<string, void, void> {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  // The decoder holds back a multi-byte character split across two chunks.
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for (;;) {
    const n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
    if (n === 0) break;
    const text = carry + decoder.write(buffer.subarray(0, n));
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    carry = text.slice(start);
  }
  if (carry !== '') yield carry.endsWith('\r') ? carry.slice(0, -1) : carry;
}

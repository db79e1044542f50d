import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Dataset, FeatureTable } from './dataset.js';
import { parseNumberBytes } from './number-bytes.js';

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
    sha256: parsed.sha256,
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
  /** `sha256:` of the file's bytes. */
  sha256: string;
  /** Label ids in order of first appearance, and their names. */
  labels?: { ids: Uint8Array; names: string[] };
}

function parseNumericCsv(
  file: string,
  wanted: string[] | null,
  target: string | null,
  requireTarget: boolean,
): ParsedCsv {
  const fd = openDataFile(file);
  try {
    const size = fstatSync(fd).size;
    // The data fingerprint is hashed from the very bytes parsed: one read, no second pass.
    const hash = createHash('sha256');
    const lines = readHeader(fd, hash);
    const headerLine = lines ?? { value: '' };
    if (!lines || headerLine.value.trim() === '') {
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

    // Each feature column's slot in a row, -2 for the target, -1 for an ignored column.
    const slot = new Int32Array(header.length).fill(-1);
    columns.forEach((c, j) => {
      slot[c] = j;
    });
    if (requireTarget) slot[targetIndex] = -2;

    // Pre-size from the first line's length so large files rarely grow.
    const bytesPerRow =
      sampleBytesPerRow(lines.rest.pending) ?? Math.max(8, Buffer.byteLength(headerLine.value));
    let capacity = Math.max(16, Math.ceil((size / bytesPerRow) * 1.02));
    let x = new Float64Array(capacity * p);
    let y = requireTarget ? new Uint8Array(capacity) : new Uint8Array(0);
    const labelIds = new Map<string, number>();
    const labelNames: string[] = [];
    let rows = 0;

    const raggedError = (lineNo: number, cells: number): Error =>
      new Error(
        `${file} line ${lineNo}: ${cells} cells; expected ${header.length} to match the header.`,
      );
    let lineBytes: { buf: Buffer; start: number; end: number } | null = null;
    const cellError = (lineNo: number, column: number, text: string): Error => {
      // A ragged row shifts every later cell; say that rather than blame one cell.
      if (lineBytes) {
        let cells = 1;
        for (let i = lineBytes.start; i < lineBytes.end; i++) if (lineBytes.buf[i] === 44) cells++;
        if (cells !== header.length) return raggedError(lineNo, cells);
      }
      return new Error(
        `${file} line ${lineNo}, column '${header[column]}': '${text.trim()}' is not a number; expected a finite number or an empty cell.`,
      );
    };
    const setLabel = (label: string, lineNo: number) => {
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
    };
    const grow = () => {
      capacity *= 2;
      const grown = new Float64Array(capacity * p);
      grown.set(x);
      x = grown;
      if (requireTarget) {
        const grownY = new Uint8Array(capacity);
        grownY.set(y);
        y = grownY;
      }
    };

    // Quoted cells: the rare slow path through strings. Overwrites whatever the byte scan stored.
    const quotedLine = (buf: Buffer, start: number, end: number, lineNo: number, base: number) => {
      const cells = splitCsvLine(buf.toString('utf8', start, end), file, lineNo);
      if (cells.length !== header.length) throw raggedError(lineNo, cells.length);
      lineBytes = null;
      cells.forEach((cell, c) => {
        const s = slot[c]!;
        if (s === -2) setLabel(cell.trim(), lineNo);
        else if (s >= 0) {
          const t = cell.trim();
          if (t === '' || t === 'NA' || t === 'NaN') x[base + s] = Number.NaN;
          else {
            const v = Number(t);
            if (!Number.isFinite(v)) throw cellError(lineNo, c, cell);
            x[base + s] = v;
          }
        }
      });
      rows++;
    };

    forEachLine(lines.rest, hash, (buf, start, end, lineNo) => {
      if (end === start || (end === start + 1 && buf[start] === 13)) return;
      if (rows === capacity) grow();
      const base = rows * p;
      lineBytes = { buf, start, end };
      let column = 0;
      let cellStart = start;
      for (let i = start; i <= end; i++) {
        const byte = i < end ? buf[i] : 44;
        if (byte === 34) return quotedLine(buf, start, end, lineNo, base);
        if (byte !== 44) continue;
        if (column >= header.length) {
          column++;
          cellStart = i + 1;
          continue;
        }
        const s = slot[column]!;
        if (s >= 0) {
          let v = parseNumberBytes(buf, cellStart, i);
          if (v === undefined) {
            const text = buf.toString('utf8', cellStart, i).trim();
            v = text === 'NA' || text === 'NaN' ? Number.NaN : Number(text);
            if (!Number.isFinite(v) && !(text === 'NA' || text === 'NaN'))
              throw cellError(lineNo, column, text);
          }
          x[base + s] = v;
        } else if (s === -2) {
          setLabel(buf.toString('utf8', cellStart, i).trim(), lineNo);
        }
        column++;
        cellStart = i + 1;
      }
      if (column !== header.length) throw raggedError(lineNo, column);
      rows++;
    });
    if (rows === 0) throw new Error(`${file} has a header but no data rows.`);
    // subarray, not slice: copying a million rows would double the peak memory.
    const result: ParsedCsv = {
      featureNames,
      rowCount: rows,
      x: x.subarray(0, rows * p),
      sha256: `sha256:${hash.digest('hex')}`,
    };
    if (requireTarget) {
      // Label ids are in order of appearance; the caller maps them to negative/positive.
      result.labels = { ids: y.subarray(0, rows), names: labelNames };
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

/** Average line length in the bytes read so far, to size the arrays once. */
function sampleBytesPerRow(bytes: Buffer): number | null {
  let lines = 0;
  let last = 0;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) {
    lines++;
    last = i + 1;
  }
  return lines >= 4 ? last / lines : null;
}

interface HeaderRead {
  value: string;
  /** Bytes after the header line that were already read, and the fd to continue from. */
  rest: { fd: number; pending: Buffer };
}

/** Reads the first line as text; the rest of the file is scanned as bytes by forEachLine. */
function readHeader(fd: number, hash: Hash): HeaderRead | null {
  let pending = Buffer.alloc(0);
  const chunk = Buffer.allocUnsafe(256 * 1024);
  for (;;) {
    const nl = pending.indexOf(10);
    if (nl >= 0) {
      const end = nl > 0 && pending[nl - 1] === 13 ? nl - 1 : nl;
      return {
        value: pending.toString('utf8', 0, end).replace(/^\uFEFF/, ''),
        rest: { fd, pending: pending.subarray(nl + 1) },
      };
    }
    const n = readSync(fd, chunk, 0, chunk.length, null);
    hash.update(chunk.subarray(0, n));
    if (n === 0) {
      if (pending.length === 0) return null;
      return {
        value: pending
          .toString('utf8')
          .replace(/^\uFEFF/, '')
          .replace(/\r$/, ''),
        rest: { fd, pending: Buffer.alloc(0) },
      };
    }
    pending = Buffer.concat([pending, chunk.subarray(0, n)]);
  }
}

/**
 * Calls `onLine(buffer, start, end, lineNo)` for every line after the header, reading 1 MiB at a
 * time and never decoding bytes to strings: the hot loop of a million-row load.
 */
function forEachLine(
  rest: HeaderRead['rest'],
  hash: Hash,
  onLine: (buf: Buffer, start: number, end: number, lineNo: number) => void,
): void {
  let buffer = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, rest.pending.length * 2));
  rest.pending.copy(buffer, 0);
  let filled = rest.pending.length;
  let lineNo = 1;
  let eof = false;
  while (!eof || filled > 0) {
    if (!eof) {
      if (filled === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
      const n = readSync(rest.fd, buffer, filled, buffer.length - filled, null);
      hash.update(buffer.subarray(filled, filled + n));
      if (n === 0) eof = true;
      filled += n;
    }
    let start = 0;
    for (
      let nl = buffer.indexOf(10, start);
      nl >= 0 && nl < filled;
      nl = buffer.indexOf(10, start)
    ) {
      lineNo++;
      onLine(buffer, start, nl > start && buffer[nl - 1] === 13 ? nl - 1 : nl, lineNo);
      start = nl + 1;
    }
    if (eof) {
      if (start < filled) {
        lineNo++;
        onLine(buffer, start, filled, lineNo);
      }
      break;
    }
    buffer.copy(buffer, 0, start, filled);
    filled -= start;
  }
}

/** The header row's column names, reading only the start of the file. */
export function readCsvHeader(file: string): string[] {
  const fd = openDataFile(file);
  try {
    const chunks: Buffer[] = [];
    for (let total = 0; total < 16 * CHUNK_BYTES; ) {
      const buffer = Buffer.alloc(64 * 1024);
      const read = readSync(fd, buffer, 0, buffer.length, total);
      if (read === 0) break;
      chunks.push(buffer.subarray(0, read));
      total += read;
      const newline = buffer.subarray(0, read).indexOf(10);
      if (newline >= 0) break;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const line = text.split(/\r?\n/, 1)[0] ?? '';
    return splitCsvLine(line.replace(/^\uFEFF/, ''), file, 1);
  } finally {
    closeSync(fd);
  }
}

/** Opens a data file for reading, or says it is missing and what was expected. */
function openDataFile(file: string): number {
  try {
    return openSync(file, 'r');
  } catch {
    throw new Error(`Data file '${file}' not found; expected a CSV with a header row.`);
  }
}

import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Dataset, FeatureTable } from './dataset.js';
import { POW10, parseCellText, parseNumberBytes } from './number-bytes.js';

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
      // The columns nothing asked for are where a misspelt name usually is.
      const wantedSet = new Set(featureNames);
      const others = header.filter((h, i) => i !== targetIndex && !wantedSet.has(h));
      const listed = (names: string[]) =>
        `${names
          .slice(0, 12)
          .map((n) => `'${n}'`)
          .join(', ')}${names.length > 12 ? `, … (${names.length} in all)` : ''}`;
      throw new Error(
        `${file}: missing feature column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}; expected all of the ${featureNames.length} features${others.length > 0 ? `; the header's other columns: ${listed(others)}` : `; the header has ${listed(header)}`}.`,
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
        `${file} line ${lineNo}, column '${header[column]}': '${text.trim()}' is not a number; expected a finite decimal number such as -1.5 or 2e-3, or an empty cell, NA or NaN for a missing value.`,
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
          const v = parseCellText(cell.trim());
          if (v === undefined) throw cellError(lineNo, c, cell);
          x[base + s] = v;
        }
      });
      rows++;
    };

    // The general path, one line at a time: any line the fast path declines comes here.
    const slowLine = (buf: Buffer, start: number, end: number, lineNo: number): void => {
      if (end === start || (end === start + 1 && buf[start] === 13)) return;
      if (rows === capacity) grow();
      const base = rows * p;
      lineBytes = { buf, start, end };
      let column = 0;
      let cellStart = start;
      for (let i = start; i <= end; i++) {
        const byte = i < end ? buf[i] : 44;
        if (byte === 34) {
          quotedLine(buf, start, end, lineNo, base);
          return;
        }
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
            v = parseCellText(text);
            if (v === undefined) throw cellError(lineNo, column, text);
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
    };

    // The fast path: one pass over a line's bytes that parses each number as it finds its end,
    // with no strings and no second scan. It handles plain numbers (sign, digits, a point, an
    // exponent), empty cells and labels it has seen before; anything else (quotes, spaces, NA,
    // more than 15 significant digits, a new label, a ragged row) makes it return -1, and the
    // line is parsed again by slowLine, which gives the very same values or the error.
    const columnCount = header.length;
    // Labels as bytes, each with its id, so the rows' labels are compared without decoding.
    const labelBytes: Buffer[] = [];
    const labelByteIds: number[] = [];
    const fastLine = (buf: Buffer, start: number, limit: number, base: number): number => {
      // Locals, not the enclosing function's variables, in the hot loop: those are read through
      // its context on every use (x and rows change between lines, never within one).
      const out = x;
      const slots = slot;
      let i = start;
      for (let column = 0; ; column++) {
        const s = slots[column]!;
        let c = i < limit ? buf[i]! : 10;
        if (s >= 0) {
          const cellStart = i;
          let negative = false;
          if (c === 45) {
            negative = true;
            c = ++i < limit ? buf[i]! : 10;
          }
          let mantissa = 0;
          let digits = 0;
          let exponent = 0;
          let sawDigit = false;
          while (c >= 48 && c <= 57) {
            sawDigit = true;
            if (mantissa !== 0 || c !== 48) {
              if (++digits > 15) return -1;
              mantissa = mantissa * 10 + (c - 48);
            }
            c = ++i < limit ? buf[i]! : 10;
          }
          if (c === 46) {
            c = ++i < limit ? buf[i]! : 10;
            while (c >= 48 && c <= 57) {
              sawDigit = true;
              if (mantissa !== 0 || c !== 48) {
                if (++digits > 15) return -1;
                mantissa = mantissa * 10 + (c - 48);
              }
              exponent--;
              c = ++i < limit ? buf[i]! : 10;
            }
          }
          if (c === 101 || c === 69) {
            if (!sawDigit) return -1;
            c = ++i < limit ? buf[i]! : 10;
            let expNegative = false;
            if (c === 45 || c === 43) {
              expNegative = c === 45;
              c = ++i < limit ? buf[i]! : 10;
            }
            let e = 0;
            let expDigits = 0;
            while (c >= 48 && c <= 57) {
              e = e * 10 + (c - 48);
              if (e > 1000) return -1;
              expDigits++;
              c = ++i < limit ? buf[i]! : 10;
            }
            if (expDigits === 0) return -1;
            exponent += expNegative ? -e : e;
          }
          let value: number;
          if (!sawDigit) {
            // Only an empty cell is missing; a lone '-' or '.' is for slowLine to report.
            if (i !== cellStart) return -1;
            value = Number.NaN;
          } else if (mantissa === 0) value = 0;
          else if (exponent === 0) value = mantissa;
          else if (exponent > 0 && exponent <= 22) value = mantissa * POW10[exponent]!;
          else if (exponent < 0 && exponent >= -22) value = mantissa / POW10[-exponent]!;
          else return -1;
          out[base + s] = negative ? -value : value;
        } else if (s === -2) {
          const from = i;
          while (c !== 44 && c !== 10 && c !== 13 && c !== 34) c = ++i < limit ? buf[i]! : 10;
          if (c === 34) return -1;
          // Decline before recording anything unless the cell ends where a cell may: a CR not
          // followed by LF is part of the label ('n\ro'), and setLabel on its prefix would leave
          // slowLine a phantom class 'n' to trip over.
          const last = column === columnCount - 1;
          if (c === 44 ? last : !last || (c === 13 && (i + 1 < limit ? buf[i + 1]! : 10) !== 10))
            return -1;
          const length = i - from;
          let id = -1;
          for (let k = 0; k < labelBytes.length && id < 0; k++) {
            const label = labelBytes[k]!;
            if (label.length !== length) continue;
            let same = true;
            for (let b = 0; b < length && same; b++) same = buf[from + b] === label[b];
            if (same) id = k;
          }
          if (id < 0) {
            // A label not seen yet, or one with spaces around it: decode it the general way.
            setLabel(buf.toString('utf8', from, i).trim(), lineNumber);
            const known = y[rows]!;
            if (!labelByteIds.includes(known)) {
              labelBytes.push(Buffer.from(labelNames[known]!));
              labelByteIds.push(known);
            }
          } else y[rows] = labelByteIds[id]!;
        } else {
          while (c !== 44 && c !== 10 && c !== 13) {
            if (c === 34) return -1;
            c = ++i < limit ? buf[i]! : 10;
          }
        }
        // A cell ends at a comma before the last column and at the end of the line after it.
        if (column === columnCount - 1) {
          if (c === 13) c = ++i < limit ? buf[i]! : 10;
          return c === 10 ? i : -1;
        }
        if (c !== 44) return -1;
        i++;
      }
    };

    let lineNumber = 1;
    readLines(lines.rest, hash, (buf, stop, eof) => {
      let start = 0;
      while (start < stop) {
        lineNumber++;
        const first = buf[start];
        if (first !== 10 && first !== 13) {
          if (rows === capacity) grow();
          const end = fastLine(buf, start, stop, rows * p);
          if (end >= 0) {
            rows++;
            start = end + 1;
            continue;
          }
        }
        let nl = buf.indexOf(10, start);
        if (nl < 0 || nl >= stop) nl = stop;
        slowLine(buf, start, nl > start && buf[nl - 1] === 13 ? nl - 1 : nl, lineNumber);
        start = nl + 1;
      }
      return eof ? stop : start;
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

/** Reads the first line as text; the rest of the file is scanned as bytes by readLines. */
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
 * Reads the rest of the file 1 MiB at a time and calls `onChunk(buffer, stop, eof)` with the
 * bytes up to `stop`, which ends just after a newline (or at the end of the file), so every line
 * in it is whole. `onChunk` returns how far it consumed; the rest moves to the front for the next
 * read. Bytes are never decoded to strings here: the hot loop of a million-row load.
 */
function readLines(
  rest: HeaderRead['rest'],
  hash: Hash,
  onChunk: (buf: Buffer, stop: number, eof: boolean) => number,
): void {
  let buffer = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, rest.pending.length * 2));
  rest.pending.copy(buffer, 0);
  let filled = rest.pending.length;
  let eof = false;
  while (!eof) {
    if (filled === buffer.length) {
      // A line longer than the buffer: read on into a bigger one.
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, filled);
      buffer = bigger;
    }
    const n = readSync(rest.fd, buffer, filled, buffer.length - filled, null);
    hash.update(buffer.subarray(filled, filled + n));
    if (n === 0) eof = true;
    filled += n;
    const stop = eof ? filled : buffer.lastIndexOf(10, filled - 1) + 1;
    if (stop === 0) continue;
    const consumed = onChunk(buffer, stop, eof);
    buffer.copy(buffer, 0, consumed, filled);
    filled -= consumed;
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
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A relative path is the current directory's (the repository's root in CI), not the config
    // file's: say where it looked.
    const where = isAbsolute(file)
      ? ''
      : ` (looked for ${resolve(file)}: paths are relative to the directory oncoclear runs in)`;
    if (code === 'ENOENT')
      throw new Error(`Data file '${file}' not found${where}; expected a CSV with a header row.`);
    throw new Error(
      `Data file '${file}' cannot be read (${code ?? String(error)})${where}; expected a readable CSV file.`,
    );
  }
  // Linux opens a directory for reading; the read would fail with a bare EISDIR.
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new Error(`Data file '${file}' is a directory; expected a CSV file.`);
  }
  return fd;
}

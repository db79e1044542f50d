import { createHash, createHmac, hash } from 'node:crypto';
import { endianness } from 'node:os';
import { fdWriter } from './node/fd-writer.js';
import type { ServedModel } from './served-model.js';

/** Where audit lines go. `write` takes one complete line (with its newline). */
export interface AuditSink {
  write(line: string): void;
  /** Pushes anything buffered out now; called on shutdown. */
  flush(): void;
}

/**
 * Linux's PIPE_BUF: a write of at most this many bytes to a pipe is never split or interleaved
 * with another process's write (POSIX guarantees at least 512; Linux gives 4096).
 */
export const PIPE_BUF = 4096;

/**
 * How long an audit line may wait in memory before it is written. Under load a flush per
 * event-loop turn was a write syscall for every request or two (issue 15 measured ~1.7 µs of each
 * /predict); a few milliseconds gather hundreds of lines into one write, and an idle server still
 * writes each line within this bound. Shutdown flushes whatever is left before the process exits.
 */
export const AUDIT_FLUSH_MS = 5;

/** How {@link bufferedSink} writes; every field has a default. */
export interface BufferedSinkOptions {
  /** Takes a chunk of whole lines; by default stdout (service/node/fd-writer.ts). */
  write?: (chunk: string) => void;
  /** Flush at once when this many characters are waiting. */
  maxBytes?: number;
  /**
   * Cluster workers sharing one stdout: cut a flush at line ends into writes of at most this many
   * bytes, so no two processes' lines can interleave in a pipe (a single longer line, which none
   * is even with --log-inputs, still goes out whole, alone).
   */
  atomicChunkBytes?: number;
  flushMs?: number;
  /**
   * The process (or a stand-in): lines still waiting go out on its 'exit', which an uncaught
   * error and a cluster worker whose primary went away (it calls process.exit) both emit. The
   * default writer is synchronous, so they are out before the process is.
   */
  exiting?: Pick<NodeJS.EventEmitter, 'once'>;
  /**
   * Called, instead of throwing from a timer, when `write` fails (fd-writer throws only when the
   * stream cannot take lines at all: its reader has gone). `lines` is how many lines of the flush
   * were not written; `atExit` says the flush was the one on the process's 'exit', which is
   * already ending for a reason of its own. serve stops the process here (service/serve.ts).
   */
  onWriteError?: (error: unknown, lines: number, atExit: boolean) => void;
}

/**
 * Batches lines and writes them at most {@link AUDIT_FLUSH_MS} after the first of them (or at
 * once when 64 KiB pile up). The writes are synchronous (service/node/fd-writer.ts: a full pipe
 * is waited for, not queued), so one write per request would cost a syscall each on the hot path.
 */
export function bufferedSink(options: BufferedSinkOptions = {}): AuditSink {
  const {
    write = fdWriter(1),
    maxBytes = 64 * 1024,
    atomicChunkBytes,
    flushMs = AUDIT_FLUSH_MS,
    onWriteError,
  } = options;
  let buffer = '';
  let timer: NodeJS.Timeout | null = null;
  const flush = (atExit = false) => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (!buffer) return;
    const chunk = buffer;
    buffer = '';
    const pieces =
      atomicChunkBytes === undefined ? [chunk] : wholeLineChunks(chunk, atomicChunkBytes);
    for (let i = 0; i < pieces.length; i++) {
      try {
        write(pieces[i]!);
      } catch (error) {
        if (!onWriteError) throw error;
        return onWriteError(error, countLines(pieces.slice(i)), atExit);
      }
    }
  };
  options.exiting?.once('exit', () => flush(true));
  return {
    write(line) {
      buffer += line;
      if (buffer.length >= maxBytes) flush();
      else timer ??= setTimeout(flush, flushMs);
    },
    flush: () => flush(),
  };
}

/** Newlines in `pieces`: each audit line ends with one. */
function countLines(pieces: string[]): number {
  let lines = 0;
  for (const piece of pieces)
    for (let i = piece.indexOf('\n'); i !== -1; i = piece.indexOf('\n', i + 1)) lines++;
  return lines;
}

/**
 * `text` (complete lines) cut at line ends into pieces of at most `maxBytes` UTF-8 bytes each,
 * except that a line longer than that is a piece of its own.
 */
export function wholeLineChunks(text: string, maxBytes: number): string[] {
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  let lineStart = 0;
  while (lineStart < text.length) {
    const end = text.indexOf('\n', lineStart) + 1 || text.length;
    const lineBytes = Buffer.byteLength(text.slice(lineStart, end));
    if (bytes > 0 && bytes + lineBytes > maxBytes) {
      pieces.push(text.slice(start, lineStart));
      start = lineStart;
      bytes = 0;
    }
    bytes += lineBytes;
    lineStart = end;
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

/** Collects lines in memory; for tests. */
export function memorySink(): AuditSink & { lines: string[]; records(): unknown[] } {
  const lines: string[] = [];
  return {
    lines,
    write: (line) => void lines.push(line),
    flush: () => {},
    records: () => lines.map((l) => JSON.parse(l) as unknown),
  };
}

// One-shot crypto.hash (Node ≥ 20.12) skips the Hash object; it is several times faster for the
// small inputs here. Older runtimes fall back to createHash.
// Digests as strings: a 'binary' (latin1) string is the digest's bytes one char each, and writing it into a
// buffer is cheaper than the Buffer that 'buffer' output allocates (0.65 µs against 1.2–1.5 µs for
// the whole fingerprint, measured on Node 24).
const sha256: (bytes: Uint8Array, encoding: 'hex' | 'binary') => string =
  typeof hash === 'function'
    ? (bytes, encoding) => hash('sha256', bytes, encoding)
    : (bytes, encoding) => createHash('sha256').update(bytes).digest(encoding);

/** Shortest key the fingerprint takes: 128 bits, so a key cannot be guessed in its place. */
export const AUDIT_KEY_MIN_BYTES = 16;
/** SHA-256's block size, which HMAC pads its key to. */
const BLOCK = 64;

/**
 * Fingerprints input rows for audit lines: HMAC-SHA256 under a key, of the row's values as
 * little-endian IEEE-754 float64s in the model's feature order (240 bytes for 30 features).
 *
 * Keyed, because a plain hash of a few measurements is the measurements: clinical features have
 * so few plausible values (an age, a count, a reading to one decimal) that a log reader can hash
 * every candidate row and find the one that matches, millions a second. Under a key only its
 * holder can: the same row under the same key gives the same fingerprint, so repeated inputs are
 * found and a known input is checked against a line (`openssl dgst -sha256 -mac HMAC`), without the
 * measurements in the log. Hashing the binary row makes it independent of how the client
 * formatted the numbers or whether it sent an object or an array.
 *
 * The value is `hmac-sha256:<key id>:<hex>`; the key id ({@link auditKeyId}) says which key made
 * it, so lines from different keys are not compared by mistake.
 * The HMAC is the standard one (RFC 2104), computed with two one-shot hashes over the padded key
 * made once here: 0.65 µs for a row against 1.6 µs for a Hmac object per request (Node 24).
 */
export function inputFingerprinter(key: Uint8Array): (row: Float64Array) => string {
  if (key.length < AUDIT_KEY_MIN_BYTES)
    throw new Error(
      `the audit key has ${key.length} bytes; expected at least ${AUDIT_KEY_MIN_BYTES} (e.g. 32 from 'openssl rand -out FILE 32')`,
    );
  const block = key.length > BLOCK ? Buffer.from(sha256(key, 'binary'), 'binary') : key;
  const inner = Buffer.alloc(BLOCK);
  const outer = Buffer.alloc(BLOCK + 32);
  for (let i = 0; i < BLOCK; i++) {
    inner[i] = (block[i] ?? 0) ^ 0x36;
    outer[i] = (block[i] ?? 0) ^ 0x5c;
  }
  const prefix = `hmac-sha256:${auditKeyId(key)}:`;
  // The inner message is the padded key then the row; reused, since nothing awaits in between.
  let message = Buffer.alloc(BLOCK + 30 * 8);
  inner.copy(message);
  return (row) => {
    const bytes = LITTLE_ENDIAN
      ? new Uint8Array(row.buffer, row.byteOffset, row.byteLength)
      : toLittleEndian(row);
    if (message.length !== BLOCK + bytes.length) {
      message = Buffer.alloc(BLOCK + bytes.length);
      inner.copy(message);
    }
    message.set(bytes, BLOCK);
    outer.write(sha256(message, 'binary'), BLOCK, 'binary');
    return prefix + sha256(outer, 'hex');
  };
}

/**
 * Which key made a fingerprint: the first 8 hex digits of HMAC-SHA256(key, "oncoclear audit key
 * id"). Not the key's own sha256: for a key longer than a block, that is the very key HMAC uses.
 */
export function auditKeyId(key: Uint8Array): string {
  return createHmac('sha256', key).update(KEY_ID_MESSAGE).digest('hex').slice(0, 8);
}

const KEY_ID_MESSAGE = 'oncoclear audit key id';

const LITTLE_ENDIAN = endianness() === 'LE';

function toLittleEndian(row: Float64Array): Uint8Array {
  const view = new DataView(new ArrayBuffer(row.length * 8));
  for (let i = 0; i < row.length; i++) view.setFloat64(i * 8, row[i]!, true);
  return new Uint8Array(view.buffer);
}

/** Model identity repeated on every self-contained line. */
interface ModelFields {
  model: { name: string; version: string; sha256: string };
  lineage: { commit: string | null; dataSha256: string };
}

function modelFields(model: ServedModel): ModelFields {
  return {
    model: { name: model.name, version: model.version, sha256: model.sha256 },
    lineage: {
      commit: model.artifact.lineage.commit,
      dataSha256: model.artifact.lineage.dataSha256,
    },
  };
}

/**
 * The audit record of a single-row request (`POST /predict`): one self-contained line. See
 * service/README.md for the format.
 */
export interface AuditRecord extends ModelFields {
  type: 'prediction';
  id: string;
  time: string;
  endpoint: string;
  /** The row's keyed fingerprint ({@link inputFingerprinter}). */
  inputFingerprint: string;
  /** Raw measurements in the model's feature order; only with --log-inputs / LOG_INPUTS=1. */
  input?: number[];
  output: { label: string; probabilities: Record<string, number> };
  /** Present (true) when the client asked for an explanation; the explanation is never logged. */
  explained?: true;
  latencyMs: number;
}

/** The request line of a multi-row request (batch, OIP): everything its rows share, once. */
export interface RequestAuditRecord extends ModelFields {
  type: 'request';
  /** Server-generated and unique; each row line points at it as `request.id`. */
  id: string;
  /** The client's own OIP `id`, if it sent one (at most 256 characters; not unique). */
  clientId?: string;
  time: string;
  endpoint: string;
  rows: number;
  explained?: true;
  latencyMs: number;
}

/** One row of a multi-row request: the prediction's id, fingerprint and output only. */
export interface RowAuditRecord {
  type: 'prediction';
  id: string;
  request: { id: string; row: number };
  inputFingerprint: string;
  input?: number[];
  output: { label: string; probabilities: Record<string, number> };
}

/**
 * The JSON of the model fields of a single-row line, `"model":{…},"lineage":{…}`, made once per
 * model: the audit line is built around it by concatenation rather than by stringifying a new
 * record per request (a prototype for issue 15 measured 0.42 µs against 2.2 µs), same bytes.
 */
const modelJson = new WeakMap<ServedModel, string>();

function modelFieldsJson(model: ServedModel): string {
  let json = modelJson.get(model);
  if (json === undefined) {
    const { model: m, lineage } = modelFields(model);
    json = `"model":${JSON.stringify(m)},"lineage":${JSON.stringify(lineage)}`;
    modelJson.set(model, json);
  }
  return json;
}

/**
 * Serialises a single-row audit record; key order is fixed so lines diff and grep cleanly. The
 * bytes are `JSON.stringify` of the {@link AuditRecord} in that order (a test holds it to that).
 */
export function auditLine(
  model: ServedModel,
  fields: Omit<AuditRecord, 'type' | 'model' | 'lineage'>,
): string {
  const input = fields.input ? `,"input":${JSON.stringify(fields.input)}` : '';
  const explained = fields.explained ? ',"explained":true' : '';
  return (
    `{"type":"prediction","id":${JSON.stringify(fields.id)},"time":${JSON.stringify(fields.time)},` +
    `"endpoint":${JSON.stringify(fields.endpoint)},${modelFieldsJson(model)},` +
    `"inputFingerprint":${JSON.stringify(fields.inputFingerprint)}${input},` +
    `"output":${JSON.stringify(fields.output)}${explained},` +
    `"latencyMs":${JSON.stringify(fields.latencyMs)}}\n`
  );
}

/** Serialises the request line of a multi-row request. */
export function requestAuditLine(
  model: ServedModel,
  fields: Omit<RequestAuditRecord, 'type' | 'model' | 'lineage'>,
): string {
  const { model: m, lineage } = modelFields(model);
  const record: RequestAuditRecord = {
    type: 'request',
    id: fields.id,
    ...(fields.clientId !== undefined ? { clientId: fields.clientId } : {}),
    time: fields.time,
    endpoint: fields.endpoint,
    model: m,
    lineage,
    rows: fields.rows,
    ...(fields.explained ? { explained: true as const } : {}),
    latencyMs: fields.latencyMs,
  };
  return `${JSON.stringify(record)}\n`;
}

/** Serialises one row line of a multi-row request. */
export function rowAuditLine(fields: Omit<RowAuditRecord, 'type'>): string {
  const record: RowAuditRecord = {
    type: 'prediction',
    id: fields.id,
    request: fields.request,
    inputFingerprint: fields.inputFingerprint,
    ...(fields.input ? { input: fields.input } : {}),
    output: fields.output,
  };
  return `${JSON.stringify(record)}\n`;
}

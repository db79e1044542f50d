import { createHash, hash } from 'node:crypto';
import { endianness } from 'node:os';
import type { ServedModel } from './served-model.js';

/** Where audit lines go. `write` takes one complete line (with its newline). */
export interface AuditSink {
  write(line: string): void;
  /** Pushes anything buffered out now; called on shutdown. */
  flush(): void;
}

/**
 * Batches lines and writes them once per event-loop turn (or when 64 KiB pile up). Writes to a
 * pipe or file are synchronous on Linux, so one write per request would cost a syscall each on
 * the hot path; batching keeps that off it while still flushing within a millisecond or so.
 */
export function bufferedSink(
  write: (chunk: string) => void = (chunk) => process.stdout.write(chunk),
  maxBytes = 64 * 1024,
): AuditSink {
  let buffer = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!buffer) return;
    const chunk = buffer;
    buffer = '';
    write(chunk);
  };
  return {
    write(line) {
      buffer += line;
      if (buffer.length >= maxBytes) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
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
const sha256Hex: (bytes: Uint8Array) => string =
  typeof hash === 'function'
    ? (bytes) => hash('sha256', bytes, 'hex')
    : (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * Fingerprint of one input row: sha256 of its values as little-endian IEEE-754 float64s in the
 * model's feature order (240 bytes for 30 features). Hashing the binary row rather than a JSON
 * rendering keeps it cheap on the hot path and makes it independent of how the client formatted
 * the numbers or whether it sent an object or an array, so repeated inputs can be found without
 * logging the measurements themselves.
 */
export function inputFingerprint(row: Float64Array): string {
  return `sha256:${sha256Hex(LITTLE_ENDIAN ? new Uint8Array(row.buffer, row.byteOffset, row.byteLength) : toLittleEndian(row))}`;
}

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
  inputSha256: string;
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
  inputSha256: string;
  input?: number[];
  output: { label: string; probabilities: Record<string, number> };
}

/** Serialises a single-row audit record; key order is fixed so lines diff and grep cleanly. */
export function auditLine(
  model: ServedModel,
  fields: Omit<AuditRecord, 'type' | 'model' | 'lineage'>,
): string {
  const { model: m, lineage } = modelFields(model);
  const record: AuditRecord = {
    type: 'prediction',
    id: fields.id,
    time: fields.time,
    endpoint: fields.endpoint,
    model: m,
    lineage,
    inputSha256: fields.inputSha256,
    ...(fields.input ? { input: fields.input } : {}),
    output: fields.output,
    ...(fields.explained ? { explained: true as const } : {}),
    latencyMs: fields.latencyMs,
  };
  return `${JSON.stringify(record)}\n`;
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
    inputSha256: fields.inputSha256,
    ...(fields.input ? { input: fields.input } : {}),
    output: fields.output,
  };
  return `${JSON.stringify(record)}\n`;
}

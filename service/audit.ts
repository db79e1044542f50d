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

/** The audit record of one prediction; see service/README.md for the format. */
export interface AuditRecord {
  type: 'prediction';
  id: string;
  time: string;
  endpoint: string;
  /** For batch and OIP requests: the request id and the row's index in it. */
  request?: { id: string; row: number };
  model: { name: string; version: string; sha256: string };
  lineage: { commit: string | null; dataSha256: string };
  inputSha256: string;
  /** Raw measurements in the model's feature order; only with --log-inputs / LOG_INPUTS=1. */
  input?: number[];
  output: { label: string; probabilities: Record<string, number> };
  latencyMs: number;
}

/** Serialises an audit record as one line; key order is fixed so lines diff and grep cleanly. */
export function auditLine(
  model: ServedModel,
  fields: Omit<AuditRecord, 'type' | 'model' | 'lineage'>,
): string {
  const record: AuditRecord = {
    type: 'prediction',
    id: fields.id,
    time: fields.time,
    endpoint: fields.endpoint,
    ...(fields.request ? { request: fields.request } : {}),
    model: { name: model.name, version: model.version, sha256: model.sha256 },
    lineage: {
      commit: model.artifact.lineage.commit,
      dataSha256: model.artifact.lineage.dataSha256,
    },
    inputSha256: fields.inputSha256,
    ...(fields.input ? { input: fields.input } : {}),
    output: fields.output,
    latencyMs: fields.latencyMs,
  };
  return `${JSON.stringify(record)}\n`;
}

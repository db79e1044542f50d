import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  auditLine,
  bufferedSink,
  PIPE_BUF,
  wholeLineChunks,
} from '../../service/audit.js';
import { fileSource } from '../../service/served-model.js';
import { trainFixture } from './fixture.js';

const fx = trainFixture();
afterAll(() => fx.cleanup());

/** The documented record, stringified the plain way: what the template must reproduce. */
function reference(
  model: ReturnType<ReturnType<typeof fileSource>['load']>,
  fields: Omit<AuditRecord, 'type' | 'model' | 'lineage'>,
): string {
  const record: AuditRecord = {
    type: 'prediction',
    id: fields.id,
    time: fields.time,
    endpoint: fields.endpoint,
    model: { name: model.name, version: model.version, sha256: model.sha256 },
    lineage: {
      commit: model.artifact.lineage.commit,
      dataSha256: model.artifact.lineage.dataSha256,
    },
    inputFingerprint: fields.inputFingerprint,
    ...(fields.input ? { input: fields.input } : {}),
    output: fields.output,
    ...(fields.explained ? { explained: true as const } : {}),
    latencyMs: fields.latencyMs,
  };
  return `${JSON.stringify(record)}\n`;
}

describe('the pre-serialised audit line', () => {
  it('has the very bytes of JSON.stringify of the record, with and without optional fields', () => {
    const model = fileSource(fx.file).load();
    const base = {
      id: 'a"quoted\\id\u2028',
      time: '2026-12-01T12:00:00.000Z',
      endpoint: '/predict',
      inputFingerprint: `hmac-sha256:01234567:${'ab'.repeat(32)}`,
      output: { label: 'malignant', probabilities: { benign: 1e-7, malignant: 0.9999999 } },
      latencyMs: 0.123,
    };
    for (const fields of [
      base,
      { ...base, input: fx.rows[0]!, explained: true as const },
      {
        ...base,
        latencyMs: 12,
        output: { label: 'benign', probabilities: { benign: 1, malignant: 0 } },
      },
    ]) {
      expect(auditLine(model, fields)).toBe(reference(model, fields));
    }
    // The model fragment is cached per model: a second model gets its own.
    const other = { ...model, name: 'other', version: '9' };
    expect(auditLine(other, base)).toBe(reference(other, base));
  });
});

describe('bufferedSink for processes sharing one stdout', () => {
  it('cuts a flush at line ends into writes of at most PIPE_BUF bytes, losing nothing', () => {
    const writes: string[] = [];
    const sink = bufferedSink({
      write: (chunk) => writes.push(chunk),
      maxBytes: 64 * 1024,
      atomicChunkBytes: PIPE_BUF,
    });
    const lines = Array.from(
      { length: 500 },
      (_, i) => `${JSON.stringify({ i, pad: 'x'.repeat(i % 300) })}\n`,
    );
    for (const line of lines) sink.write(line);
    sink.flush();
    expect(writes.join('')).toBe(lines.join(''));
    expect(writes.length).toBeGreaterThan(1);
    for (const w of writes) {
      expect(Buffer.byteLength(w)).toBeLessThanOrEqual(PIPE_BUF);
      expect(w.endsWith('\n')).toBe(true);
    }
  });

  it('writes a line longer than the limit whole, on its own', () => {
    const long = `${'y'.repeat(5000)}\n`;
    expect(wholeLineChunks(`a\n${long}b\n`, 100)).toEqual(['a\n', long, 'b\n']);
    expect(wholeLineChunks('a\nb\n', 100)).toEqual(['a\nb\n']);
  });

  it('counts bytes, not characters', () => {
    const line = `${'é'.repeat(30)}\n`; // 61 bytes, 31 characters
    expect(wholeLineChunks(line.repeat(3), 122)).toEqual([line.repeat(2), line]);
  });
});

import { createHash, createHmac } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../service/app.js';
import {
  AUDIT_FLUSH_MS,
  auditKeyId,
  bufferedSink,
  inputFingerprinter,
  memorySink,
} from '../../service/audit.js';
import { createModelHolder } from '../../service/served-model.js';
import { COMMIT, json, loadFile, post, TEST_AUDIT_KEY, testApp, trainFixture } from './fixture.js';

const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);
const inputFingerprint = inputFingerprinter(TEST_AUDIT_KEY);

interface Line {
  type: string;
  id: string;
  time: string;
  endpoint: string;
  request?: { id: string; row: number };
  model: { name: string; version: string; sha256: string };
  lineage: { commit: string | null; dataSha256: string };
  inputFingerprint: string;
  input?: number[];
  output: { label: string; probabilities: Record<string, number> };
  latencyMs: number;
}

describe('inputFingerprinter', () => {
  const bytesOf = (row: Float64Array) => Buffer.from(row.buffer, row.byteOffset, row.byteLength);

  it('is RFC 2104 HMAC-SHA256 of the little-endian row, under short and long keys', () => {
    for (const key of [TEST_AUDIT_KEY, Buffer.alloc(64, 7), Buffer.alloc(100, 9)]) {
      const fingerprint = inputFingerprinter(key);
      for (const values of [fx.rows[0]!, fx.rows[1]!, [1, -0, 1e300], [42, 114.79, 6, 24]]) {
        const row = Float64Array.from(values);
        const hmac = createHmac('sha256', key).update(bytesOf(row)).digest('hex');
        expect(fingerprint(row)).toBe(`hmac-sha256:${auditKeyId(key)}:${hmac}`);
      }
    }
    expect(auditKeyId(TEST_AUDIT_KEY)).toBe(
      createHmac('sha256', TEST_AUDIT_KEY)
        .update('oncoclear audit key id')
        .digest('hex')
        .slice(0, 8),
    );
    // For a key longer than a block HMAC uses sha256(key) as its key: the id must not show it.
    const long = Buffer.alloc(100, 9);
    const effective = createHash('sha256').update(long).digest('hex');
    expect(effective.startsWith(auditKeyId(long))).toBe(false);
  });

  it('is not the plain sha256 a log reader could recompute from guessed rows, and differs by key', () => {
    // The trial that found it: 4 low-entropy features, recovered by brute force in 0.36 s.
    const row = Float64Array.from([42, 114.79, 6, 24]);
    const plain = createHash('sha256').update(bytesOf(row)).digest('hex');
    const a = inputFingerprinter(TEST_AUDIT_KEY)(row);
    const b = inputFingerprinter(Buffer.alloc(32, 1))(row);
    expect(a).not.toContain(plain);
    expect(b).not.toBe(a);
  });

  it('refuses a key shorter than 16 bytes, saying how to make one', () => {
    expect(() => inputFingerprinter(Buffer.from('short'))).toThrow(
      "the audit key has 5 bytes; expected at least 16 (e.g. 32 from 'openssl rand -out FILE 32')",
    );
  });
});

describe('audit log', () => {
  it('writes one JSON line per prediction with model, lineage, fingerprint and output', async () => {
    const { app, audit, clock } = testApp(model);
    const res = await json(post(app, '/predict', { features: fx.named(0) }));
    expect(audit.lines).toHaveLength(1);
    expect(audit.lines[0]!.endsWith('\n')).toBe(true);
    expect(audit.lines[0]!.slice(0, -1)).not.toContain('\n');
    const line = audit.records()[0] as Line;
    expect(line).toEqual({
      type: 'prediction',
      id: res.predictionId,
      time: new Date(clock.now()).toISOString(),
      endpoint: '/predict',
      model: { name: 'oncoclear', version: model.version, sha256: model.sha256 },
      lineage: { commit: COMMIT, dataSha256: fx.artifact.lineage.dataSha256 },
      inputFingerprint: inputFingerprint(Float64Array.from(fx.rows[0]!)),
      output: { label: res.label, probabilities: res.probabilities },
      latencyMs: 0,
    });
  });

  it('does not log raw measurements by default', async () => {
    const { app, audit } = testApp(model);
    await post(app, '/predict', { features: fx.rows[0] });
    const text = audit.lines.join('');
    expect(text).not.toContain('"input"');
    // No measurement value appears in the line (values with 4+ significant digits are distinctive).
    for (const v of fx.rows[0]!.filter((x) => String(x).length >= 5))
      expect(text).not.toContain(String(v));
  });

  it('logs raw measurements in feature order when configured', async () => {
    const { app, audit } = testApp(model, { logInputs: true });
    await post(app, '/predict', { features: fx.named(1) });
    expect((audit.records()[0] as Line).input).toEqual(fx.rows[1]);
  });

  it('fingerprints the same measurements identically in either request form', async () => {
    const { app, audit } = testApp(model);
    await post(app, '/predict', { features: fx.named(2) });
    await post(app, '/predict', { features: fx.rows[2] });
    await post(app, '/predict', { features: fx.rows[3] });
    const [a, b, c] = audit.records() as Line[];
    expect(a!.inputFingerprint).toMatch(/^hmac-sha256:[0-9a-f]{8}:[0-9a-f]{64}$/);
    expect(a!.inputFingerprint).toBe(b!.inputFingerprint);
    expect(c!.inputFingerprint).not.toBe(a!.inputFingerprint);
  });

  it('writes a batch as one request line plus one compact line per row that points at it', async () => {
    const { app, audit, clock } = testApp(model);
    const res = await json(post(app, '/predict/batch', { instances: fx.rows.slice(0, 3) }));
    const [request, ...rows] = audit.records() as Record<string, unknown>[];
    expect(request).toEqual({
      type: 'request',
      id: expect.any(String),
      time: new Date(clock.now()).toISOString(),
      endpoint: '/predict/batch',
      model: { name: 'oncoclear', version: model.version, sha256: model.sha256 },
      lineage: { commit: COMMIT, dataSha256: fx.artifact.lineage.dataSha256 },
      rows: 3,
      latencyMs: 0,
    });
    expect(rows).toEqual(
      res.predictions.map((p: { predictionId: string; label: string }, i: number) => ({
        type: 'prediction',
        id: p.predictionId,
        request: { id: request!.id, row: i },
        inputFingerprint: inputFingerprint(Float64Array.from(fx.rows[i]!)),
        output: { label: p.label, probabilities: expect.any(Object) },
      })),
    );
  });

  it('a batch refused with 422 for any row writes no audit line and counts no prediction', async () => {
    const { app, audit, metrics } = testApp(model);
    // Row 2 passes the schema and the feature names but cannot be scored (∞ − ∞ = NaN).
    const { coefficients } = fx.artifact.model;
    const { scale } = fx.artifact.preprocessing;
    const pos = coefficients.findIndex((w, j) => w > 0 && scale[j]! < 1);
    const neg = coefficients.findIndex((w, j) => w < 0 && scale[j]! < 1);
    const bad = [...fx.rows[0]!];
    bad[pos] = 1.7e308;
    bad[neg] = 1.7e308;
    const batch = await post(app, '/predict/batch', { instances: [fx.rows[0], fx.rows[1], bad] });
    expect(batch.status).toBe(422);
    const oip = await post(app, '/v2/models/oncoclear/infer', {
      inputs: [
        { name: 'x', shape: [3, 30], datatype: 'FP64', data: [fx.rows[0], fx.rows[1], bad] },
      ],
    });
    expect(oip.status).toBe(422);
    expect(audit.lines).toEqual([]);
    expect(await metrics.render()).not.toMatch(/^oncoclear_predictions_total\{/m);
  });

  it('keeps raw measurements out of batch lines by default', async () => {
    const { app, audit } = testApp(model);
    await post(app, '/predict/batch', { instances: fx.rows.slice(0, 2) });
    const text = audit.lines.join('');
    expect(text).not.toContain('"input"');
    for (const v of fx.rows[0]!.filter((x) => String(x).length >= 5))
      expect(text).not.toContain(String(v));
  });

  it('logs raw batch rows on their row lines when configured', async () => {
    const { app, audit } = testApp(model, { logInputs: true });
    await post(app, '/predict/batch', { instances: fx.rows.slice(0, 2) });
    const [request, ...rows] = audit.records() as { input?: number[] }[];
    expect(request).not.toHaveProperty('input');
    expect(rows.map((r) => r.input)).toEqual(fx.rows.slice(0, 2));
  });

  it('measures latency from the start of the request, in milliseconds', async () => {
    // Each monotonic() read moves time on by 2 ms: the middleware's start, then the prediction.
    let mono = 0;
    const audit = memorySink();
    const app = createApp({
      holder: createModelHolder(model),
      audit,
      clock: { now: () => 0, monotonic: () => (mono += 2) },
    });
    await post(app, '/predict', { features: fx.rows[0] });
    expect((audit.records()[0] as Line).latencyMs).toBe(2);
  });
});

describe('bufferedSink', () => {
  it('batches lines into one write within AUDIT_FLUSH_MS and flushes on demand', async () => {
    vi.useFakeTimers();
    try {
      const write = vi.fn();
      const sink = bufferedSink({ write });
      sink.write('a\n');
      vi.advanceTimersByTime(AUDIT_FLUSH_MS - 1);
      sink.write('b\n');
      expect(write).not.toHaveBeenCalled();
      // The bound runs from the first line waiting, not the last.
      vi.advanceTimersByTime(1);
      expect(write).toHaveBeenCalledTimes(1);
      expect(write).toHaveBeenCalledWith('a\nb\n');
      sink.write('c\n');
      sink.flush();
      expect(write).toHaveBeenLastCalledWith('c\n');
      // Nothing is left waiting, so the flushed line is not written twice.
      vi.advanceTimersByTime(AUDIT_FLUSH_MS * 2);
      expect(write).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes what is still waiting when the process exits', () => {
    const write = vi.fn();
    const exiting = new EventEmitter();
    const sink = bufferedSink({ write, flushMs: 60_000, exiting });
    sink.write('a\n');
    expect(write).not.toHaveBeenCalled();
    exiting.emit('exit', 0);
    expect(write).toHaveBeenCalledWith('a\n');
  });

  it('hands a failed write to onWriteError with the lines not written, instead of throwing', () => {
    const written: string[] = [];
    const failures: { error: unknown; lines: number; atExit: boolean }[] = [];
    const epipe = Object.assign(new Error('EPIPE: broken pipe, write'), { code: 'EPIPE' });
    // Whole-line chunks of at most 8 bytes: 'aaa\nbbb\n' goes out, then 'ccc\n' fails, and with
    // it 'ddd\n', which was never tried.
    const sink = bufferedSink({
      write: (chunk) => {
        if (written.length > 0) throw epipe;
        written.push(chunk);
      },
      atomicChunkBytes: 8,
      onWriteError: (error, lines, atExit) => failures.push({ error, lines, atExit }),
    });
    for (const line of ['aaa\n', 'bbb\n', 'ccc\n', 'ddd\n']) sink.write(line);
    sink.flush();
    expect(written).toEqual(['aaa\nbbb\n']);
    expect(failures).toEqual([{ error: epipe, lines: 2, atExit: false }]);
    // The flush on the process's 'exit' says so: the process is already ending for its own reason.
    const exiting = new EventEmitter();
    const atExit = bufferedSink({
      write: () => {
        throw epipe;
      },
      exiting,
      onWriteError: (error, lines, atExit) => failures.push({ error, lines, atExit }),
    });
    atExit.write('e\n');
    exiting.emit('exit', 0);
    expect(failures.at(-1)).toEqual({ error: epipe, lines: 1, atExit: true });
    // Without a handler the error is the caller's, as before.
    const bare = bufferedSink({
      write: () => {
        throw epipe;
      },
    });
    bare.write('x\n');
    expect(() => bare.flush()).toThrow(epipe);
  });

  it('writes at once when the buffer passes its size limit', () => {
    const write = vi.fn();
    const sink = bufferedSink({ write, maxBytes: 10 });
    sink.write('0123456789abc\n');
    expect(write).toHaveBeenCalledWith('0123456789abc\n');
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_PATH, parseServeOptions } from '../../service/options.js';

describe('serve options', () => {
  it('defaults to the baked-in model on 0.0.0.0:8000 without input logging', () => {
    expect(parseServeOptions([], {})).toEqual({
      source: { kind: 'file', file: DEFAULT_MODEL_PATH },
      port: 8000,
      host: '0.0.0.0',
      logInputs: false,
      maxBatchRows: 1000,
      maxBodyBytes: 1024 * 1024,
      watch: true,
    });
  });

  it('reads PORT, MODEL_PATH and LOG_INPUTS, with flags taking precedence', () => {
    const env = { PORT: '9000', MODEL_PATH: '/models/m.json', LOG_INPUTS: '1' };
    expect(parseServeOptions([], env)).toMatchObject({
      source: { kind: 'file', file: '/models/m.json' },
      port: 9000,
      logInputs: true,
    });
    expect(parseServeOptions(['--model', 'x.json', '--port', '0'], env)).toMatchObject({
      source: { kind: 'file', file: 'x.json' },
      port: 0,
    });
  });

  it('serves a registry, optionally naming the model', () => {
    expect(parseServeOptions(['--registry', 'reg', '--model-name', 'm'], {})!.source).toEqual({
      kind: 'registry',
      dir: 'reg',
      modelName: 'm',
    });
  });

  it('returns null for --help and rejects bad combinations and values', () => {
    expect(parseServeOptions(['--help'], {})).toBeNull();
    expect(() => parseServeOptions(['--model', 'a', '--registry', 'b'], {})).toThrow(/either/);
    expect(() => parseServeOptions(['--model-name', 'a'], {})).toThrow(/--registry/);
    expect(() => parseServeOptions(['--port', 'http'], {})).toThrow(/--port 'http'/);
    expect(() => parseServeOptions([], { PORT: '-1' })).toThrow(/--port/);
    expect(() => parseServeOptions(['--max-batch-rows', '0'], {})).toThrow(/--max-batch-rows/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MODEL_PATH,
  defaultMaxConnections,
  parseServeOptions,
  reusePortSupported,
} from '../../service/options.js';

describe('serve options', () => {
  it('defaults to the baked-in model on 0.0.0.0:8000 without input logging', () => {
    const machine = {
      exists: () => false,
      openFileLimit: () => 1024,
    };
    expect(parseServeOptions([], {}, machine)).toEqual({
      source: {
        kind: 'file',
        file: DEFAULT_MODEL_PATH,
        searched: ['/mnt/models/model.json', 'model/model.json'],
      },
      port: 8000,
      host: '0.0.0.0',
      logInputs: false,
      maxBatchRows: 1000,
      maxBodyBytes: 1024 * 1024,
      watch: true,
      drainMs: 5000,
      workers: 1,
      limits: {
        maxConnections: 900,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 5000,
      },
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

  it('honours the KServe custom-container contract: PORT, HOST, MODEL_NAME and a model at /mnt/models', () => {
    const mounted = {
      exists: (f: string) => f === '/mnt/models/model.json',
      openFileLimit: () => null,
    };
    expect(
      parseServeOptions([], { PORT: '8080', HOST: '::', MODEL_NAME: 'breast-cancer' }, mounted),
    ).toMatchObject({
      source: { kind: 'file', file: '/mnt/models/model.json' },
      port: 8080,
      host: '::',
      modelAlias: 'breast-cancer',
    });
    // MODEL_PATH and flags still win; without a mount the baked model is the default.
    expect(parseServeOptions([], { MODEL_PATH: '/m/x.json' }, mounted)!.source).toEqual({
      kind: 'file',
      file: '/m/x.json',
    });
    const bare = { exists: () => false, openFileLimit: () => null };
    expect(parseServeOptions([], {}, bare)!.source).toEqual({
      kind: 'file',
      file: DEFAULT_MODEL_PATH,
      searched: ['/mnt/models/model.json', 'model/model.json'],
    });
    expect(parseServeOptions(['--host', '127.0.0.1'], { HOST: '::' }, bare)!.host).toBe(
      '127.0.0.1',
    );
    expect(parseServeOptions([], { PORT: '' }, bare)!.port).toBe(8000);
    expect(() => parseServeOptions([], { MODEL_NAME: '../x' }, bare)).toThrow(/MODEL_NAME/);
  });

  it('reads the drain period and connection limits, and fits the cap under a low file limit', () => {
    const host = { exists: () => false, openFileLimit: () => 1024 };
    expect(parseServeOptions([], { DRAIN_MS: '0', MAX_CONNECTIONS: '50' }, host)).toMatchObject({
      drainMs: 0,
      limits: { maxConnections: 50 },
    });
    expect(
      parseServeOptions(
        ['--drain-ms', '20000', '--headers-timeout-ms', '2000', '--request-timeout-ms', '4000'],
        {},
        host,
      ),
    ).toMatchObject({
      drainMs: 20_000,
      limits: { headersTimeoutMs: 2000, requestTimeoutMs: 4000 },
    });
    expect(defaultMaxConnections(1024)).toBe(900);
    expect(defaultMaxConnections(65_536)).toBe(900);
    expect(defaultMaxConnections(256)).toBe(132);
    expect(() => parseServeOptions(['--max-connections', '0'], {}, host)).toThrow(
      /--max-connections/,
    );
    expect(() =>
      parseServeOptions(['--headers-timeout-ms', '5000', '--request-timeout-ms', '1000'], {}, host),
    ).toThrow(/exceeds --request-timeout-ms/);
  });

  it('runs one process unless --workers or WORKERS asks for more', () => {
    const host = { exists: () => false, openFileLimit: () => null };
    expect(parseServeOptions([], {}, host)!.workers).toBe(1);
    expect(parseServeOptions([], { WORKERS: '3' }, host)!.workers).toBe(3);
    expect(parseServeOptions(['--workers', '1'], { WORKERS: '3' }, host)!.workers).toBe(1);
    expect(() => parseServeOptions(['--workers', '0'], {}, host)).toThrow(
      "--workers '0' is not valid; expected an integer from 1 to 256.",
    );
  });
});

describe('reusePortSupported', () => {
  it('knows where each worker can have its own SO_REUSEPORT socket: Node 22.12+, on Linux', () => {
    expect(reusePortSupported('20.20.2', 'linux')).toBe(false);
    expect(reusePortSupported('22.11.0', 'linux')).toBe(false);
    expect(reusePortSupported('22.12.0', 'linux')).toBe(true);
    expect(reusePortSupported('24.22.3', 'linux')).toBe(true);
    expect(reusePortSupported('24.22.3', 'darwin')).toBe(false);
  });
});

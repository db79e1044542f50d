import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MODEL_PATH,
  defaultMaxConnections,
  oldSpaceCap,
  parseServeOptions,
  processMemoryLimit,
  reusePortSupported,
  type ServeHost,
} from '../../service/options.js';

/** A machine for the defaults: nothing mounted, no known limits, one CPU, unless told. */
function machine(over: Partial<ServeHost> = {}): ServeHost {
  return {
    exists: () => false,
    openFileLimit: () => null,
    cpus: () => 1,
    memoryLimit: () => null,
    reusePort: () => true,
    heapCap: () => null,
    ...over,
  };
}

describe('serve options', () => {
  it('defaults to the baked-in model on 0.0.0.0:8000 without input logging', () => {
    expect(parseServeOptions([], {}, machine({ openFileLimit: () => 1024 }))).toEqual({
      source: {
        kind: 'file',
        file: DEFAULT_MODEL_PATH,
        searched: ['/mnt/models/model.json', 'model/model.json'],
      },
      port: 8000,
      host: '0.0.0.0',
      logInputs: false,
      auditKeyFile: null,
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
    // The audit key file: the flag over AUDIT_KEY_FILE, an empty value unset.
    const keyed = { AUDIT_KEY_FILE: '/secrets/audit.key' };
    expect(parseServeOptions([], keyed)!.auditKeyFile).toBe('/secrets/audit.key');
    expect(parseServeOptions(['--audit-key-file', 'k'], keyed)!.auditKeyFile).toBe('k');
    expect(parseServeOptions([], { AUDIT_KEY_FILE: '' })!.auditKeyFile).toBeNull();
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
    const mounted = machine({ exists: (f: string) => f === '/mnt/models/model.json' });
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
    const bare = machine();
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
    const host = machine({ openFileLimit: () => 1024 });
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

  it('runs one server process per CPU it may use, as many as its memory limit holds, unless told', () => {
    const twoCpus = machine({ cpus: () => 2 });
    expect(parseServeOptions([], {}, twoCpus)!.workers).toBe(2);
    // A 256 MiB pod holds one; 1 GiB holds six, but four CPUs run four.
    const pod = (cpus: number, mib: number) =>
      machine({ cpus: () => cpus, memoryLimit: () => mib * 1024 * 1024 });
    expect(parseServeOptions([], {}, pod(2, 256))!.workers).toBe(1);
    expect(parseServeOptions([], {}, pod(4, 1024))!.workers).toBe(4);
    expect(parseServeOptions([], {}, pod(16, 1024))!.workers).toBe(6); // 160 MiB each
    // Even a limit below one process's share runs one.
    expect(parseServeOptions([], {}, pod(2, 64))!.workers).toBe(1);
    // A heap cap is budgeted with what a process holds beside its old space (128 MiB): 192 MiB
    // makes 320 MiB a process, so 1 GiB holds three; a cap under 32 MiB leaves the 160.
    const capped = (cpus: number, mib: number, capMib: number) =>
      machine({
        cpus: () => cpus,
        memoryLimit: () => mib * 1024 * 1024,
        heapCap: () => capMib * 1024 * 1024,
      });
    expect(parseServeOptions([], {}, capped(8, 1024, 192))!.workers).toBe(3);
    expect(parseServeOptions([], {}, capped(8, 512, 192))!.workers).toBe(1);
    expect(parseServeOptions([], {}, capped(8, 1024, 16))!.workers).toBe(6);
    // Without a memory limit the cap does not matter: one per CPU.
    expect(
      parseServeOptions([], {}, machine({ cpus: () => 4, heapCap: () => 2 ** 30 }))!.workers,
    ).toBe(4);
    // Without a socket per worker (Node before 22.12, or not Linux): one.
    expect(
      parseServeOptions([], {}, machine({ cpus: () => 8, reusePort: () => false }))!.workers,
    ).toBe(1);
    const host = twoCpus;
    expect(parseServeOptions([], { WORKERS: '3' }, host)!.workers).toBe(3);
    expect(parseServeOptions(['--workers', '1'], { WORKERS: '3' }, host)!.workers).toBe(1);
    expect(() => parseServeOptions(['--workers', '0'], {}, host)).toThrow(
      "--workers '0' is not valid; expected an integer from 1 to 256.",
    );
  });
});

describe('oldSpaceCap', () => {
  const MiB = 1024 * 1024;
  it('reads --max-old-space-size from NODE_OPTIONS and the command line, the command line last', () => {
    expect(oldSpaceCap([], '')).toBeNull();
    expect(oldSpaceCap([], undefined)).toBeNull();
    expect(oldSpaceCap([], '--enable-source-maps --max-old-space-size=192')).toBe(192 * MiB);
    expect(oldSpaceCap(['--max-old-space-size=512'], '--max-old-space-size=192')).toBe(512 * MiB);
    // V8's other spellings: underscores, and the value as the next word.
    expect(oldSpaceCap(['--max_old_space_size=64'])).toBe(64 * MiB);
    expect(oldSpaceCap([], '  --max-old-space-size 96 --trace-gc')).toBe(96 * MiB);
    // Other flags, and a value that is no size, set nothing.
    expect(oldSpaceCap(['--max-semi-space-size=64', '--max-old-space-size=x'])).toBeNull();
  });
});

describe('processMemoryLimit', () => {
  it('reads no limit from Node 20’s huge answer or Node 22’s 0, and a cgroup limit as it is', () => {
    expect(processMemoryLimit(18446744073709552000)).toBeNull();
    expect(processMemoryLimit(0)).toBeNull();
    expect(processMemoryLimit(undefined)).toBeNull();
    expect(processMemoryLimit(268_435_456)).toBe(268_435_456);
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

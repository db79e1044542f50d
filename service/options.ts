import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { availableCpus } from '../src/util/cpu-limit.js';
import { DEFAULT_MAX_BATCH_ROWS, DEFAULT_MAX_BODY_BYTES } from './limits.js';

/**
 * Where to look for the model when neither --model nor MODEL_PATH names one, first match wins:
 * KServe's storage initializer mounts the model at /mnt/models, and an explicit per-deployment
 * mount should beat whatever the image baked in (relative to the working directory, /app there).
 * When none exists the last one is reported as missing.
 */
export const DEFAULT_MODEL_LOCATIONS = ['/mnt/models/model.json', 'model/model.json'] as const;
/** The image's baked model, the last of {@link DEFAULT_MODEL_LOCATIONS}. */
export const DEFAULT_MODEL_PATH = 'model/model.json';
export const DEFAULT_PORT = 8000;
export const DEFAULT_HOST = '0.0.0.0';
/**
 * Kubernetes removes a terminating pod from the Service's endpoints while it sends SIGTERM, and
 * kube-proxies and ingress controllers take a few seconds to notice; keep serving that long.
 * With the close grace below this fits well inside the default terminationGracePeriodSeconds (30).
 */
export const DEFAULT_DRAIN_MS = 5000;
/** Slowloris bound: a client must finish sending its headers within this (Node's default is 60 s). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** A whole request, body included, must arrive within this (Node's default is 300 s). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this (Node's default). */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5000;
/**
 * Connections served normally; beyond them only probes are answered (and everything else gets a
 * 503 with `Connection: close`). 900 leaves room under a 1024 file-descriptor limit for the
 * probe reserve and the process's own descriptors; a lower limit lowers the default.
 */
export const DEFAULT_MAX_CONNECTIONS = 900;
/** More server processes than this is a typo, not a machine. */
const MAX_WORKERS = 256;
/** Descriptors kept out of the connection cap: the probe reserve, stdio, libuv, the model file. */
const FD_HEADROOM = 124;

/**
 * Memory to allow each server process when sizing the default cluster: about 135 MB RSS measured
 * under a wrk flood on Node 24 with its default heap sizing, with headroom for a batch request's
 * buffers.
 */
const SERVER_PROCESS_BYTES = 160 * 1024 * 1024;
/**
 * What a process holds beside its old space, for a heap cap (`--max-old-space-size`) to be
 * budgeted by: about 82 MB of RSS outside V8's heap measured under a wrk flood on Node 24, and the
 * young generation's semi-spaces (up to 48 MiB on 64-bit). A cap only helps if the processes can
 * each reach it before the cgroup's limit kills them, so the cap sizes the default cluster.
 */
const OUTSIDE_OLD_SPACE_BYTES = 128 * 1024 * 1024;

export const SERVE_HELP = `Usage: oncoclear serve [--model FILE | --registry DIR [--model-name NAME]] [options]

Serves a model over HTTP: /predict, /predict/batch, /model, /health, /ready, /metrics,
/docs (Swagger UI), /openapi.json and the Open Inference Protocol v2 under /v2.
The model's sha256 is verified (registry checksum or .sha256 sidecar) before serving; a
mismatch refuses to start. When the file (or the registry's production.json) changes it is
reloaded and swapped in; a bad replacement keeps the old model serving and logs a warning, and in
registry mode the load is retried with backoff until the production version is served.

Options:
  --model FILE            model artifact (env MODEL_PATH; default: the first that exists of
                          ${DEFAULT_MODEL_LOCATIONS.join(', ')})
  --registry DIR          serve this registry's production version instead of a file
  --model-name NAME       model in the registry (default: its only model)
  --model-alias NAME      also serve the OIP routes under this name (env MODEL_NAME, as KServe's
                          InferenceService name); not the registry's model, see --model-name
  --port N                port (env PORT; default ${DEFAULT_PORT}; KServe passes 8080; 0 picks a free one)
  --host H                interface to bind (env HOST; default ${DEFAULT_HOST}; '::' for IPv6)
  --log-inputs            put raw measurements in audit lines (env LOG_INPUTS=1; default off)
  --audit-key-file FILE   key the audit lines' input fingerprints (HMAC-SHA256) with this file's
                          bytes, at least 16 (env AUDIT_KEY_FILE; e.g. a mounted Secret): the same
                          row then has the same fingerprint across restarts and replicas, and the
                          key's holder can check an input against a line (default: a random key
                          per start, so fingerprints match only within one run)
  --max-batch-rows N      rows allowed per batch/OIP request (default ${DEFAULT_MAX_BATCH_ROWS})
  --max-body-bytes N      request body limit (default ${DEFAULT_MAX_BODY_BYTES})
  --drain-ms N            on SIGTERM, fail readiness and keep serving this long before closing
                          the listener (env DRAIN_MS; default ${DEFAULT_DRAIN_MS}; SIGINT does not drain)
  --max-connections N     connections served normally, per server process; past them probes
                          are still answered and other requests get 503 with Connection: close
                          (env MAX_CONNECTIONS; default ${DEFAULT_MAX_CONNECTIONS}, lower when the open-file
                          limit is below 1024)
  --headers-timeout-ms N  time to receive a request's headers (default ${DEFAULT_HEADERS_TIMEOUT_MS})
  --request-timeout-ms N  time to receive a whole request (default ${DEFAULT_REQUEST_TIMEOUT_MS})
  --keep-alive-timeout-ms N  idle keep-alive connections close after this (default ${DEFAULT_KEEP_ALIVE_TIMEOUT_MS};
                          behind an L7 proxy, set it above the proxy's idle timeout)
  --workers N             server processes sharing the port (env WORKERS; default: one per CPU
                          the process may use, its cgroup quota included, as many as its memory
                          limit holds at ${SERVER_PROCESS_BYTES / 1024 / 1024} MiB each, or at a --max-old-space-size
                          heap cap + ${OUTSIDE_OLD_SPACE_BYTES / 1024 / 1024} MiB if more; 1 before Node 22.12 or off
                          Linux, where workers cannot each have an SO_REUSEPORT socket)
  --no-watch              do not reload the model when its file changes
  -h, --help              show this help

Audit: one JSON line per prediction on stdout. Logs: JSON lines on stderr.
`;

/** An audit fingerprint key, base64, and where it came from. */
export interface ResolvedAuditKey {
  key: string;
  source: 'file' | 'random';
}

/** Socket-level limits of the HTTP server (service/server.ts). */
export interface ConnectionLimits {
  /** Connections served normally; past them only probes are answered. */
  maxConnections: number;
  /** Node's server.headersTimeout. */
  headersTimeoutMs: number;
  /** Node's server.requestTimeout. */
  requestTimeoutMs: number;
  /** Node's server.keepAliveTimeout. */
  keepAliveTimeoutMs: number;
}

export interface ServeOptions {
  source:
    | {
        kind: 'file';
        file: string;
        /** Set when no flag or MODEL_PATH named the file: the default locations looked at. */
        searched?: readonly string[];
      }
    | { kind: 'registry'; dir: string; modelName?: string };
  port: number;
  host: string;
  logInputs: boolean;
  /**
   * A file whose bytes key the audit lines' input fingerprints (--audit-key-file or
   * AUDIT_KEY_FILE), or null for a random key per start, shared by a cluster's processes.
   */
  auditKeyFile: string | null;
  /**
   * The key as a cluster's primary resolved it (read from the file, or made at random) for its
   * own server and, over IPC, its workers: never a flag, and never in the environment or the
   * options the workers are started with. Unset otherwise.
   */
  auditKey?: ResolvedAuditKey;
  maxBatchRows: number;
  maxBodyBytes: number;
  watch: boolean;
  /** Another name the OIP routes answer to (KServe's InferenceService name), or undefined. */
  modelAlias?: string;
  /** How long to keep serving, readiness failing, after SIGTERM. */
  drainMs: number;
  /**
   * Server processes: 1 serves in this process; more make a node:cluster of that many servers on
   * the one port (the primary among them where reusePort exists), /metrics merged across them
   * (service/node/cluster.ts).
   */
  workers: number;
  /**
   * Set by a cluster's primary for its servers, its own included: each binds its own SO_REUSEPORT
   * socket on the primary's resolved port, and the kernel spreads connections over them.
   */
  reusePort?: boolean;
  limits: ConnectionLimits;
}

/**
 * Whether workers can each listen on their own SO_REUSEPORT socket: Node 22.12 and later (the
 * `reusePort` listen option) on Linux, where the kernel spreads connections across the sockets.
 * Without it a cluster shares the primary's socket, and the primary hands each connection over
 * (round-robin) and serves none itself (tests/service/drain.test.ts drains both kinds).
 */
export function reusePortSupported(
  version: string = process.versions.node,
  platform: string = process.platform,
): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return platform === 'linux' && (major > 22 || (major === 22 && minor >= 12));
}

/** What the defaults depend on outside the arguments; the real machine unless a test says otherwise. */
export interface ServeHost {
  exists(path: string): boolean;
  /** The soft limit on open file descriptors, or null when unknown. */
  openFileLimit(): number | null;
  /** CPUs the process may use, its cgroup's quota included (src/util/cpu-limit.ts). */
  cpus(): number;
  /** The memory limit of its cgroup in bytes, or null when there is none. */
  memoryLimit(): number | null;
  /** Whether each cluster worker can have its own SO_REUSEPORT socket. */
  reusePort(): boolean;
  /** The old-space cap given to Node (`--max-old-space-size`), in bytes, or null for none. */
  heapCap(): number | null;
}

/** The soft `Max open files` limit from /proc/self/limits (Linux); null elsewhere. */
function procOpenFileLimit(): number | null {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(
      readFileSync('/proc/self/limits', 'utf8'),
    );
    return line && line[1] !== 'unlimited' ? Number(line[1]) : null;
  } catch {
    return null;
  }
}

/**
 * The cgroup memory limit (libuv's reading, v1 and v2), or null for none: Node 20 answers a huge
 * number when there is none, Node 22 and later 0.
 */
export function processMemoryLimit(
  constrained: number | undefined = process.constrainedMemory?.(),
): number | null {
  return constrained && constrained < 2 ** 60 ? constrained : null;
}

/**
 * The old-space cap in bytes that `--max-old-space-size=MiB` sets, on the command line or in
 * NODE_OPTIONS, or null when neither sets one. V8 takes the last of several, and Node reads
 * NODE_OPTIONS before the command line, so the command line's wins. V8 spells its flags with `-`
 * or `_`, and takes the value after `=` or as the next word.
 */
export function oldSpaceCap(execArgv: readonly string[], nodeOptions = ''): number | null {
  const words = [...nodeOptions.split(/\s+/).filter(Boolean), ...execArgv];
  let mib: number | null = null;
  for (let i = 0; i < words.length; i++) {
    const match = /^--max[-_]old[-_]space[-_]size(?:=(.*))?$/.exec(words[i]!);
    if (!match) continue;
    const value = Number(match[1] ?? words[++i]);
    if (value > 0) mib = value;
  }
  return mib === null ? null : mib * 1024 * 1024;
}

export const systemHost: ServeHost = {
  exists: existsSync,
  openFileLimit: procOpenFileLimit,
  cpus: () => availableCpus(),
  memoryLimit: () => processMemoryLimit(),
  reusePort: () => reusePortSupported(),
  heapCap: () => oldSpaceCap(process.execArgv, process.env.NODE_OPTIONS),
};

/**
 * Memory to allow each server process: {@link SERVER_PROCESS_BYTES}, or more when a heap cap lets
 * the old space grow past what that allows. The deploy manifests are held to it
 * (tests/deploy/manifests.test.ts).
 */
export function processBudget(heapCap: number | null): number {
  return Math.max(SERVER_PROCESS_BYTES, (heapCap ?? 0) + OUTSIDE_OLD_SPACE_BYTES);
}

/**
 * `--workers` unless given: one server process per CPU the process may use, as many as its
 * memory limit holds, and one where workers would share the primary's socket (the primary then
 * serves nothing, so a cluster would start as two processes in a row and hand every connection
 * over).
 */
function defaultWorkers(
  host: Pick<ServeHost, 'cpus' | 'memoryLimit' | 'reusePort' | 'heapCap'>,
): number {
  if (!host.reusePort()) return 1;
  const memory = host.memoryLimit();
  const byMemory =
    memory === null ? MAX_WORKERS : Math.floor(memory / processBudget(host.heapCap()));
  return Math.max(1, Math.min(host.cpus(), byMemory, MAX_WORKERS));
}

/**
 * The connection cap that fits under an open-file limit: {@link DEFAULT_MAX_CONNECTIONS} or less.
 * Per process, as the limit is (RLIMIT_NOFILE): each server process of a cluster holds its own
 * connections and has the whole limit to itself. Where workers share the primary's socket (before
 * Node 22.12), the primary holds a connection only while it hands it to a worker; a flood faster
 * than that handoff can exhaust the primary's descriptors, and libuv then resets what it accepts
 * until they free (tests/service/limits.test.ts, the cluster case).
 */
export function defaultMaxConnections(openFileLimit: number | null): number {
  if (openFileLimit === null) return DEFAULT_MAX_CONNECTIONS;
  return Math.max(1, Math.min(DEFAULT_MAX_CONNECTIONS, openFileLimit - FD_HEADROOM));
}

/** A name safe in a URL path segment; KServe's InferenceService names (DNS labels) all fit. */
const MODEL_ALIAS = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A usage error: printed as one line, exit code 2. */
export class UsageError extends Error {}

function integer(value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `${flag} '${value}' is not valid; expected an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}.`,
    );
  return n;
}

/** The model file to serve: the one named, else the first default location that exists. */
function fileChoice(named: string | undefined, host: { exists(path: string): boolean }) {
  if (named !== undefined) return { kind: 'file' as const, file: named };
  const found = DEFAULT_MODEL_LOCATIONS.find((f) => host.exists(f));
  return found
    ? { kind: 'file' as const, file: found }
    : { kind: 'file' as const, file: DEFAULT_MODEL_PATH, searched: DEFAULT_MODEL_LOCATIONS };
}

/**
 * Parses `serve` flags, falling back to PORT, HOST, MODEL_PATH, MODEL_NAME, DRAIN_MS,
 * MAX_CONNECTIONS, WORKERS, LOG_INPUTS and AUDIT_KEY_FILE from `env`. Only the Node entry reads
 * the environment; createApp never does. Returns null for --help.
 */
export function parseServeOptions(
  argv: string[],
  env: Record<string, string | undefined>,
  host: ServeHost = systemHost,
): ServeOptions | null {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        registry: { type: 'string' },
        'model-name': { type: 'string' },
        'model-alias': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'log-inputs': { type: 'boolean' },
        'audit-key-file': { type: 'string' },
        'max-batch-rows': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'drain-ms': { type: 'string' },
        'max-connections': { type: 'string' },
        'headers-timeout-ms': { type: 'string' },
        'request-timeout-ms': { type: 'string' },
        'keep-alive-timeout-ms': { type: 'string' },
        'no-watch': { type: 'boolean' },
        workers: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // Node's message for `--port -1` suggests `--port=-XYZ`: say that form is the one to use.
    const message = (error as Error).message.replace(/\.+$/, '');
    throw new UsageError(`${message}. Run 'oncoclear serve --help' for usage.`);
  }
  if (values.help) return null;
  // An empty variable is unset: Kubernetes manifests often template `value: ""`.
  const str = (k: string) => (values[k] as string | undefined) || undefined;
  const fromEnv = (k: string) => env[k] || undefined;
  if (str('model') && str('registry'))
    throw new UsageError('Pass either --model or --registry, not both.');
  if (str('model-name') && !str('registry'))
    throw new UsageError('--model-name only applies with --registry.');
  const registry = str('registry');
  const headersTimeoutMs = integer(
    str('headers-timeout-ms') ?? String(DEFAULT_HEADERS_TIMEOUT_MS),
    '--headers-timeout-ms',
    1,
  );
  const requestTimeoutMs = integer(
    str('request-timeout-ms') ?? String(DEFAULT_REQUEST_TIMEOUT_MS),
    '--request-timeout-ms',
    1,
  );
  // Node requires it: a request cannot have longer for its headers than for all of it.
  if (headersTimeoutMs > requestTimeoutMs)
    throw new UsageError(
      `--headers-timeout-ms ${headersTimeoutMs} exceeds --request-timeout-ms ${requestTimeoutMs}; expected at most the request timeout.`,
    );
  const modelAlias = str('model-alias') ?? fromEnv('MODEL_NAME');
  if (modelAlias !== undefined && !MODEL_ALIAS.test(modelAlias))
    throw new UsageError(
      `Model alias '${modelAlias}' (--model-alias or MODEL_NAME) is not valid; expected letters, digits, '.', '_' or '-', at most 64.`,
    );
  return {
    source: registry
      ? { kind: 'registry', dir: registry, modelName: str('model-name') }
      : fileChoice(str('model') ?? fromEnv('MODEL_PATH'), host),
    port: integer(str('port') ?? fromEnv('PORT') ?? String(DEFAULT_PORT), '--port', 0, 65535),
    host: str('host') ?? fromEnv('HOST') ?? DEFAULT_HOST,
    logInputs: values['log-inputs'] === true || env.LOG_INPUTS === '1' || env.LOG_INPUTS === 'true',
    auditKeyFile: str('audit-key-file') ?? fromEnv('AUDIT_KEY_FILE') ?? null,
    maxBatchRows: integer(
      str('max-batch-rows') ?? String(DEFAULT_MAX_BATCH_ROWS),
      '--max-batch-rows',
      1,
    ),
    maxBodyBytes: integer(
      str('max-body-bytes') ?? String(DEFAULT_MAX_BODY_BYTES),
      '--max-body-bytes',
      1,
    ),
    watch: values['no-watch'] !== true,
    ...(modelAlias ? { modelAlias } : {}),
    drainMs: integer(
      str('drain-ms') ?? fromEnv('DRAIN_MS') ?? String(DEFAULT_DRAIN_MS),
      '--drain-ms',
      0,
    ),
    workers: integer(
      str('workers') ?? fromEnv('WORKERS') ?? String(defaultWorkers(host)),
      '--workers',
      1,
      MAX_WORKERS,
    ),
    limits: {
      maxConnections: integer(
        str('max-connections') ??
          fromEnv('MAX_CONNECTIONS') ??
          String(defaultMaxConnections(host.openFileLimit())),
        '--max-connections',
        1,
      ),
      headersTimeoutMs,
      requestTimeoutMs,
      keepAliveTimeoutMs: integer(
        str('keep-alive-timeout-ms') ?? String(DEFAULT_KEEP_ALIVE_TIMEOUT_MS),
        '--keep-alive-timeout-ms',
        1,
      ),
    },
  };
}

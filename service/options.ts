import { parseArgs } from 'node:util';
import { DEFAULT_MAX_BATCH_ROWS, DEFAULT_MAX_BODY_BYTES } from './app.js';

/** Where the container image bakes the model (relative to the working directory, /app there). */
export const DEFAULT_MODEL_PATH = 'model/model.json';
export const DEFAULT_PORT = 8000;
export const DEFAULT_HOST = '0.0.0.0';

export const SERVE_HELP = `Usage: oncoclear serve [--model FILE | --registry DIR [--model-name NAME]] [options]

Serves a model over HTTP: /predict, /predict/batch, /model, /health, /ready, /metrics,
/docs (Swagger UI), /openapi.json and the Open Inference Protocol v2 under /v2.
The model's sha256 is verified (registry checksum or .sha256 sidecar) before serving; a
mismatch refuses to start. When the file (or registry.json) changes it is reloaded and swapped
in; a bad replacement keeps the old model serving and logs a warning.

Options:
  --model FILE          model artifact (env MODEL_PATH; default ${DEFAULT_MODEL_PATH})
  --registry DIR        serve this registry's production version instead of a file
  --model-name NAME     model in the registry (default: its only model)
  --port N              port (env PORT; default ${DEFAULT_PORT}; 0 picks a free one)
  --host H              interface to bind (default ${DEFAULT_HOST})
  --log-inputs          put raw measurements in audit lines (env LOG_INPUTS=1; default off)
  --max-batch-rows N    rows allowed per batch/OIP request (default ${DEFAULT_MAX_BATCH_ROWS})
  --max-body-bytes N    request body limit (default ${DEFAULT_MAX_BODY_BYTES})
  --no-watch            do not reload the model when its file changes
  -h, --help            show this help

Audit: one JSON line per prediction on stdout. Logs: JSON lines on stderr.
`;

export interface ServeOptions {
  source: { kind: 'file'; file: string } | { kind: 'registry'; dir: string; modelName?: string };
  port: number;
  host: string;
  logInputs: boolean;
  maxBatchRows: number;
  maxBodyBytes: number;
  watch: boolean;
}

/** A usage error: printed as one line, exit code 2. */
export class UsageError extends Error {}

function integer(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} '${value}' is not valid; expected an integer ≥ ${min}.`);
  return n;
}

/**
 * Parses `serve` flags, falling back to PORT, MODEL_PATH and LOG_INPUTS from `env`. Only the Node
 * entry reads the environment; createApp never does. Returns null for --help.
 */
export function parseServeOptions(
  argv: string[],
  env: Record<string, string | undefined>,
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
        port: { type: 'string' },
        host: { type: 'string' },
        'log-inputs': { type: 'boolean' },
        'max-batch-rows': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'no-watch': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}. Run 'oncoclear serve --help' for usage.`);
  }
  if (values.help) return null;
  const str = (k: string) => values[k] as string | undefined;
  if (str('model') && str('registry'))
    throw new UsageError('Pass either --model or --registry, not both.');
  if (str('model-name') && !str('registry'))
    throw new UsageError('--model-name only applies with --registry.');
  const registry = str('registry');
  return {
    source: registry
      ? { kind: 'registry', dir: registry, modelName: str('model-name') }
      : { kind: 'file', file: str('model') ?? env.MODEL_PATH ?? DEFAULT_MODEL_PATH },
    port: integer(str('port') ?? env.PORT ?? String(DEFAULT_PORT), '--port', 0),
    host: str('host') ?? DEFAULT_HOST,
    logInputs: values['log-inputs'] === true || env.LOG_INPUTS === '1' || env.LOG_INPUTS === 'true',
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
  };
}

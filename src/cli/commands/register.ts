import { userInfo } from 'node:os';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../config/config.js';
import { registerVersion } from '../../registry/operations.js';
import { parseCommand, required } from '../args.js';
import { progress } from '../context.js';
import { openRegistry } from '../registry-location.js';

export const REGISTER_HELP = `Usage: oncoclear register --model FILE [--registry DIR] [--reason TEXT] [--config FILE] [--json]

Adds a model artifact to the registry as the next version, in the staging stage.

Options:
  --model FILE     artifact written by 'oncoclear train'
  --registry DIR   registry directory (default: the git-ignored .local/registry, seeded from
                   registry/)
  --reason TEXT    why, recorded in the history (default: "registered by <user>")
  --config FILE    project config, for the committed registry path (default: oncoclear.config.json)
  --json           print { "version": N, "model", "artifact", "sha256" }
  -h, --help       show this help
`;

export function localActor(): string {
  try {
    return userInfo().username || 'local';
  } catch {
    return 'local';
  }
}

export async function registerCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand('register', argv, {
    model: { type: 'string' },
    registry: { type: 'string' },
    reason: { type: 'string' },
    config: { type: 'string', default: DEFAULT_CONFIG_FILE },
    json: { type: 'boolean', default: false },
  });
  if (values.help) return void process.stdout.write(REGISTER_HELP);
  const file = required('register', values.model, '--model FILE');
  const committed = values.registry ? values.registry : loadConfig(values.config!).registry.path;
  const store = openRegistry(values.registry, committed, progress(values.json!));
  const actor = localActor();
  const version = await registerVersion(store, file, {
    actor,
    reason: values.reason ?? `registered by ${actor}`,
    now: () => new Date(),
  });
  const model = version.artifact.split('/')[0];
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ version: version.version, model, artifact: store.resolve(version.artifact), sha256: version.sha256 })}\n`,
    );
    return;
  }
  process.stdout.write(`Registered ${model} v${version.version} (staging) in ${store.dir}\n`);
}

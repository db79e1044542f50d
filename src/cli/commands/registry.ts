import { DEFAULT_CONFIG_FILE, loadConfig } from '../../config/config.js';
import { metricInfo } from '../../evaluate/metric-catalog.js';
import { migrateRegistry } from '../../registry/migrate.js';
import {
  diffVersions,
  productionAt,
  productionVersion,
  promote,
  rollback,
} from '../../registry/operations.js';
import type { Registry } from '../../registry/schema.js';
import { createRegistryStore } from '../../registry/store.js';
import { writeModelImageContext } from '../../release/model-image.js';
import { exportModel, resolveModel } from '../../release/model-info.js';
import { deltaWords } from '../../report/decision.js';
import { CliError, parseCommand, positiveInt } from '../args.js';
import { progress } from '../context.js';
import { fixed, textTable } from '../format.js';
import { openRegistry } from '../registry-location.js';
import { localActor } from './register.js';

export const REGISTRY_HELP = `Usage: oncoclear registry <show|history|diff|promote|rollback|migrate|export-model> [options]

  show                        versions, stages and test metrics
  history [--at DATE]         the audit trail: who did what, when, why; with --at, which
                              version was in production at that moment
  diff [A] [B]                test metrics of two versions (default: production vs latest)
  promote VERSION             move VERSION to production, archive the old one
  rollback [VERSION]          move production back (default: the previous production version)
  migrate                     convert a single-file registry (schemaVersion 1) to the current
                              layout, in place (default --registry: the config's registry.path)
  export-model --out DIR      copy the production model (or --version N, or --file PATH), verified,
                              with its sidecar and model-info.json, into DIR;
                              --print only prints what would be exported
  export-model --image-context DIR --base IMAGE
                              write a model image's build context into DIR (new or empty): the
                              verified model in DIR/model and a Dockerfile FROM IMAGE (the serving
                              base, ideally NAME@sha256:…) that copies it to /mnt/models, no RUN;
                              build it with \`docker build DIR\` (docs/image.md)

Options:
  --registry DIR   registry directory (default: the git-ignored .local/registry, seeded from
                   registry/; for migrate and export-model: the committed registry, the config's
                   registry.path)
  --model NAME     model name (default: the config's model.name)
  --reason TEXT    why (promote and rollback; recorded in the history)
  --config FILE    project config (default: oncoclear.config.json)
  --version N      export-model: a registered version instead of production
  --source URL     export-model --image-context: org.opencontainers.image.source label
  --revision SHA   export-model --image-context: org.opencontainers.image.revision label
  --image-version V
                   export-model --image-context: org.opencontainers.image.version label
                   (default: the base image's)
  --json           machine-readable output
  -h, --help       show this help
`;

export async function registryCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(
    'registry',
    argv,
    {
      registry: { type: 'string' },
      model: { type: 'string' },
      reason: { type: 'string' },
      at: { type: 'string' },
      out: { type: 'string' },
      file: { type: 'string' },
      version: { type: 'string' },
      print: { type: 'boolean', default: false },
      'image-context': { type: 'string' },
      base: { type: 'string' },
      source: { type: 'string' },
      revision: { type: 'string' },
      'image-version': { type: 'string' },
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      json: { type: 'boolean', default: false },
    },
    true,
  );
  const [sub, ...rest] = positionals;
  if (values.help || !sub) return void process.stdout.write(REGISTRY_HELP);
  if (sub === 'export-model') return exportModelCommand(values);
  const config = loadConfig(values.config!);
  const model = values.model ?? config.model.name;
  if (sub === 'migrate') {
    const dir = values.registry ?? config.registry.path;
    const result = migrateRegistry(dir);
    if (values.json) return void process.stdout.write(`${JSON.stringify({ dir, ...result })}\n`);
    return void process.stdout.write(
      result.migrated
        ? `Migrated ${dir}: ${result.models} model(s), ${result.versions} version(s), ${result.events} event(s), one file each. Commit ${dir}/.\n`
        : `${dir} already uses the current layout (${result.versions} version(s)); nothing to do.\n`,
    );
  }
  const store = openRegistry(values.registry, config.registry.path, progress(values.json!));
  const out = (text: string): void => {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  };
  const meta = () => ({
    actor: localActor(),
    reason: values.reason ?? 'manual change',
    now: () => new Date(),
  });

  switch (sub) {
    case 'show': {
      const registry = store.read();
      const entry = registry.models[model];
      if (values.json) return out(JSON.stringify({ model, versions: entry?.versions ?? [] }));
      if (!entry)
        return out(
          `No versions of '${model}' in ${store.dir} yet. Run 'oncoclear pipeline' first.`,
        );
      const rows = entry.versions.map((v) => [
        `v${v.version}`,
        v.stage,
        fixed(v.metrics.test.accuracy),
        fixed(v.metrics.test.rocAuc),
        v.createdAt.slice(0, 19).replace('T', ' '),
        v.lineage.commit?.slice(0, 7) ?? '—',
      ]);
      return out(
        `${model} in ${store.dir}\n${textTable(['version', 'stage', 'accuracy', 'rocAuc', 'created (UTC)', 'commit'], rows)}`,
      );
    }
    case 'history': {
      const registry = store.read();
      const history = registry.models[model]?.history ?? [];
      if (values.at) {
        const at = new Date(values.at);
        if (Number.isNaN(at.getTime())) {
          throw new CliError(
            `--at '${values.at}' is not a date; expected ISO 8601 such as 2026-03-01 or 2026-03-01T12:00:00Z.`,
            2,
          );
        }
        const version = registry.models[model] ? productionAt(registry, model, at) : null;
        if (values.json)
          return out(JSON.stringify({ model, at: at.toISOString(), production: version }));
        return out(
          version
            ? `v${version} of ${model} was in production at ${at.toISOString()}.`
            : `No version of ${model} was in production at ${at.toISOString()}.`,
        );
      }
      if (values.json) return out(JSON.stringify({ model, history }));
      const rows = history.map((e) => [
        e.at.slice(0, 19).replace('T', ' '),
        e.type,
        `v${e.version}`,
        e.actor,
        e.reason + (e.link ? ` (${e.link})` : ''),
      ]);
      return out(textTable(['when (UTC)', 'event', 'version', 'who', 'why'], rows));
    }
    case 'diff': {
      const registry = store.read();
      const [a, b] = diffPair(registry, model, rest);
      const rows = diffVersions(registry, model, a, b);
      if (values.json) return out(JSON.stringify({ model, a, b, metrics: rows }));
      return out(
        textTable(
          ['metric (test)', `v${a}`, `v${b}`, `v${b} vs v${a}`],
          rows.map((r) => [
            metricInfo(r.metric).label,
            fixed(r.a),
            fixed(r.b),
            deltaWords(r.metric, r.delta),
          ]),
        ),
      );
    }
    case 'promote':
    case 'rollback': {
      const target = rest[0] ? positiveInt(rest[0], 'Version') : null;
      if (!values.reason) {
        throw new CliError(
          `Missing --reason TEXT; a ${sub} is recorded in the history with why it was done.`,
          2,
        );
      }
      if (sub === 'promote' && target === null)
        throw new CliError(
          'Missing VERSION. Usage: oncoclear registry promote VERSION --reason TEXT',
          2,
        );
      const result = await store.update((registry) => {
        const next =
          sub === 'promote'
            ? promote(registry, model, target!, meta())
            : rollback(registry, model, target, meta());
        return { registry: next, result: productionVersion(next, model)!.version };
      });
      if (values.json) return out(JSON.stringify({ model, production: result }));
      return out(
        `${sub === 'promote' ? 'Promoted' : 'Rolled back'}: ${model} v${result} is now in production (${store.dir}).`,
      );
    }
    default:
      throw new CliError(
        `Unknown registry command '${sub}'; expected show, history, diff, promote, rollback, migrate or export-model.`,
        2,
      );
  }
}

function diffPair(registry: Registry, model: string, rest: string[]): [number, number] {
  if (rest.length >= 2) return [positiveInt(rest[0]!, 'Version'), positiveInt(rest[1]!, 'Version')];
  const versions = registry.models[model]?.versions ?? [];
  const latest = versions.at(-1)?.version;
  const base = rest[0]
    ? positiveInt(rest[0], 'Version')
    : productionVersion(registry, model)?.version;
  if (!latest || !base)
    throw new CliError('Nothing to diff; pass two versions: oncoclear registry diff A B', 2);
  return [base, latest];
}

/** `registry export-model`: what the image build bakes in, through the registry's own reader. */
function exportModelCommand(values: {
  registry?: string;
  model?: string;
  version?: string;
  file?: string;
  out?: string;
  print?: boolean;
  config?: string;
  json?: boolean;
  'image-context'?: string;
  base?: string;
  source?: string;
  revision?: string;
  'image-version'?: string;
}): void {
  let model = values.model;
  let dir = values.registry;
  if (!values.file && (!model || !dir)) {
    const config = loadConfig(values.config!);
    model ??= config.model.name;
    dir ??= config.registry.path;
  }
  const version =
    !values.version || values.version === 'production'
      ? 'production'
      : positiveInt(values.version.replace(/^v/, ''), 'Version');
  const input = {
    store: dir ? createRegistryStore(dir) : null,
    model,
    version,
    file: values.file,
  } as const;
  if (values.print) {
    process.stdout.write(`${JSON.stringify(resolveModel(input).info)}\n`);
    return;
  }
  const contextDir = values['image-context'];
  if (contextDir) {
    if (values.out) throw new CliError('Pass --out DIR or --image-context DIR, not both.', 2);
    if (!values.base)
      throw new CliError(
        'Missing --base IMAGE: the serving base image the model image builds FROM, e.g. ghcr.io/owner/repo/oncoclear-base@sha256:….',
        2,
      );
    const context = writeModelImageContext({
      ...input,
      baseImage: values.base,
      labels: {
        source: values.source,
        revision: values.revision,
        version: values['image-version'],
      },
      outDir: contextDir,
    });
    if (values.json) return void process.stdout.write(`${JSON.stringify(context)}\n`);
    const { info } = context;
    process.stdout.write(
      `Wrote the image context of ${info.name} ${info.version === null ? '(unregistered file)' : `v${info.version}`} (${info.sha256}) FROM ${values.base} into ${contextDir}\n`,
    );
    return;
  }
  if (!values.out) throw new CliError('Missing --out DIR (or --image-context DIR, or --print).', 2);
  const info = exportModel(input, values.out);
  process.stdout.write(
    `Exported ${info.name} ${info.version === null ? '(unregistered file)' : `v${info.version}`} (${info.stage}, ${info.sha256}) into ${values.out}\n`,
  );
}

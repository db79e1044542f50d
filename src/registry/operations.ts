import { lstatSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { METRIC_KEYS, type MetricKey } from '../evaluate/metric-catalog.js';
import {
  type Artifact,
  type LoadedArtifact,
  loadArtifact,
  writeSidecar,
} from '../model/artifact.js';
import { writeFileDurable } from '../util/json-file.js';
import { registryPaths } from './layout.js';
import type {
  ModelEntry,
  Registry,
  RegistryEvent,
  RegistryVersion,
  ScalarMetrics,
} from './schema.js';
import type { RegistryStore } from './store.js';

/** Who did something, why, and where it can be seen. */
export interface EventMeta {
  actor: string;
  reason: string;
  link?: string | null;
  now: () => Date;
}

function entryOf(registry: Registry, model: string): ModelEntry {
  const entry = registry.models[model];
  if (!entry) {
    const known = Object.keys(registry.models);
    throw new Error(
      `No model '${model}' in the registry; ${known.length ? `it has ${known.map((k) => `'${k}'`).join(', ')}` : 'it is empty'}.`,
    );
  }
  return entry;
}

function versionOf(entry: ModelEntry, model: string, version: number): RegistryVersion {
  const found = entry.versions.find((v) => v.version === version);
  if (!found) {
    throw new Error(
      `Model '${model}' has no version ${version}; it has ${entry.versions.map((v) => `v${v.version}`).join(', ') || 'no versions'}.`,
    );
  }
  return found;
}

export function productionVersion(registry: Registry, model: string): RegistryVersion | null {
  return registry.models[model]?.versions.find((v) => v.stage === 'production') ?? null;
}

/** What the registry keeps of a metric set: the numbers and intervals, not the curves. */
function scalar(m: Artifact['metrics']['test']): ScalarMetrics {
  const { confusion: _c, roc: _r, pr: _p, calibration: _k, ...numbers } = m;
  return numbers;
}

function event(
  meta: EventMeta,
  type: RegistryEvent['type'],
  version: number,
  extra: Partial<RegistryEvent> = {},
): RegistryEvent {
  return {
    at: meta.now().toISOString(),
    type,
    version,
    actor: meta.actor,
    reason: meta.reason,
    link: meta.link ?? null,
    ...extra,
  };
}

export interface RegisterOptions extends EventMeta {
  /** Files to write beside the artifact once the version number is known (the model card). */
  versionFiles?: (version: number) => Record<string, string>;
  /** Workflow run URL when registering from CI. */
  runUrl?: string | null;
}

/**
 * Writes an artifact to `<model>/v<N>/model.json` and records it as a new staging version.
 * N is one more than the highest number ever used, chosen under the store's lock. Takes a file
 * (verified against its sidecar when there is one, so a model edited after training is not
 * registered under a fresh checksum) or an artifact already in memory.
 */
export async function registerVersion(
  store: RegistryStore,
  source: string | LoadedArtifact,
  options: RegisterOptions,
): Promise<RegistryVersion> {
  const {
    artifact,
    sha256: checksum,
    bytes,
  } = typeof source === 'string' ? loadArtifact(source) : source;
  return store.update((registry) => {
    const entry: ModelEntry = registry.models[artifact.name] ?? { versions: [], history: [] };
    const number = entry.versions.reduce((max, v) => Math.max(max, v.version), 0) + 1;
    const relative = registryPaths.artifact(artifact.name, number);
    const target = store.resolve(relative);
    mkdirSync(dirname(target), { recursive: true });
    // Durable before the version file that publishes it is written.
    writeFileDurable(target, bytes);
    writeSidecar(target, checksum);
    for (const [name, text] of Object.entries(options.versionFiles?.(number) ?? {})) {
      if (name.includes('/') || name.startsWith('.'))
        throw new Error(`Version file name '${name}' must be a plain file name.`);
      writeFileDurable(join(dirname(target), name), text);
    }
    const version: RegistryVersion = {
      version: number,
      stage: 'staging',
      createdAt: artifact.lineage.createdAt,
      artifact: relative,
      sha256: checksum,
      metrics: { train: scalar(artifact.metrics.train), test: scalar(artifact.metrics.test) },
      lineage: {
        commit: artifact.lineage.commit,
        runUrl: options.runUrl ?? null,
        dataSha256: artifact.lineage.dataSha256,
        configHash: artifact.lineage.configHash,
        testRowsHash: artifact.lineage.split.testRowsHash,
      },
    };
    const next: ModelEntry = {
      versions: [...entry.versions, version],
      history: [...entry.history, event(options, 'registered', number)],
    };
    return {
      registry: { ...registry, models: { ...registry.models, [artifact.name]: next } },
      result: version,
    };
  });
}

/** Pure: moves `version` to production and archives the previous production version. */
export function promote(
  registry: Registry,
  model: string,
  version: number,
  meta: EventMeta,
): Registry {
  const entry = entryOf(registry, model);
  const target = versionOf(entry, model, version);
  if (target.stage === 'production')
    throw new Error(`Model '${model}' v${version} is already in production.`);
  return moveProduction(registry, model, version, meta, 'promoted');
}

/**
 * Pure: moves production back to `version`, or by default to the version that was in production
 * before the current one, and records a `rolled_back` event.
 */
export function rollback(
  registry: Registry,
  model: string,
  version: number | null,
  meta: EventMeta,
): Registry {
  const entry = entryOf(registry, model);
  const current = productionVersion(registry, model);
  if (!current) throw new Error(`Model '${model}' has no production version to roll back from.`);
  const target = version ?? previousProduction(entry, current.version);
  if (target === null) {
    throw new Error(
      `Model '${model}' has had no other production version; pass the version to roll back to.`,
    );
  }
  if (target === current.version)
    throw new Error(`Model '${model}' v${target} is already in production.`);
  versionOf(entry, model, target);
  // The same rule the review enforces: a rollback returns only to a version that served before.
  const served = entry.history.some(
    (e) => (e.type === 'promoted' || e.type === 'rolled_back') && e.version === target,
  );
  if (!served)
    throw new Error(
      `Model '${model}' v${target} was never in production; a rollback may only return to a version that was. Promote it instead (oncoclear registry promote ${target}).`,
    );
  return moveProduction(registry, model, target, meta, 'rolled_back');
}

function moveProduction(
  registry: Registry,
  model: string,
  version: number,
  meta: EventMeta,
  type: 'promoted' | 'rolled_back',
): Registry {
  const entry = entryOf(registry, model);
  const current = entry.versions.find((v) => v.stage === 'production');
  const events: RegistryEvent[] = [];
  if (current)
    events.push(
      event(meta, 'archived', current.version, {
        reason: `replaced by v${version}: ${meta.reason}`,
      }),
    );
  events.push(event(meta, type, version, { from: current?.version ?? null }));
  const versions = entry.versions.map((v): RegistryVersion => {
    if (v.version === version) return { ...v, stage: 'production' };
    if (current && v.version === current.version) return { ...v, stage: 'archived' };
    return v;
  });
  return {
    ...registry,
    models: { ...registry.models, [model]: { versions, history: [...entry.history, ...events] } },
  };
}

/** The version in production just before `current`, read from history. */
function previousProduction(entry: ModelEntry, current: number): number | null {
  for (let i = entry.history.length - 1; i >= 0; i--) {
    const e = entry.history[i]!;
    if ((e.type === 'promoted' || e.type === 'rolled_back') && e.version === current && e.from)
      return e.from;
  }
  return null;
}

/** Pure: appends a `released` event with the image that now serves `version`. */
export function recordRelease(
  registry: Registry,
  model: string,
  version: number,
  image: { digest: string; tags: string[] },
  meta: EventMeta,
): Registry {
  const entry = entryOf(registry, model);
  versionOf(entry, model, version);
  const already = entry.history.some(
    (e) => e.type === 'released' && e.version === version && e.image?.digest === image.digest,
  );
  if (already) return registry; // a re-run of the same release records nothing new
  return {
    ...registry,
    models: {
      ...registry.models,
      [model]: {
        ...entry,
        history: [...entry.history, event(meta, 'released', version, { image })],
      },
    },
  };
}

/** Which version was in production at a moment, replayed from the history. */
export function productionAt(registry: Registry, model: string, at: Date): number | null {
  let production: number | null = null;
  for (const e of entryOf(registry, model).history) {
    if (Date.parse(e.at) > at.getTime()) break;
    if (e.type === 'promoted' || e.type === 'rolled_back') production = e.version;
    else if (e.type === 'archived' && e.version === production) production = null;
  }
  return production;
}

export interface MetricsDiffRow {
  metric: MetricKey;
  a: number;
  b: number;
  delta: number;
}

/** Test-metric differences between two versions (b − a). */
export function diffVersions(
  registry: Registry,
  model: string,
  a: number,
  b: number,
): MetricsDiffRow[] {
  const entry = entryOf(registry, model);
  const va = versionOf(entry, model, a);
  const vb = versionOf(entry, model, b);
  return METRIC_KEYS.filter(
    (k) => typeof va.metrics.test[k] === 'number' && typeof vb.metrics.test[k] === 'number',
  ).map((metric) => ({
    metric,
    a: va.metrics.test[metric]!,
    b: vb.metrics.test[metric]!,
    delta: vb.metrics.test[metric]! - va.metrics.test[metric]!,
  }));
}

/** Loads a registered version's artifact, refusing it when its bytes no longer match the registry. */
export function loadRegisteredArtifact(
  store: RegistryStore,
  model: string,
  version: number,
  registry: Registry = store.read(),
) {
  const entry = versionOf(entryOf(registry, model), model, version);
  const file = store.resolve(entry.artifact);
  // A symlinked artifact could make the registry serve, and reveal the checksum of, any file.
  let link = false;
  try {
    link = lstatSync(file).isSymbolicLink();
  } catch {
    // missing: loadArtifact says so
  }
  if (link)
    throw new Error(`Registry artifact ${file} is a symbolic link; expected a regular file.`);
  return { version: entry, ...loadArtifact(file, entry.sha256) };
}

/** Finds a version in a registry or explains what exists. */
export function findVersion(registry: Registry, model: string, version: number): RegistryVersion {
  return versionOf(entryOf(registry, model), model, version);
}

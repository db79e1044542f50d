import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Artifact, loadArtifact } from '../src/model/artifact.js';
import { createPredictor, type Predictor } from '../src/model/predictor.js';
import { MARKER_FILE, readRegistryDir, registryPaths } from '../src/registry/layout.js';
import { loadRegisteredArtifact, productionVersion } from '../src/registry/operations.js';
import type { Registry, RegistryEvent } from '../src/registry/schema.js';
import { createRegistryStore } from '../src/registry/store.js';
import { readModelInfo } from '../src/release/model-info.js';

/** Where the served model came from in the registry, for /model and the audit trail. */
export interface RegistryInfo {
  version: number;
  stage: string;
  /** The history event that put this version where it is (promoted or rolled back), if any. */
  event: RegistryEvent | null;
  /** When the version was registered, from its `registered` event. */
  registeredAt: string | null;
}

/**
 * A verified, ready-to-use model: the artifact, its checksum and the shared predictor. Immutable
 * once built, so a request can hold on to it while a reload swaps in a successor.
 */
export interface ServedModel {
  readonly name: string;
  /** Registry version number as a string, or the first 12 hex digits of the sha256 for a file. */
  readonly version: string;
  readonly sha256: string;
  readonly artifact: Artifact;
  readonly predictor: Predictor;
  /** Feature name → column, for requests keyed by name. */
  readonly featureIndex: ReadonlyMap<string, number>;
  readonly registry: RegistryInfo | null;
  /**
   * A registry version that `model-info.json` beside the file claims and no registry confirmed:
   * for the operator's log, never reported as the version.
   */
  readonly unverifiedClaim?: { version: number; stage: string } | null;
  /** Epoch ms when this process loaded it. */
  readonly loadedAt: number;
}

/** How to (re)load the model: the same call serves startup and hot reload. */
export interface ModelSource {
  /** Human-readable origin for logs; never includes secrets. */
  readonly description: string;
  /** The file whose changes should trigger a reload. */
  readonly watchFile: string;
  /** Loads and verifies; throws one clear message on any problem. */
  load(): ServedModel;
  /**
   * Registry sources only: the version the registry has in production now, which `load()` should
   * end up serving, or null when production was cleared. Throws when the registry cannot be read
   * (e.g. `production.json` already names a version whose files have not arrived).
   */
  productionVersion?(): number | null;
}

function build(
  artifact: Artifact,
  sha256: string,
  version: string,
  registry: RegistryInfo | null,
  now: number,
): ServedModel {
  return {
    name: artifact.name,
    version,
    sha256,
    artifact,
    predictor: createPredictor(artifact),
    featureIndex: new Map(artifact.features.map((name, i) => [name, i])),
    registry,
    loadedAt: now,
  };
}

/** A model file, verified against the registry-provided checksum or its `.sha256` sidecar. */
export function fileSource(file: string, now: () => number = Date.now): ModelSource {
  return {
    description: `file ${file}`,
    watchFile: file,
    load() {
      const { artifact, sha256 } = loadArtifact(file, undefined, { requireChecksum: true });
      const registry = registryInfoAround(file, sha256);
      const version = registry ? String(registry.version) : sha256.slice('sha256:'.length, 19);
      const claim = claimedRegistryVersion(file, artifact.name, sha256);
      const unverifiedClaim =
        claim && !(registry && registry.version === claim.version) ? claim : null;
      return { ...build(artifact, sha256, version, registry, now()), unverifiedClaim };
    },
  };
}

/**
 * The registry version `model-info.json` beside the model claims (the image build writes it with
 * `oncoclear registry export-model`), when it is about these bytes and this model.
 *
 * A claim is never served as the version on its own. Its checksum only proves that whoever wrote
 * it had the bytes, which anyone who can write beside a mounted model (a volume, a KServe storage
 * URI) also has; nothing in the folder proves that the registry ever gave these bytes that version.
 * The proof is the registry itself, so the version comes from {@link registryInfoAround} (or
 * `--registry`) and otherwise stays the checksum, as for any other file. The claim is still
 * returned, so the service can log it as unverified next to what it serves.
 */
function claimedRegistryVersion(
  file: string,
  name: string,
  sha256: string,
): { version: number; stage: string } | null {
  let info: ReturnType<typeof readModelInfo>;
  try {
    info = readModelInfo(file);
  } catch {
    return null; // an invalid model-info.json claims nothing
  }
  if (!info || info.sha256 !== sha256 || info.name !== name || info.version === null) return null;
  return { version: info.version, stage: info.stage };
}

/**
 * When the file sits in a registry (`<registry>/<model>/v<N>/model.json`) and the registry records
 * this very checksum, report that version and its history instead of a bare checksum.
 */
function registryInfoAround(file: string, sha256: string): RegistryInfo | null {
  const dir = dirname(dirname(dirname(file)));
  // Without its marker a directory is no registry (readRegistryDir would find no version, or
  // throw), and reading it would walk the whole tree: for /mnt/models/model.json that is `/`,
  // the container's every directory, at every start.
  if (!existsSync(join(dir, MARKER_FILE))) return null;
  try {
    const registry = readRegistryDir(dir);
    for (const entry of Object.values(registry.models)) {
      const version = entry.versions.find((v) => v.sha256 === sha256);
      if (!version) continue;
      const moves = entry.history.filter(
        (e) => e.version === version.version && (e.type === 'promoted' || e.type === 'rolled_back'),
      );
      const registered = entry.history.find(
        (e) => e.version === version.version && e.type === 'registered',
      );
      return {
        version: version.version,
        stage: version.stage,
        event: moves.at(-1) ?? null,
        registeredAt: registered?.at ?? null,
      };
    }
  } catch {
    // Not a registry, or not a readable one: the file is served on its own checksum.
  }
  return null;
}

/**
 * The model a registry serves: `modelName`, or the registry's only model when none is named.
 * Throws, naming the registry, when there is nothing to choose: no models at all (a name would not
 * help, so the message says how one gets there), a name it does not hold, or several and no name.
 */
export function servedModelName(dir: string, registry: Registry, modelName?: string): string {
  const names = Object.keys(registry.models);
  if (names.length === 0)
    throw new Error(
      `Registry ${dir} holds no models; expected at least one, added by 'oncoclear pipeline --registry ${dir}' (train, register, promote) or 'oncoclear register --model FILE --registry ${dir}' and then promoted.`,
    );
  if (modelName) {
    if (names.includes(modelName)) return modelName;
    throw new Error(
      `Registry ${dir} holds no model '${modelName}'; expected one of ${names.map((n) => `'${n}'`).join(', ')}.`,
    );
  }
  if (names.length > 1)
    throw new Error(
      `Registry ${dir} holds ${names.length} models (${names.join(', ')}); pass --model-name to choose one.`,
    );
  return names[0]!;
}

/**
 * The registry in `dir`. A directory that is not there reads as an empty registry, which would be
 * reported as "no models" and send the reader looking for a model instead of at the path.
 */
function readExistingRegistry(dir: string, read: () => Registry): Registry {
  if (!existsSync(dir))
    throw new Error(
      `Registry directory ${dir} does not exist; expected the path of a registry (the local one is .local/registry, written by 'oncoclear pipeline').`,
    );
  return read();
}

/**
 * The production version of a registry's model. Without a name the registry must hold exactly one
 * model, so a typo cannot silently serve the wrong one. Reloads follow the model's
 * `production.json`, so a promotion or rollback is picked up without a restart.
 */
export function registrySource(
  dir: string,
  modelName?: string,
  now: () => number = Date.now,
): ModelSource {
  const store = createRegistryStore(dir);
  // Without a name, the registry's only model; failing that the marker, and load() explains.
  let watched = modelName;
  if (!watched) {
    try {
      const names = Object.keys(store.read().models);
      if (names.length === 1) watched = names[0];
    } catch {
      // load() reports the registry's problem
    }
  }
  const read = () => readExistingRegistry(dir, store.read);
  return {
    description: `registry ${dir}${modelName ? ` model ${modelName}` : ''}`,
    watchFile: store.resolve(watched ? registryPaths.production(watched) : MARKER_FILE),
    productionVersion() {
      const registry = read();
      return (
        productionVersion(registry, servedModelName(dir, registry, modelName))?.version ?? null
      );
    },
    load() {
      const registry = read();
      const name = servedModelName(dir, registry, modelName);
      const production = productionVersion(registry, name);
      if (!production) {
        throw new Error(
          `Model '${name}' in registry ${dir} has no production version; promote one first (oncoclear registry promote).`,
        );
      }
      const loaded = loadRegisteredArtifact(store, name, production.version, registry);
      const history = registry.models[name]?.history ?? [];
      const mine = history.filter((e) => e.version === production.version);
      const event =
        mine.findLast((e) => e.type === 'promoted' || e.type === 'rolled_back') ??
        mine.at(-1) ??
        null;
      const registeredAt = mine.find((e) => e.type === 'registered')?.at ?? null;
      return build(
        loaded.artifact,
        loaded.sha256,
        String(production.version),
        { version: production.version, stage: production.stage, event, registeredAt },
        now(),
      );
    },
  };
}

/**
 * Holds the current model. Swapping replaces one reference, so it is atomic for readers: a request
 * reads `current` once at its start and finishes on that model even if a reload lands meanwhile.
 */
export interface ModelHolder {
  readonly current: ServedModel | null;
  /** Installs `next` and returns the model it replaced. */
  swap(next: ServedModel): ServedModel | null;
}

/** A holder, optionally pre-loaded. */
export function createModelHolder(initial: ServedModel | null = null): ModelHolder {
  let current = initial;
  return {
    get current() {
      return current;
    },
    swap(next) {
      const previous = current;
      current = next;
      return previous;
    },
  };
}

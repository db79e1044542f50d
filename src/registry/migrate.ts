import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStrictJson } from '../util/strict-json.js';
import {
  LAYOUT_SCHEMA_VERSION,
  MARKER_FILE,
  newEventId,
  type RegistryFiles,
  readRegistryDir,
  registryChangeFiles,
  registryPaths,
  writeRegistryFiles,
} from './layout.js';
import { emptyRegistry, parseLegacyRegistry, type Registry, type RegistryEvent } from './schema.js';

export interface MigrationResult {
  /** False when the registry already had the current layout. */
  migrated: boolean;
  models: number;
  versions: number;
  events: number;
}

/**
 * Converts a single-file registry (schemaVersion 1) in place into the one-file-per-fact layout.
 * Artifacts stay where they are; every version, event and stage is carried over, and the result
 * is read back and compared before the old file is replaced by the layout marker.
 */
export function migrateRegistry(dir: string): MigrationResult {
  const file = join(dir, MARKER_FILE);
  const text = readFileSync(file, 'utf8');
  const json = parseStrictJson(text, file) as { schemaVersion?: unknown };
  if (json && typeof json === 'object' && json.schemaVersion === LAYOUT_SCHEMA_VERSION) {
    const registry = readRegistryDir(dir);
    return { migrated: false, ...count(registry) };
  }
  const legacy = parseLegacyRegistry(json, file);
  const view: Registry = { schemaVersion: LAYOUT_SCHEMA_VERSION, models: {} };
  for (const [name, entry] of Object.entries(legacy.models)) {
    for (const v of entry.versions) {
      if (v.artifact !== registryPaths.artifact(name, v.version))
        throw new Error(
          `Registry ${file}: ${name} v${v.version}'s artifact is '${v.artifact}'; expected '${registryPaths.artifact(name, v.version)}'. Move the file there first.`,
        );
    }
    // Events that share a timestamp keep their order through the index in their id.
    const perTime = new Map<string, number>();
    const history: RegistryEvent[] = entry.history.map((e) => {
      const index = perTime.get(e.at) ?? 0;
      perTime.set(e.at, index + 1);
      return { ...e, id: newEventId(e, index) };
    });
    view.models[name] = { versions: entry.versions, history };
  }
  const files: RegistryFiles = registryChangeFiles(emptyRegistry(), view);
  files.delete(MARKER_FILE);
  writeRegistryFiles(dir, files);
  const marker = new Map([
    [MARKER_FILE, `${JSON.stringify({ schemaVersion: LAYOUT_SCHEMA_VERSION }, null, 2)}\n`],
  ]);
  writeRegistryFiles(dir, marker);
  const back = readRegistryDir(dir);
  for (const [name, entry] of Object.entries(view.models)) {
    const stages = (r: Registry) =>
      r.models[name]?.versions.map((v) => `${v.version}:${v.stage}`).join(',');
    if (
      stages(back) !== stages(view) ||
      back.models[name]?.history.length !== entry.history.length
    ) {
      writeRegistryFiles(dir, new Map([[MARKER_FILE, text]]));
      throw new Error(
        `Migration of ${name} did not read back the same stages and history; ${file} was restored.`,
      );
    }
  }
  return { migrated: true, ...count(back) };
}

function count(registry: Registry): Omit<MigrationResult, 'migrated'> {
  const entries = Object.values(registry.models);
  return {
    models: entries.length,
    versions: entries.reduce((n, e) => n + e.versions.length, 0),
    events: entries.reduce((n, e) => n + e.history.length, 0),
  };
}

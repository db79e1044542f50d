/**
 * The registry's on-disk layout: one file per fact, so that different kinds of writes never touch
 * the same file and therefore always merge cleanly in git.
 *
 *   <registry>/registry.json                    {"schemaVersion": 2}: the layout marker, never rewritten
 *   <registry>/.gitignore                       keeps the store's lock and temp files out of commits
 *   <registry>/<model>/v<N>/version.json        one registered version: checksum, metrics, lineage (immutable)
 *   <registry>/<model>/v<N>/model.json[.sha256] the artifact and its sidecar (immutable)
 *   <registry>/<model>/history/<id>.json        one event per file, under a unique time-ordered name
 *   <registry>/<model>/production.json          the only mutable file: which version is in production
 *
 * A registration or a release only adds files. A promotion or a rollback adds events and rewrites
 * `production.json`, so the only changes that can conflict are two moves of the same model's
 * production stage, which is the conflict that should happen: the newer one supersedes the older.
 *
 * Stages other than production are derived, not stored: a version that was ever in production is
 * `archived` once it leaves, any other is `staging`.
 *
 * This module owns the layout, its schemas and `schemaVersion`. Everything else works on the
 * {@link Registry} view it reads and writes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssue, parseToWrite } from '../util/format-issue.js';
import { writeFileDurable, writeJsonAtomic } from '../util/json-file.js';
import { parseStrictJson } from '../util/strict-json.js';
import {
  EventSchema,
  type ModelEntry,
  type Registry,
  type RegistryEvent,
  type RegistryVersion,
  VersionSchema,
} from './schema.js';

export const LAYOUT_SCHEMA_VERSION = 2;
export const MARKER_FILE = 'registry.json';
const GITIGNORE = '.lock\n*.tmp\n';

/** Model names become directory names: keep them to a safe, portable alphabet. */
const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

const MarkerSchema = z.strictObject({ schemaVersion: z.literal(LAYOUT_SCHEMA_VERSION) });

/** `version.json`: a version as registered; its stage and artifact path are not stored. */
const VersionFileSchema = z.strictObject({
  schemaVersion: z.literal(LAYOUT_SCHEMA_VERSION),
  ...VersionSchema.omit({ stage: true, artifact: true }).shape,
});

const ProductionFileSchema = z.strictObject({
  schemaVersion: z.literal(LAYOUT_SCHEMA_VERSION),
  /** The version in production, or null after production was cleared. */
  version: z.number().int().positive().nullable(),
  /** Id of the history event that put it there, so two moves to one version still differ. */
  event: z.string().min(1),
});
export type ProductionFile = z.infer<typeof ProductionFileSchema>;

const EventFileSchema = z.strictObject({
  schemaVersion: z.literal(LAYOUT_SCHEMA_VERSION),
  ...EventSchema.omit({ id: true }).shape,
});

/** Paths inside a registry directory, all relative and POSIX-style. */
export const registryPaths = {
  marker: MARKER_FILE,
  versionDir: (model: string, version: number) => `${model}/v${version}`,
  versionFile: (model: string, version: number) => `${model}/v${version}/version.json`,
  artifact: (model: string, version: number) => `${model}/v${version}/model.json`,
  production: (model: string) => `${model}/production.json`,
  event: (model: string, id: string) => `${model}/history/${id}.json`,
};

/** The registry files a reader needs, by relative path: everything but the artifacts. */
export type RegistryFiles = Map<string, string>;

/** Whether a relative path is one of the layout's metadata files (what {@link parseRegistryFiles} reads). */
export function isMetadataPath(relative: string): boolean {
  return (
    relative === MARKER_FILE ||
    /^[^/]+\/v\d+\/version\.json$/.test(relative) ||
    /^[^/]+\/production\.json$/.test(relative) ||
    /^[^/]+\/history\/[^/]+\.json$/.test(relative)
  );
}

/** Thrown for a registry in the old single-file layout; names the command that converts it. */
export class LegacyRegistryError extends Error {}

function legacyError(source: string): LegacyRegistryError {
  return new LegacyRegistryError(
    `Registry ${source} uses the old single-file layout (schemaVersion 1); run 'oncoclear registry migrate --registry ${source}' and commit the result.`,
  );
}

function parseFile<T>(schema: z.ZodType<T>, text: string, source: string): T {
  const json = parseStrictJson(text, source);
  const result = schema.safeParse(json);
  if (!result.success)
    throw new TypeError(`Registry file ${source}: ${describeIssue(result.error, json)}.`);
  return result.data;
}

/**
 * Builds the registry view from its metadata files. Checks what the layout cannot express by
 * itself: a version file sits under its own number, production names a registered version and
 * the event that put it there, and history events refer to registered versions.
 */
export function parseRegistryFiles(files: RegistryFiles, source: string): Registry {
  const marker = files.get(MARKER_FILE);
  if (marker === undefined) {
    if (files.size > 0)
      throw new TypeError(
        `Registry ${source} has no ${MARKER_FILE}; expected {"schemaVersion": ${LAYOUT_SCHEMA_VERSION}} beside the model folders.`,
      );
    return { schemaVersion: LAYOUT_SCHEMA_VERSION, models: {} };
  }
  const head = parseStrictJson(marker, `${source}/${MARKER_FILE}`) as { schemaVersion?: unknown };
  if (head && typeof head === 'object' && head.schemaVersion === 1) throw legacyError(source);
  parseFile(MarkerSchema, marker, `${source}/${MARKER_FILE}`);

  const byModel = new Map<
    string,
    { versions: RegistryVersion[]; events: RegistryEvent[]; production: ProductionFile | null }
  >();
  const modelOf = (name: string) => {
    let entry = byModel.get(name);
    if (!entry) {
      entry = { versions: [], events: [], production: null };
      byModel.set(name, entry);
    }
    return entry;
  };
  for (const [path, text] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (path === MARKER_FILE) continue;
    const where = `${source}/${path}`;
    let m = /^([^/]+)\/v(\d+)\/version\.json$/.exec(path);
    if (m) {
      const file = parseFile(VersionFileSchema, text, where);
      if (file.version !== Number(m[2]))
        throw new TypeError(
          `Registry file ${where}: version is ${file.version}; expected ${m[2]}, the folder's number.`,
        );
      const { schemaVersion: _, ...rest } = file;
      modelOf(m[1]!).versions.push({
        ...rest,
        stage: 'staging',
        artifact: registryPaths.artifact(m[1]!, file.version),
      });
      continue;
    }
    m = /^([^/]+)\/production\.json$/.exec(path);
    if (m) {
      modelOf(m[1]!).production = parseFile(ProductionFileSchema, text, where);
      continue;
    }
    m = /^([^/]+)\/history\/([^/]+)\.json$/.exec(path);
    if (m) {
      const { schemaVersion: _, ...event } = parseFile(EventFileSchema, text, where);
      modelOf(m[1]!).events.push({ ...event, id: m[2]! });
      continue;
    }
    throw new TypeError(
      `Registry ${source} has an unexpected file ${path}; expected only the layout's files.`,
    );
  }

  const models: Record<string, ModelEntry> = {};
  for (const [name, entry] of [...byModel].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!MODEL_NAME.test(name))
      throw new TypeError(
        `Registry ${source}: model folder '${name}' is not a valid model name; expected ${MODEL_NAME}.`,
      );
    const versions = entry.versions.sort((a, b) => a.version - b.version);
    const known = new Set(versions.map((v) => v.version));
    // Ids start with the event time, so name order is time order (and stable within one write).
    const history = entry.events.sort((a, b) => (a.id! < b.id! ? -1 : 1));
    for (const e of history) {
      if (!known.has(e.version))
        throw new TypeError(
          `Registry ${source}/${registryPaths.event(name, e.id!)}: refers to v${e.version}, which is not registered.`,
        );
    }
    const production = entry.production;
    if (production?.version != null) {
      const where = `${source}/${registryPaths.production(name)}`;
      if (!known.has(production.version))
        throw new TypeError(
          `Registry file ${where}: production is v${production.version}, which is not registered.`,
        );
      const move = history.find((e) => e.id === production.event);
      if (
        !move ||
        (move.type !== 'promoted' && move.type !== 'rolled_back') ||
        move.version !== production.version
      )
        throw new TypeError(
          `Registry file ${where}: event '${production.event}' is not a promotion or rollback of v${production.version}; the stage file and the history disagree.`,
        );
    }
    const everProduction = new Set(
      history
        .filter((e) => e.type === 'promoted' || e.type === 'rolled_back')
        .map((e) => e.version),
    );
    models[name] = {
      versions: versions.map((v) => ({
        ...v,
        stage:
          v.version === production?.version
            ? 'production'
            : everProduction.has(v.version)
              ? 'archived'
              : 'staging',
      })),
      history,
    };
  }
  return { schemaVersion: LAYOUT_SCHEMA_VERSION, models };
}

/** Reads a registry directory's metadata files; a missing directory is an empty registry. */
export function readRegistryFilesFromDisk(dir: string): RegistryFiles {
  const files: RegistryFiles = new Map();
  if (!existsSync(dir)) return files;
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (isMetadataPath(path)) {
        // A symlink could make the registry read (and later serve) a file outside it.
        if (lstatSync(join(dir, path)).isSymbolicLink())
          throw new TypeError(
            `Registry ${dir}: ${path} is a symbolic link; registry files must be regular files.`,
          );
        files.set(path, readFileSync(join(dir, path), 'utf8'));
      }
    }
  };
  walk('');
  return files;
}

/** Reads and validates the registry in a directory. */
export function readRegistryDir(dir: string): Registry {
  return parseRegistryFiles(readRegistryFilesFromDisk(dir), dir);
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function eventFileText(event: RegistryEvent): string {
  const { id: _, ...rest } = event;
  return json(
    parseToWrite(
      EventFileSchema,
      { schemaVersion: LAYOUT_SCHEMA_VERSION, ...rest },
      'registry event',
    ),
  );
}

/** `20261125T092948134Z-00-promoted-v2-1a2b3c`: time first, so that names sort in time order. */
export function newEventId(event: RegistryEvent, index: number): string {
  const time = event.at.replace(/[-:.]/g, '');
  const random = randomBytes(3).toString('hex');
  return `${time}-${String(index).padStart(2, '0')}-${event.type.replace('_', '-')}-v${event.version}-${random}`;
}

/** The version file's text: what `registerVersion` records, without the derived fields. */
export function versionFileText(version: RegistryVersion): string {
  const { stage: _s, artifact: _a, ...rest } = version;
  return json(
    parseToWrite(
      VersionFileSchema,
      { schemaVersion: LAYOUT_SCHEMA_VERSION, ...rest },
      'registry version file',
    ),
  );
}

/**
 * The files that turn registry `before` into `after`: new version files, one file per new event,
 * and the production file where production moved. Refuses every change the layout does not allow
 * (edited versions, rewritten history), so a bug cannot silently rewrite the past.
 */
export function registryChangeFiles(before: Registry, after: Registry): RegistryFiles {
  const out: RegistryFiles = new Map();
  const hadFiles = Object.keys(before.models).length > 0;
  if (!hadFiles && Object.keys(after.models).length > 0)
    out.set(MARKER_FILE, json({ schemaVersion: LAYOUT_SCHEMA_VERSION }));
  for (const [name, entry] of Object.entries(after.models)) {
    if (!MODEL_NAME.test(name))
      throw new TypeError(`Model name '${name}' is not allowed; expected ${MODEL_NAME}.`);
    const old = before.models[name] ?? { versions: [], history: [] };
    const oldVersions = new Map(old.versions.map((v) => [v.version, v]));
    for (const v of entry.versions) {
      const previous = oldVersions.get(v.version);
      if (!previous) out.set(registryPaths.versionFile(name, v.version), versionFileText(v));
      else if (versionFileText(previous) !== versionFileText(v))
        throw new Error(
          `Registered versions are immutable; the change edits ${name} v${v.version}.`,
        );
    }
    if (old.versions.some((v) => !entry.versions.some((x) => x.version === v.version)))
      throw new Error(
        `Registered versions are never removed; the change removes one of ${name}'s.`,
      );
    const oldIds = new Set(old.history.map((e) => e.id));
    if (
      entry.history.length < old.history.length ||
      old.history.some(
        (e, i) => entry.history[i] !== e && JSON.stringify(entry.history[i]) !== JSON.stringify(e),
      )
    )
      throw new Error(`History is append-only; the change rewrites ${name}'s.`);
    const added = entry.history.slice(old.history.length);
    let lastMove: RegistryEvent | null = null;
    added.forEach((event, i) => {
      const id = event.id && !oldIds.has(event.id) ? event.id : newEventId(event, i);
      event.id = id;
      out.set(registryPaths.event(name, id), eventFileText(event));
      if (event.type === 'promoted' || event.type === 'rolled_back') lastMove = event;
    });
    const prodBefore = old.versions.find((v) => v.stage === 'production')?.version ?? null;
    const prodAfter = entry.versions.find((v) => v.stage === 'production')?.version ?? null;
    if (prodBefore !== prodAfter || lastMove) {
      const move = lastMove as RegistryEvent | null;
      if (prodAfter !== null && (!move || move.version !== prodAfter))
        throw new Error(
          `Production of ${name} moves to v${prodAfter} without a promoted or rolled_back event for it.`,
        );
      out.set(
        registryPaths.production(name),
        json(
          parseToWrite(
            ProductionFileSchema,
            {
              schemaVersion: LAYOUT_SCHEMA_VERSION,
              version: prodAfter,
              event: move?.id ?? 'cleared',
            },
            'production pointer',
          ),
        ),
      );
    }
  }
  for (const name of Object.keys(before.models))
    if (!after.models[name])
      throw new Error(`Models are never removed; the change removes '${name}'.`);
  return out;
}

/**
 * Writes the files of a change durably. New version and event files come first and the production
 * file last, so a crash part-way leaves extra unreferenced facts at worst, never a production file
 * that points at an event that is not there.
 */
export function writeRegistryFiles(dir: string, files: RegistryFiles): void {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, '.gitignore'))) writeFileDurable(join(dir, '.gitignore'), GITIGNORE);
  const ordered = [...files].sort(([a], [b]) => rank(a) - rank(b));
  for (const [path, text] of ordered) {
    const target = join(dir, path);
    mkdirSync(join(target, '..'), { recursive: true });
    writeJsonAtomic(target, text);
  }
}

function rank(path: string): number {
  // The marker first (a reader refuses model folders without it), the production file last.
  if (path === MARKER_FILE) return 0;
  if (path.endsWith('/production.json')) return 2;
  return 1;
}

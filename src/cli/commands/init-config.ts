import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parseConfig } from '../../config/config.js';

/** The config file as a JSON object, exactly as written: no defaults filled in. */
export type ConfigJson = Record<string, unknown> & {
  model?: Record<string, unknown>;
  data?: Record<string, unknown>;
};

/** What init finds at the config's path before it writes. */
export type ExistingConfig =
  | { state: 'none' }
  | { state: 'valid'; json: ConfigJson; text: string }
  | { state: 'invalid'; problem: string; text: string };

/** The settings init takes from its flags; everything else in a config is the owner's. */
export interface InitSettings {
  dataPath: string;
  target: string;
  positiveClass: string;
  /** --name, if given. */
  name: string | undefined;
  /** The name a new config gets without --name (from the CSV's file name). */
  defaultName: string;
  registryPath: string;
}

/** Reads and validates the config at `file`, without throwing: an invalid one says why. */
export function readExistingConfig(file: string, label: string): ExistingConfig {
  if (!existsSync(file)) return { state: 'none' };
  const text = readFileSync(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { state: 'invalid', problem: `not valid JSON: ${(error as Error).message}.`, text };
  }
  try {
    parseConfig(json, label);
  } catch (error) {
    return { state: 'invalid', problem: (error as Error).message, text };
  }
  return { state: 'valid', json: json as ConfigJson, text };
}

/**
 * The config init writes: the existing one with only what the flags say set in it (the data
 * path, target and positive class, and the model name when --name is given), so re-running init
 * to regenerate the workflow callers never drops a tuned setting such as `promotion` or
 * `model.card`; a new data path drops the old file's `url`, `sha256`, `source` and `licence`.
 * Without an existing config, a new one with every other setting at its default.
 * Example: `{…, promotion: {metric: 'rocAuc'}}` with `--target churned` keeps `promotion`.
 */
export function mergeConfig(existing: ConfigJson | undefined, init: InitSettings): ConfigJson {
  const data = { path: init.dataPath, target: init.target, positiveClass: init.positiveClass };
  if (existing === undefined)
    return {
      schemaVersion: 1,
      model: { name: init.name ?? init.defaultName },
      data: { ...data, features: null },
      registry: { path: init.registryPath },
    };
  // Another data file: what described the old one (where it is downloaded from, its checksum, its
  // provenance on the model card) goes with it, or the next train would download the old file
  // over the new one (data.url/data.sha256) and the card would cite the old dataset.
  const sameFile = existing.data?.path === init.dataPath;
  const {
    url: _url,
    sha256: _sha256,
    source: _source,
    licence: _licence,
    ...kept
  } = existing.data ?? {};
  return {
    ...existing,
    model: { ...existing.model, ...(init.name === undefined ? {} : { name: init.name }) },
    data: { ...(sameFile ? existing.data : kept), ...data },
  };
}

/**
 * The settings that differ between two configs, as `data.target "a" → "b"`, for the message
 * that asks for --force; deeper fields are compared whole.
 */
export function changedSettings(before: ConfigJson, after: ConfigJson): string[] {
  const changes: string[] = [];
  const keys = (a: unknown, b: unknown) => [
    ...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]),
  ];
  const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
  for (const key of keys(before, after)) {
    const [a, b] = [before[key], after[key]];
    if (isDeepStrictEqual(a, b)) continue;
    const nested = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (nested(a) && nested(b)) {
      for (const sub of keys(a, b)) {
        const [x, y] = [(a as ConfigJson)[sub], (b as ConfigJson)[sub]];
        if (!isDeepStrictEqual(x, y)) changes.push(`${key}.${sub} ${show(x)} → ${show(y)}`);
      }
    } else changes.push(`${key} ${show(a)} → ${show(b)}`);
  }
  return changes;
}

/** `file.bak`, or `file.bak.1`, `.bak.2`, … when that exists: a backup never replaces another. */
export function freeBackupPath(file: string, exists: (path: string) => boolean): string {
  if (!exists(`${file}.bak`)) return `${file}.bak`;
  for (let n = 1; ; n++) if (!exists(`${file}.bak.${n}`)) return `${file}.bak.${n}`;
}

/**
 * The image's model folder: `model.json`, its `.sha256` sidecar and `model-info.json`, which says
 * which registry version the image serves. This module owns `model-info.json`; the image build
 * writes it (`oncoclear registry export-model`) and the service reads it.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { loadArtifact, writeSidecar } from '../model/artifact.js';
import { findVersion, loadRegisteredArtifact, productionVersion } from '../registry/operations.js';
import type { RegistryStore } from '../registry/store.js';
import { describeIssue } from '../util/format-issue.js';
import { formatJson, writeJsonAtomic } from '../util/json-file.js';

export const MODEL_INFO_FILE = 'model-info.json';

export const ModelInfoSchema = z.strictObject({
  name: z.string().min(1),
  /** Registry version, or null for a loose artifact baked without a registry. */
  version: z.number().int().positive().nullable(),
  stage: z.string(),
  sha256: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

export interface ExportModelInput {
  /** The registry to take the model from, or null with `file`. */
  store: RegistryStore | null;
  model?: string;
  /** `production` or a version number. */
  version?: number | 'production';
  /** A loose artifact instead of a registry version; it must carry its sidecar. */
  file?: string;
}

/** Resolves the model an image serves, checksum-verified, without writing anything. */
export function resolveModel(input: ExportModelInput): { source: string; info: ModelInfo } {
  if (input.file) {
    const { artifact, sha256 } = loadArtifact(input.file, undefined, { requireChecksum: true });
    return {
      source: input.file,
      info: { name: artifact.name, version: null, stage: 'unregistered', sha256 },
    };
  }
  if (!input.store) throw new Error('Pass a registry or a model file to export.');
  const store = input.store;
  const registry = store.read();
  const names = Object.keys(registry.models);
  const name = input.model || (names.length === 1 ? names[0]! : '');
  if (!registry.models[name])
    throw new Error(
      `Model '${name}' is not in the registry at '${store.dir}'; it has: ${names.join(', ') || 'none'}.`,
    );
  const wanted = input.version ?? 'production';
  const chosen =
    wanted === 'production'
      ? productionVersion(registry, name)
      : findVersion(registry, name, wanted);
  if (!chosen) {
    const have = registry.models[name]!.versions.map((v) => `v${v.version} (${v.stage})`);
    throw new Error(
      `Registry ${store.dir} has no production version of '${name}'; versions: ${have.join(', ') || 'none'}.`,
    );
  }
  const loaded = loadRegisteredArtifact(store, name, chosen.version, registry);
  return {
    source: store.resolve(chosen.artifact),
    info: { name, version: chosen.version, stage: chosen.stage, sha256: loaded.sha256 },
  };
}

/** Copies the resolved model into `out` with its sidecar and `model-info.json`. */
export function exportModel(input: ExportModelInput, out: string): ModelInfo {
  const { source, info } = resolveModel(input);
  mkdirSync(out, { recursive: true });
  const target = join(out, 'model.json');
  copyFileSync(source, target);
  loadArtifact(target, info.sha256); // the copy verifies too
  writeSidecar(target, info.sha256);
  writeJsonAtomic(join(out, MODEL_INFO_FILE), formatJson(info));
  return info;
}

/** Reads `model-info.json` beside a model file, or null when there is none or it is invalid. */
export function readModelInfo(modelFile: string): ModelInfo | null {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(modelFile, '..', MODEL_INFO_FILE), 'utf8'));
  } catch {
    return null;
  }
  const parsed = ModelInfoSchema.safeParse(json);
  if (!parsed.success) {
    throw new TypeError(
      `${join(modelFile, '..', MODEL_INFO_FILE)}: ${describeIssue(parsed.error, json)}.`,
    );
  }
  return parsed.data;
}

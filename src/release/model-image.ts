/**
 * The build context of a model image: a thin layer on the model-free serving base image
 * (service/Dockerfile), holding one verified model and nothing else.
 *
 *   writeModelImageContext(input: ModelImageContextInput): ModelImageContext
 *
 *   input  = { store: RegistryStore | null, model?: string, version?: number | 'production',
 *              file?: string,                 // what to bake: as exportModel (./model-info.ts)
 *              baseImage: string,             // e.g. 'ghcr.io/o/r/oncoclear-base@sha256:<64 hex>'
 *              labels?: { source?, revision?, version? },   // OCI labels of the model image
 *              outDir: string }               // new or empty directory
 *   result = { dir, dockerfile: '<dir>/Dockerfile', modelDir: '<dir>/model',
 *              info: ModelInfo, labels: Record<string, string> }
 *
 * It writes `<outDir>/Dockerfile` (see {@link modelDockerfile}: ARG BASE_IMAGE defaulting to the
 * given base, FROM it, LABELs, one COPY; no RUN, so the build needs no npm and no network beyond
 * the base) and `<outDir>/model/{model.json, model.json.sha256, model-info.json}` through
 * `exportModel`, which verifies the artifact against the registry's sha256 (or the loose file's
 * sidecar) and refuses a mismatch before anything is written. Build it with
 * `buildah bud <outDir>` or `docker build <outDir>`; CLI:
 * `oncoclear registry export-model --image-context DIR --base IMAGE`.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/json-file.js';
import { type ExportModelInput, exportModel, type ModelInfo } from './model-info.js';

/** Where the base image's service looks for the model first, as KServe mounts it. */
export const MODEL_MOUNT = '/mnt/models';

export interface ModelImageLabels {
  /** Repository URL (org.opencontainers.image.source). */
  source?: string;
  /** Git commit of the release (org.opencontainers.image.revision). */
  revision?: string;
  /** Release version (org.opencontainers.image.version); the base image's when not given. */
  version?: string;
}

export interface ModelImageContextInput extends ExportModelInput {
  /** The serving base image; pinned by digest (`name@sha256:…`) for a reproducible release. */
  baseImage: string;
  labels?: ModelImageLabels;
  /** A new or empty directory for the context. */
  outDir: string;
}

export interface ModelImageContext {
  dir: string;
  dockerfile: string;
  modelDir: string;
  /** The exported model: name, registry version, stage, sha256. */
  info: ModelInfo;
  /** Every LABEL the Dockerfile sets, as written. */
  labels: Record<string, string>;
}

/**
 * An image reference as registries accept it: lower-case path components (an optional
 * `host[:port]` first), an optional tag, and a digest that is a whole sha256. Registries refuse
 * capitals in a repository name, so they are refused here, before a build.
 */
const IMAGE_REFERENCE =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::\w[\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;

/** Refuses a base image reference that is not one, quoting it. */
export function checkBaseImage(baseImage: string): string {
  if (!IMAGE_REFERENCE.test(baseImage)) {
    throw new TypeError(
      `Base image '${baseImage}' is not an image reference; expected a lower-case NAME[:TAG][@sha256:<64 hex>], e.g. ghcr.io/owner/repo/oncoclear-base@sha256:….`,
    );
  }
  return baseImage;
}

/** The labels a model image carries, from its model and the release's source facts. */
export function modelImageLabels(
  info: ModelInfo,
  baseImage: string,
  labels: ModelImageLabels = {},
): Record<string, string> {
  const version = info.version === null ? 'unregistered' : `v${info.version}`;
  const [baseName, baseDigest] = baseImage.split('@');
  return {
    'org.opencontainers.image.title': info.name,
    'org.opencontainers.image.description': `OncoClear serving image with model ${info.name} ${version} (${info.sha256})`,
    ...(labels.source ? { 'org.opencontainers.image.source': labels.source } : {}),
    ...(labels.revision ? { 'org.opencontainers.image.revision': labels.revision } : {}),
    ...(labels.version ? { 'org.opencontainers.image.version': labels.version } : {}),
    // OCI's own keys for "built on": what a scanner follows to the base's provenance.
    'org.opencontainers.image.base.name': baseName!,
    ...(baseDigest ? { 'org.opencontainers.image.base.digest': baseDigest } : {}),
    'org.oncoclear.model.name': info.name,
    'org.oncoclear.model.version': info.version === null ? 'unregistered' : String(info.version),
    'org.oncoclear.model.stage': info.stage,
    'org.oncoclear.model.sha256': info.sha256,
  };
}

/**
 * The model image's Dockerfile. BASE_IMAGE defaults to the base it was generated for, so the
 * file alone says what it builds on, and a build can still pass another with --build-arg.
 */
export function modelDockerfile(baseImage: string, labels: Record<string, string>): string {
  const labelLines = Object.entries(labels).map(([k, v]) => `${k}=${dockerQuote(v)}`);
  return [
    '# OncoClear model image: the model-free serving base plus one verified model.',
    '# Generated by `oncoclear registry export-model --image-context`; no RUN, so no npm.',
    `ARG BASE_IMAGE=${checkBaseImage(baseImage)}`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile variable, not JS.
    'FROM ${BASE_IMAGE}',
    `LABEL ${labelLines.join(' \\\n      ')}`,
    // Root-owned, mode from the context (0644): read-only to the service's uid 10001.
    `COPY model/ ${MODEL_MOUNT}/`,
    '',
  ].join('\n');
}

/** Writes a model image's build context; see the top of this file. */
export function writeModelImageContext(input: ModelImageContextInput): ModelImageContext {
  const { outDir, baseImage, labels, ...source } = input;
  checkBaseImage(baseImage);
  mkdirSync(outDir, { recursive: true });
  const present = readdirSync(outDir);
  if (present.length > 0) {
    throw new Error(
      `Image context '${outDir}' is not empty (it holds ${present.slice(0, 5).join(', ')}); expected a new or empty directory.`,
    );
  }
  const modelDir = join(outDir, 'model');
  const info = exportModel(source, modelDir);
  const all = modelImageLabels(info, baseImage, labels);
  const dockerfile = join(outDir, 'Dockerfile');
  writeJsonAtomic(dockerfile, modelDockerfile(baseImage, all));
  return { dir: outDir, dockerfile, modelDir, info, labels: all };
}

/** A double-quoted Dockerfile word: `\`, `"` and `$` escaped; a newline is refused. */
function dockerQuote(value: string): string {
  if (/[\r\n]/.test(value))
    throw new TypeError(
      `Label value ${JSON.stringify(value)} has a line break; expected one line.`,
    );
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

import { mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { sha256 } from '../data/fingerprint.js';
import { CrossValidationSchema } from '../evaluate/cross-validation-schema.js';
import { MetricsSchema } from '../evaluate/metrics-schema.js';
import { PreprocessingSchema } from '../features/preprocessing.js';
import { describeIssue, parseToWrite } from '../util/format-issue.js';
import { writeJsonAtomic } from '../util/json-file.js';
import { LogisticModelSchema } from './logistic-model.js';

export const ARTIFACT_SCHEMA_VERSION = 1;
export const ARTIFACT_KIND = 'oncoclear.model';

export const LineageSchema = z.strictObject({
  /** `sha256:` of the training CSV's bytes. */
  dataSha256: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  dataPath: z.string(),
  /** Where the data was downloaded from, when the config names `data.url`. */
  dataUrl: z.string().optional(),
  dataRows: z.number().int().positive(),
  configHash: z.string(),
  /** Git commit the training ran on, when known. */
  commit: z.string().nullable(),
  createdAt: z.string().datetime(),
  packageVersion: z.string(),
  split: z.strictObject({
    testFraction: z.number(),
    seed: z.number().int(),
    stratified: z.boolean(),
    trainRows: z.number().int(),
    testRows: z.number().int(),
    /** Hash of the test row indices, so a re-split can prove it chose the same rows. */
    testRowsHash: z.string(),
  }),
});

export const OperatingPointSchema = z.strictObject({
  threshold: z.number().gt(0).lt(1),
  rule: z.enum(['fixed', 'sensitivity', 'specificity', 'youden']),
  target: z.number().nullable(),
  /** `out-of-fold`: chosen on cross-validated predictions of the training rows, never the test rows. */
  chosenOn: z.enum(['config', 'out-of-fold']),
});
export type OperatingPoint = z.infer<typeof OperatingPointSchema>;

/** The threshold an artifact's labels use: its operating point, or 0.5 for older artifacts. */
export function operatingThreshold(artifact: Pick<Artifact, 'operatingPoint'>): number {
  return artifact.operatingPoint?.threshold ?? 0.5;
}

export const ArtifactSchema = z.strictObject({
  kind: z.literal(ARTIFACT_KIND),
  schemaVersion: z.literal(ARTIFACT_SCHEMA_VERSION),
  name: z.string().min(1),
  features: z.array(z.string()).min(1),
  target: z.string(),
  /** `[negative, positive]`. */
  classes: z.tuple([z.string(), z.string()]),
  positiveClass: z.string(),
  preprocessing: PreprocessingSchema,
  model: LogisticModelSchema,
  metrics: z.strictObject({
    train: MetricsSchema,
    test: MetricsSchema,
    /** The held-out metrics at 0.5 as well, when the operating threshold is another value. */
    testAtDefault: MetricsSchema.optional(),
  }),
  lineage: LineageSchema,
  // Added after the first artifacts were written: optional, so those still load (at 0.5).
  /** The decision threshold every consumer applies, and how it was chosen. */
  operatingPoint: OperatingPointSchema.optional(),
  /** Cross-validation of the recipe on the training part. */
  crossValidation: CrossValidationSchema.optional(),
});
export type Artifact = z.infer<typeof ArtifactSchema>;
export type Lineage = z.infer<typeof LineageSchema>;

/** Validates a parsed artifact, refusing unknown kinds and versions with a clear message. */
export function parseArtifact(json: unknown, source = 'artifact'): Artifact {
  const head = json as { kind?: unknown; schemaVersion?: unknown } | null;
  if (!head || typeof head !== 'object' || head.kind !== ARTIFACT_KIND) {
    throw new TypeError(
      `${source} is not an OncoClear model: kind is ${JSON.stringify(head?.kind)}; expected "${ARTIFACT_KIND}".`,
    );
  }
  if (head.schemaVersion !== ARTIFACT_SCHEMA_VERSION) {
    throw new TypeError(
      `${source} has schemaVersion ${JSON.stringify(head.schemaVersion)}; this build reads ${ARTIFACT_SCHEMA_VERSION}. Retrain it or use a matching oncoclear.`,
    );
  }
  // jitless: an artifact is parsed once per load, and compiling zod's fast path for this large
  // schema costs more than it saves (10 ms against 3.6 ms on the serve start path). The same
  // checks run either way.
  const result = ArtifactSchema.safeParse(json, { jitless: true });
  if (!result.success) throw new TypeError(`${source}: ${describeIssue(result.error, json)}.`);
  const a = result.data;
  const p = a.features.length;
  for (const [field, length] of [
    ['model.coefficients', a.model.coefficients.length],
    ['preprocessing.fill', a.preprocessing.fill.length],
    ['preprocessing.mean', a.preprocessing.mean.length],
    ['preprocessing.scale', a.preprocessing.scale.length],
  ] as const) {
    if (length !== p)
      throw new TypeError(
        `${source}: ${field} has ${length} values; expected ${p}, one per feature.`,
      );
  }
  if (!a.classes.includes(a.positiveClass) || a.classes[1] !== a.positiveClass) {
    throw new TypeError(`${source}: positiveClass '${a.positiveClass}' must be classes[1].`);
  }
  return a;
}

/** Two-space JSON with a trailing newline; key order follows the schema, so diffs stay clean. */
export function serializeArtifact(artifact: Artifact): string {
  return `${JSON.stringify(parseToWrite(ArtifactSchema, artifact, 'model artifact'), null, 2)}\n`;
}

/** The `.sha256` sidecar's text: `sha256sum` format, so `sha256sum -c` verifies the file. */
export function sidecarText(checksum: string, fileName: string): string {
  return `${checksum.slice('sha256:'.length)}  ${fileName}\n`;
}

/** Writes `<file>.sha256` for a file whose checksum is known; the one writer of the sidecar. */
export function writeSidecar(file: string, checksum: string): void {
  writeJsonAtomic(`${file}.sha256`, sidecarText(checksum, basename(file)));
}

/** Reads a `.sha256` sidecar as `sha256:<hex>`, or null when there is none. */
export function readSidecar(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(`${file}.sha256`, 'utf8');
  } catch {
    return null;
  }
  const hex = text.trim().split(/\s+/)[0] ?? '';
  return hex.startsWith('sha256:') ? hex : `sha256:${hex}`;
}

/** Writes the artifact atomically and a `.sha256` sidecar; returns the checksum. */
export function saveArtifact(file: string, artifact: Artifact): string {
  const text = serializeArtifact(artifact);
  mkdirSync(dirname(file), { recursive: true });
  writeJsonAtomic(file, text);
  const checksum = sha256(text);
  writeSidecar(file, checksum);
  return checksum;
}

/** An artifact held in memory with its serialised bytes and checksum, as `loadArtifact` returns. */
export function artifactBytes(artifact: Artifact): LoadedArtifact {
  const text = serializeArtifact(artifact);
  return { artifact, sha256: sha256(text), bytes: Buffer.from(text) };
}

export interface LoadedArtifact {
  artifact: Artifact;
  sha256: string;
  /** The verified bytes, so a caller that copies the file need not read it again. */
  bytes: Buffer;
}

/**
 * Reads an artifact and checks its SHA-256 against `expectedSha256` (from the registry) or, when
 * not given, the `.sha256` sidecar if one exists (required with `requireChecksum`). A mismatch
 * throws; nothing half-trusted is returned.
 */
export function loadArtifact(
  file: string,
  expectedSha256?: string,
  options: { requireChecksum?: boolean } = {},
): LoadedArtifact {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new Error(
      `Model file '${file}' not found; expected a JSON artifact written by 'oncoclear train'.`,
    );
  }
  const actual = sha256(bytes);
  let expected = expectedSha256;
  if (!expected) {
    expected = readSidecar(file) ?? undefined;
  }
  if (!expected && options.requireChecksum) {
    throw new Error(
      `No checksum for '${file}': expected a '${file}.sha256' sidecar (written by 'oncoclear train') or a registry entry; refusing to serve an unverified model.`,
    );
  }
  if (expected && expected !== actual) {
    // Where the expected checksum came from says what changed after it was recorded.
    const recordedBy = expectedSha256
      ? 'the registry recorded'
      : `its sidecar '${file}.sha256' records`;
    throw new Error(
      `Checksum mismatch for '${file}': ${recordedBy} ${expected}, the file has ${actual}. The artifact was changed after its checksum was written; refusing to load it.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new TypeError(`Model file '${file}' is not valid JSON: ${(error as Error).message}.`);
  }
  return { artifact: parseArtifact(json, file), sha256: actual, bytes };
}

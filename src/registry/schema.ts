import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MetricsSchema } from '../evaluate/metrics.js';
import { describeIssue } from '../util/format-issue.js';

export const REGISTRY_SCHEMA_VERSION = 1;
export const STAGES = ['staging', 'production', 'archived'] as const;
export type Stage = (typeof STAGES)[number];

const Sha256 = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a "sha256:<64 hex>" checksum');

/** The scalar metrics of an artifact's metric set: what the registry keeps (no ROC points). */
const ScalarMetricsSchema = MetricsSchema.pick({
  rows: true,
  accuracy: true,
  precision: true,
  recall: true,
  f1: true,
  rocAuc: true,
  logLoss: true,
});
export type ScalarMetrics = z.infer<typeof ScalarMetricsSchema>;

export const VersionSchema = z.strictObject({
  version: z.number().int().positive(),
  stage: z.enum(STAGES),
  createdAt: z.string().datetime(),
  /** Artifact path relative to the registry directory. */
  artifact: z.string().min(1),
  sha256: Sha256,
  metrics: z.strictObject({ train: ScalarMetricsSchema, test: ScalarMetricsSchema }),
  lineage: z.strictObject({
    commit: z.string().nullable(),
    runUrl: z.string().nullable(),
    dataSha256: Sha256,
    configHash: z.string(),
    testRowsHash: z.string(),
  }),
});
export type RegistryVersion = z.infer<typeof VersionSchema>;

export const EVENT_TYPES = [
  'registered',
  'promoted',
  'archived',
  'rolled_back',
  'released',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EventSchema = z.strictObject({
  at: z.string().datetime(),
  type: z.enum(EVENT_TYPES),
  version: z.number().int().positive(),
  /** Who did it: a GitHub login, a bot, or the local user. */
  actor: z.string().min(1),
  reason: z.string(),
  /** The PR, run or release this event came from, when there is one. */
  link: z.string().nullable(),
  /** For promotions and rollbacks: the version that left production. */
  from: z.number().int().positive().nullable().optional(),
  /** For releases: the pushed image. */
  image: z.strictObject({ digest: z.string(), tags: z.array(z.string()) }).optional(),
});
export type RegistryEvent = z.infer<typeof EventSchema>;

export const ModelEntrySchema = z.strictObject({
  versions: z.array(VersionSchema),
  history: z.array(EventSchema),
});
export type ModelEntry = z.infer<typeof ModelEntrySchema>;

export const RegistrySchema = z.strictObject({
  schemaVersion: z.literal(REGISTRY_SCHEMA_VERSION),
  models: z.record(z.string(), ModelEntrySchema),
});
export type Registry = z.infer<typeof RegistrySchema>;

export const REGISTRY_FILE = 'registry.json';

export function emptyRegistry(): Registry {
  return { schemaVersion: REGISTRY_SCHEMA_VERSION, models: {} };
}

/**
 * Validates registry JSON. Errors name the file and the field; invariants that a schema cannot
 * express (unique versions, at most one production version) are checked here too.
 */
export function parseRegistry(json: unknown, source: string): Registry {
  const head = json as { schemaVersion?: unknown } | null;
  if (head && typeof head === 'object' && head.schemaVersion !== REGISTRY_SCHEMA_VERSION) {
    throw new TypeError(
      `Registry ${source}: schemaVersion is ${JSON.stringify(head.schemaVersion)}; expected ${REGISTRY_SCHEMA_VERSION}.`,
    );
  }
  const result = RegistrySchema.safeParse(json);
  if (!result.success)
    throw new TypeError(`Registry ${source}: ${describeIssue(result.error, json)}.`);
  for (const [name, entry] of Object.entries(result.data.models)) {
    const seen = new Set<number>();
    for (const v of entry.versions) {
      if (seen.has(v.version)) {
        throw new TypeError(
          `Registry ${source}: models.${name} has version ${v.version} twice; expected unique versions.`,
        );
      }
      seen.add(v.version);
    }
    const production = entry.versions.filter((v) => v.stage === 'production');
    if (production.length > 1) {
      throw new TypeError(
        `Registry ${source}: models.${name} has ${production.length} production versions (${production.map((v) => v.version).join(', ')}); expected at most one.`,
      );
    }
  }
  return result.data;
}

/** Two-space JSON in schema key order with a trailing newline, so a stage change is a small diff. */
export function serializeRegistry(registry: Registry): string {
  return `${JSON.stringify(RegistrySchema.parse(registry), null, 2)}\n`;
}

/** Reads and validates a registry file; a missing file is an empty registry. */
export function readRegistryFile(file: string): Registry {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyRegistry();
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(
      `Registry ${file} is not valid JSON (${(error as Error).message}); fix or restore it from git.`,
    );
  }
  return parseRegistry(json, file);
}

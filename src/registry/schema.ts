import { z } from 'zod';
import { MetricsSchema } from '../evaluate/metrics-schema.js';
import { describeIssue } from '../util/format-issue.js';

/** The layout version (see layout.ts); the in-memory view carries it too. */
export const REGISTRY_SCHEMA_VERSION = 2;
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
  // Optional: versions registered before these were reported lack them.
  threshold: true,
  specificity: true,
  npv: true,
  balancedAccuracy: true,
  prAuc: true,
  brier: true,
  intervals: true,
});
export type ScalarMetrics = z.infer<typeof ScalarMetricsSchema>;

export const VersionSchema = z.strictObject({
  version: z.number().int().positive(),
  stage: z.enum(STAGES),
  createdAt: z.string().datetime(),
  /** Artifact path relative to the registry directory; derived from the layout, never stored. */
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
  /** The event's file name in `<model>/history/`; assigned when it is first written. */
  id: z.string().optional(),
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

export function emptyRegistry(): Registry {
  return { schemaVersion: REGISTRY_SCHEMA_VERSION, models: {} };
}

/**
 * The single-file registry of schemaVersion 1 (`registry.json` holding every version and the whole
 * history). Read only by `oncoclear registry migrate`; nothing writes it any more.
 */
export const LegacyRegistrySchema = z.strictObject({
  schemaVersion: z.literal(1),
  models: z.record(
    z.string(),
    z.strictObject({
      versions: z.array(VersionSchema),
      history: z.array(EventSchema.omit({ id: true })),
    }),
  ),
});
export type LegacyRegistry = z.infer<typeof LegacyRegistrySchema>;

/** Validates a legacy registry.json for migration; errors name the file and the field. */
export function parseLegacyRegistry(json: unknown, source: string): LegacyRegistry {
  const result = LegacyRegistrySchema.safeParse(json);
  if (!result.success)
    throw new TypeError(`Registry ${source}: ${describeIssue(result.error, json)}.`);
  return result.data;
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { METRIC_KEYS, type MetricKey } from '../evaluate/metric-catalog.js';
import { describeIssue } from '../util/format-issue.js';

export const CONFIG_SCHEMA_VERSION = 1;
/** The config every command reads unless --config names another (and the one `start` runs on). */
export const DEFAULT_CONFIG_FILE = 'oncoclear.config.json';

/** Any reported metric can rank candidates, in its own direction (metric-catalog.ts). */
export type PolicyMetric = MetricKey;

const SolverSchema = z.enum(['newton', 'ml-logistic-regression']);

export const ConfigSchema = z.strictObject({
  schemaVersion: z.literal(CONFIG_SCHEMA_VERSION),
  model: z.strictObject({
    name: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]{0,62}$/,
        'a lowercase name like "oncoclear": letters a-z, digits and hyphens, at most 63 characters',
      ),
    /**
     * The model card's words about this model's use, which only its owners can write: what it is
     * for, what it must not be used for, and limitations beyond the ones every card states.
     */
    card: z
      .strictObject({
        purpose: z.string().min(1).optional(),
        notFor: z.string().min(1).optional(),
        limitations: z.array(z.string().min(1)).default([]),
      })
      .optional(),
  }),
  data: z
    .strictObject({
      path: z.string().min(1),
      target: z.string().min(1),
      positiveClass: z.string().min(1),
      /** Feature columns in order; null means every column except the target. */
      features: z.array(z.string().min(1)).min(1).nullable().default(null),
      /** Where the data comes from and under which licence, for the model card. */
      source: z.string().nullable().optional(),
      licence: z.string().nullable().optional(),
      /** Data too large for git: downloaded into `path` and verified against `sha256`. */
      url: z.url({ protocol: /^https?$/ }).optional(),
      sha256: z
        .string()
        .regex(/^sha256:[0-9a-f]{64}$/, 'a "sha256:<64 hex>" checksum')
        .optional(),
    })
    .refine((d) => !d.url || d.sha256, {
      message: 'data.url needs data.sha256, the checksum the download must match',
      path: ['sha256'],
    }),
  split: z
    .strictObject({
      testFraction: z.number().gt(0).lt(1).default(0.2),
      seed: z.number().int().default(42),
      stratified: z.boolean().default(true),
    })
    .prefault({}),
  preprocessing: z
    .strictObject({
      impute: z.enum(['median', 'mean']).default('median'),
      standardize: z.boolean().default(true),
    })
    .prefault({}),
  training: z
    .strictObject({
      solver: SolverSchema.default('newton'),
      /** L2 penalty strength (the inverse of scikit-learn's C); the bias is not penalised. */
      l2: z.number().min(0).default(1),
      maxIterations: z.number().int().positive().default(100),
      tolerance: z.number().positive().default(1e-8),
      /** Only for the ml-logistic-regression solver (gradient ascent). */
      learningRate: z.number().positive().default(5e-4),
      numSteps: z.number().int().positive().default(2000),
    })
    .prefault({}),
  promotion: z
    .strictObject({
      metric: z.enum(METRIC_KEYS).default('accuracy'),
      /** The bar the primary metric must reach (a maximum for log loss and Brier); default 0.8 for higher-is-better metrics, none otherwise. */
      minimum: z.number().min(0).optional(),
      minImprovement: z.number().min(0).default(0),
      /** Fewer held-out rows than this cannot promote: a tiny split can flatter any candidate. */
      minTestRows: z.number().int().min(1).default(50),
      /** Compared when production is perfect on the primary metric. */
      secondaryMetric: z.enum(METRIC_KEYS).default('logLoss'),
      /** A paired test on the same rows: exact McNemar, DeLong, a paired t or a paired bootstrap. */
      pairedTest: z
        .strictObject({
          enabled: z.boolean().default(true),
          alpha: z.number().gt(0).lt(1).default(0.05),
        })
        .prefault({}),
      guardrails: z
        .strictObject({
          sensitivity: z
            .strictObject({
              /** Refuse a candidate whose sensitivity is significantly lower (exact McNemar on the positives). */
              noSignificantDrop: z.boolean().default(true),
              /** Optional floor on the candidate's sensitivity at its operating threshold. */
              minimum: z.number().min(0).max(1).nullable().default(null),
            })
            .prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * The operating threshold, chosen on the training part from out-of-fold predictions:
   * {"fixed": 0.5}, {"sensitivity": 0.95}, {"specificity": 0.9} or {"youden": true}.
   */
  threshold: z
    .union(
      [
        z.strictObject({ fixed: z.number().gt(0).lt(1) }),
        z.strictObject({ sensitivity: z.number().gt(0).max(1) }),
        z.strictObject({ specificity: z.number().gt(0).max(1) }),
        z.strictObject({ youden: z.literal(true) }),
      ],
      {
        error:
          'exactly one of {"fixed": p}, {"sensitivity": p}, {"specificity": p} (0 < p < 1) or {"youden": true}',
      },
    )
    .default({ fixed: 0.5 }),
  evaluation: z
    .strictObject({
      crossValidation: z
        .strictObject({
          enabled: z.boolean().default(true),
          folds: z.number().int().min(2).max(20).default(5),
          repeats: z.number().int().min(1).max(10).default(2),
          /**
           * Above this many training rows, cross-validation runs on a seeded stratified sample of
           * them: 10 fits of 10,000 rows estimate the spread well and cost about a second.
           */
          maxRows: z.number().int().positive().default(10_000),
          /**
           * Below this many held-out rows, the candidate's and production's recipes are also
           * compared on the same folds (Nadeau and Bengio), as supporting evidence.
           */
          compareRecipesBelowTestRows: z.number().int().min(0).default(200),
        })
        .prefault({}),
    })
    .prefault({}),
  registry: z.strictObject({ path: z.string().min(1).default('registry') }).prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type TrainingConfig = Config['training'];
export type PromotionPolicyConfig = Config['promotion'];

/** Validates a parsed config object; `source` names the file in the error. */
export function parseConfig(input: unknown, source = 'config'): Config {
  const promotion = (input as { promotion?: Record<string, unknown> } | null)?.promotion;
  if (promotion && typeof promotion === 'object' && 'mcnemar' in promotion) {
    throw new Error(
      `Invalid config ${source}: promotion.mcnemar was replaced by promotion.pairedTest ({"enabled": true, "alpha": 0.05}), which is on by default and picks the test that fits the metric.`,
    );
  }
  const result = ConfigSchema.safeParse(input);
  if (!result.success) {
    throw new Error(`Invalid config ${source}: ${describeIssue(result.error, input)}.`);
  }
  return result.data;
}

/** Reads and validates a JSON config file. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(
      `Config file '${file}' not found. Pass --config FILE or create oncoclear.config.json.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`Config file '${file}' is not valid JSON: ${(error as Error).message}.`);
  }
  return parseConfig(json, file);
}

/** Stable hash of the settings that shape a model, for lineage. Key order does not matter. */
export function configHash(config: Config): string {
  // Where the bytes come from does not shape a model; their checksum does, through the data hash.
  const { source: _s, licence: _l, url: _u, ...data } = config.data;
  const shaping = {
    // Provenance notes do not shape a model.
    data,
    split: config.split,
    preprocessing: config.preprocessing,
    training: config.training,
    // Part of the recipe, but left out at its default so existing configs keep their hash.
    ...('fixed' in config.threshold && config.threshold.fixed === 0.5
      ? {}
      : { threshold: config.threshold }),
  };
  return `sha256:${createHash('sha256').update(stableStringify(shaping)).digest('hex')}`;
}

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    }
    return v;
  });
}

/** The threshold rule as data: which rule and its target. */
export function thresholdRule(config: Config): {
  rule: 'fixed' | 'sensitivity' | 'specificity' | 'youden';
  target: number | null;
} {
  const t = config.threshold;
  if ('fixed' in t) return { rule: 'fixed', target: t.fixed };
  if ('sensitivity' in t) return { rule: 'sensitivity', target: t.sensitivity };
  if ('specificity' in t) return { rule: 'specificity', target: t.specificity };
  return { rule: 'youden', target: null };
}

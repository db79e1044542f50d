import { z } from '@hono/zod-openapi';
import { MAX_ECHO_CHARS } from './errors.js';

// The request/response schemas. Routes validate with them and /openapi.json is generated from
// them, so the docs cannot drift from what the server accepts.

/** A measurement: JSON numbers only; zod's number rejects NaN and ±Infinity (e.g. 1e400). */
export const FeatureValue = z.number({ error: 'expected a finite number' });

// Examples, titles and the feature list in /openapi.json come from the loaded model, not from
// here: service/openapi-model.ts writes them over the document these schemas generate.

/**
 * JSON.parse keeps `"__proto__"` as an own key, but zod copies a parsed object with plain
 * assignment, which drops that one key silently. It is flagged here, before the copy, so it is
 * refused like every other unknown feature name.
 */
const FeatureObject = z.preprocess((value, ctx) => {
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, '__proto__'))
    ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'unknown feature', input: value });
  return value;
}, z.object({}).catchall(FeatureValue));

export const Features = z
  // An object with a catch-all rather than z.record: same acceptance, half the validation cost
  // on the /predict hot path (zod compiles object parsing; records go through a generic loop).
  .union([z.array(FeatureValue), FeatureObject])
  // Its description and its properties (the model's feature names) come from the model too.
  .openapi('Features');

const Explain = z.boolean().optional().openapi({
  description:
    "Also return each feature's contribution to the log-odds of the positive class (default false).",
});

export const PredictRequest = z
  .strictObject({ features: Features, explain: Explain })
  // Its whole-body example (from the model) makes "Try it out" send a plain prediction request.
  .openapi('PredictRequest');

export const ModelRef = z
  .object({
    name: z.string(),
    version: z.string(),
    threshold: z.number().openapi({
      description:
        "The operating threshold the label used: the positive class at a probability ≥ this (the artifact's, chosen in training; 0.5 for older artifacts).",
    }),
  })
  .openapi('ModelRef');

export const Explanation = z
  .object({
    positiveClass: z.string(),
    logit: z.number().openapi({ description: 'Log-odds of the positive class.' }),
    intercept: z.number(),
    contributions: z.record(z.string(), z.number()).openapi({
      description:
        "Coefficient × standardised value for each feature (after the artifact's imputation and scaling), in the model's feature order; intercept + Σ contributions = logit.",
    }),
    top: z
      .array(z.object({ feature: z.string(), contribution: z.number() }))
      .openapi({ description: 'The largest contributions by magnitude, largest first.' }),
  })
  .openapi('Explanation');

const PredictionFields = {
  label: z.string(),
  probabilities: z
    .record(z.string(), z.number())
    .openapi({ description: 'One probability per class, summing to 1.' }),
  predictionId: z.string().openapi({ description: 'Also the `id` of the audit log line.' }),
  explanation: Explanation.optional().openapi({ description: 'Only with `"explain": true`.' }),
};

export const PredictResponse = z
  .object({ ...PredictionFields, model: ModelRef })
  .openapi('PredictResponse');

export const BatchRequest = z
  .strictObject({ instances: z.array(Features).min(1), explain: Explain })
  .openapi('BatchRequest');

export const BatchResponse = z
  .object({ predictions: z.array(z.object(PredictionFields)), model: ModelRef, count: z.number() })
  .openapi('BatchResponse');

export const ErrorResponse = z
  .object({
    error: z.string(),
    details: z
      .object({
        issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
        expected: z.string().optional(),
        expectedFeatures: z.array(z.string()).optional(),
      })
      .passthrough(),
  })
  .openapi('Error');

const ScalarMetrics = z.object({
  rows: z.number(),
  accuracy: z.number(),
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  rocAuc: z.number(),
  logLoss: z.number(),
});

export const ModelInfo = z
  .object({
    name: z.string(),
    version: z.string(),
    sha256: z.string(),
    loadedAt: z.string(),
    features: z.array(z.string()),
    classes: z.array(z.string()),
    positiveClass: z.string(),
    /** The operating threshold every label uses, and how it was chosen. */
    operatingPoint: z.object({
      threshold: z.number(),
      rule: z.string(),
      chosenOn: z.string(),
    }),
    metrics: z.object({ train: ScalarMetrics, test: ScalarMetrics }),
    lineage: z.object({
      commit: z.string().nullable(),
      dataSha256: z.string(),
      dataRows: z.number(),
      configHash: z.string(),
      createdAt: z.string(),
      packageVersion: z.string(),
      split: z.record(z.string(), z.unknown()),
    }),
    registry: z
      .object({
        version: z.number(),
        stage: z.string(),
        registeredAt: z.string().nullable(),
        event: z.record(z.string(), z.unknown()).nullable(),
      })
      .nullable(),
  })
  .openapi('ModelInfo');

export const Health = z
  .object({
    status: z.string(),
    registry: z
      .object({
        serving: z.string().nullable(),
        production: z.number().nullable(),
        stale: z.boolean(),
        staleSince: z.string().nullable(),
      })
      .optional()
      .openapi({
        description:
          "Registry mode: the version served and the registry's production version; stale when they differ (a reload is pending or failing).",
      }),
  })
  .openapi('Health');

// Open Inference Protocol v2 (KServe REST).

/** OIP `$parameters`: values are strings, numbers or booleans only. */
export const OipParameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

export const OipTensor = z.strictObject({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  datatype: z.enum(['FP64', 'FP32']),
  parameters: z.record(z.string(), z.unknown()).optional(),
  data: z.array(z.union([FeatureValue, z.array(FeatureValue)])),
});

export const OipInferRequest = z
  .object({
    id: z
      .string()
      .max(MAX_ECHO_CHARS, `expected at most ${MAX_ECHO_CHARS} characters`)
      .optional()
      .openapi({ description: `Echoed in the response; at most ${MAX_ECHO_CHARS} characters.` }),
    parameters: z.record(z.string(), z.unknown()).optional(),
    inputs: z.array(OipTensor).length(1, 'expected exactly one input tensor'),
    outputs: z
      .array(
        z.object({ name: z.string(), parameters: z.record(z.string(), z.unknown()).optional() }),
      )
      .optional()
      .openapi({
        description:
          'Outputs to return, by name (see the model metadata); omitted: label and probabilities.',
      }),
  })
  .openapi('OipInferRequest');

export const OipInferResponse = z
  .object({
    model_name: z.string(),
    model_version: z.string(),
    id: z.string(),
    outputs: z.array(
      z.object({
        name: z.string(),
        datatype: z.string(),
        shape: z.array(z.number()),
        parameters: OipParameters.optional(),
        data: z.array(z.union([z.string(), z.number()])),
      }),
    ),
  })
  .openapi('OipInferResponse');

export const OipError = z.object({ error: z.string() }).openapi('OipError');

export const OipModelMetadata = z
  .object({
    name: z.string(),
    versions: z.array(z.string()),
    platform: z.string(),
    inputs: z.array(
      z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number()) }),
    ),
    outputs: z.array(
      z.object({
        name: z.string(),
        datatype: z.string(),
        shape: z.array(z.number()),
        parameters: OipParameters.optional().openapi({
          description:
            'For `probabilities`: `class_0`, `class_1` name the class of each column. For `contributions`: columns follow input-0 (GET /model `features`).',
        }),
      }),
    ),
  })
  .openapi('OipModelMetadata');

export const ModelNameParam = z.object({
  name: z.string().openapi({ param: { name: 'name', in: 'path' } }),
});

/** OIP's optional `/versions/{version}` segment: the loaded model's version, as GET /model reports. */
export const ModelVersionParam = ModelNameParam.extend({
  version: z.string().openapi({ param: { name: 'version', in: 'path' } }),
});

// ---------------------------------------------------------------------------------------------
// The /predict hot path checks the common, valid request shapes by hand (zod was 3.7 µs of a
// request in issue 15's profile) and hands anything else to the zod route, which words the error. Each check
// below accepts a subset of what its schema accepts, never more, so a request either gets the
// answer the schema route would give or goes to that route.

/** True for what {@link FeatureValue} accepts: a finite JSON number. */
const isFeatureValue = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** What {@link Features} accepts, checked by hand; false means "let zod decide". */
function isFeatures(value: unknown): value is Record<string, number> | number[] {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isFeatureValue(value[i])) return false;
    return true;
  }
  if (value === null || typeof value !== 'object') return false;
  // `__proto__` is refused by the schema (see FeatureObject); the zod route says so.
  if (Object.hasOwn(value, '__proto__')) return false;
  for (const key in value)
    if (!isFeatureValue((value as Record<string, unknown>)[key])) return false;
  return true;
}

/** An own-keys check for a strict object with these allowed keys and the required one. */
function hasOnlyKeys(body: object, required: string, optional: string): boolean {
  let seen = false;
  for (const key in body) {
    if (key === required) seen = true;
    else if (key !== optional) return false;
  }
  return seen;
}

/** `body` as a {@link PredictRequest} when it plainly is one; null sends it to the zod route. */
export function plainPredictRequest(
  body: unknown,
): { features: Record<string, number> | number[]; explain?: boolean } | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  if (!hasOnlyKeys(body, 'features', 'explain')) return null;
  const { features, explain } = body as { features: unknown; explain?: unknown };
  if (explain !== undefined && typeof explain !== 'boolean') return null;
  if (!isFeatures(features)) return null;
  return explain === undefined ? { features } : { features, explain };
}

/** `body` as a {@link BatchRequest} when it plainly is one; null sends it to the zod route. */
export function plainBatchRequest(
  body: unknown,
): { instances: (Record<string, number> | number[])[]; explain?: boolean } | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  if (!hasOnlyKeys(body, 'instances', 'explain')) return null;
  const { instances, explain } = body as { instances: unknown; explain?: unknown };
  if (explain !== undefined && typeof explain !== 'boolean') return null;
  if (!Array.isArray(instances) || instances.length === 0) return null;
  for (let i = 0; i < instances.length; i++) if (!isFeatures(instances[i])) return null;
  return explain === undefined
    ? { instances: instances as (Record<string, number> | number[])[] }
    : { instances: instances as (Record<string, number> | number[])[], explain };
}

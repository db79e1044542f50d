import { z } from '@hono/zod-openapi';
import { MAX_ECHO_CHARS } from './errors.js';

// The request/response schemas. Routes validate with them and /openapi.json is generated from
// them, so the docs cannot drift from what the server accepts.

/** A measurement: JSON numbers only; zod's number rejects NaN and ±Infinity (e.g. 1e400). */
export const FeatureValue = z.number({ error: 'expected a finite number' });

/** One row: keyed by feature name, or values in the model's feature order. */
/**
 * The first case of the WDBC data set (malignant), so "Try it out" in /docs sends a complete,
 * valid row for the default model.
 */
const EXAMPLE_FEATURES: Record<string, number> = {
  'mean radius': 17.99,
  'mean texture': 10.38,
  'mean perimeter': 122.8,
  'mean area': 1001,
  'mean smoothness': 0.1184,
  'mean compactness': 0.2776,
  'mean concavity': 0.3001,
  'mean concave points': 0.1471,
  'mean symmetry': 0.2419,
  'mean fractal dimension': 0.07871,
  'radius error': 1.095,
  'texture error': 0.9053,
  'perimeter error': 8.589,
  'area error': 153.4,
  'smoothness error': 0.006399,
  'compactness error': 0.04904,
  'concavity error': 0.05373,
  'concave points error': 0.01587,
  'symmetry error': 0.03003,
  'fractal dimension error': 0.006193,
  'worst radius': 25.38,
  'worst texture': 17.33,
  'worst perimeter': 184.6,
  'worst area': 2019,
  'worst smoothness': 0.1622,
  'worst compactness': 0.6656,
  'worst concavity': 0.7119,
  'worst concave points': 0.2654,
  'worst symmetry': 0.4601,
  'worst fractal dimension': 0.1189,
};

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
  .openapi('Features', {
    description:
      "An object keyed by feature name with every feature of the model (see GET /model), or an array of values in the model's feature order.",
    example: EXAMPLE_FEATURES,
  });

const Explain = z.boolean().optional().openapi({
  description:
    "Also return each feature's contribution to the log-odds of the positive class (default false).",
});

export const PredictRequest = z
  .strictObject({ features: Features, explain: Explain })
  // A whole-body example, so "Try it out" in /docs sends a plain prediction request.
  .openapi('PredictRequest', { example: { features: EXAMPLE_FEATURES } });

export const ModelRef = z
  .object({
    name: z.string(),
    version: z.string(),
    threshold: z.number().openapi({
      description:
        "The operating threshold the label used: the positive class at a probability ≥ this (the artifact's, chosen in training; 0.5 for older artifacts).",
    }),
  })
  .openapi('ModelRef', { example: { name: 'oncoclear', version: '3', threshold: 0.5 } });

export const Explanation = z
  .object({
    positiveClass: z.string().openapi({ example: 'malignant' }),
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
  label: z.string().openapi({ example: 'malignant' }),
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
  .openapi('BatchRequest', { example: { instances: [EXAMPLE_FEATURES] } });

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
  .openapi('OipInferRequest', {
    example: {
      inputs: [
        {
          name: 'input-0',
          shape: [1, 30],
          datatype: 'FP64',
          data: Object.values(EXAMPLE_FEATURES),
        },
      ],
    },
  });

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
  name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'oncoclear' }),
});

/** OIP's optional `/versions/{version}` segment: the loaded model's version, as GET /model reports. */
export const ModelVersionParam = ModelNameParam.extend({
  version: z.string().openapi({ param: { name: 'version', in: 'path' }, example: '1' }),
});

import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { type AppDeps, type AppEnv, createRouter, currentModel } from '../deps.js';
import { ApiError, clip } from '../errors.js';
import { predictRows } from '../inference.js';
import {
  ModelNameParam,
  ModelVersionParam,
  OipError,
  OipInferRequest,
  OipInferResponse,
  OipModelMetadata,
} from '../schemas.js';
import type { ServedModel } from '../served-model.js';
import { oipLiveHandler, oipReadyHandler } from './probes.js';

// Open Inference Protocol v2 (the KServe REST dialect), so KServe, Seldon and Triton clients can
// call the model unchanged. Errors on these paths are `{error}` (see errors.ts).

const oipError = (description: string) => ({
  description,
  content: { 'application/json': { schema: OipError } },
});
const status = (key: string) =>
  z.object({ [key]: z.boolean() }).openapi({ example: { [key]: true } });

const serverLive = createRoute({
  method: 'get',
  path: '/v2/health/live',
  tags: ['open inference protocol'],
  summary: 'OIP server liveness',
  responses: {
    200: { description: 'Live', content: { 'application/json': { schema: status('live') } } },
  },
});
const serverReady = createRoute({
  method: 'get',
  path: '/v2/health/ready',
  tags: ['open inference protocol'],
  summary: 'OIP server readiness',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: status('ready') } } },
    503: oipError('Not ready'),
  },
});
const serverMetadata = createRoute({
  method: 'get',
  path: '/v2',
  tags: ['open inference protocol'],
  summary: 'OIP server metadata',
  responses: {
    200: {
      description: 'Server metadata',
      content: {
        'application/json': {
          schema: z.object({
            name: z.string(),
            version: z.string(),
            extensions: z.array(z.string()),
          }),
        },
      },
    },
  },
});

/** The names OIP clients may use for the loaded model: its own, and the alias if one is set. */
function answersTo(deps: AppDeps, model: ServedModel, name: string): boolean {
  return name === model.name || (deps.modelAlias !== undefined && name === deps.modelAlias);
}

/** 404 in OIP shape unless `name` is the loaded model (or its alias); runs before body validation. */
const requireModelName = (deps: AppDeps): MiddlewareHandler<AppEnv> =>
  async function requireModelName(c, next) {
    const name = c.req.param('name') ?? '';
    const version = c.req.param('version');
    const model = deps.holder.current;
    const known = model !== null && answersTo(deps, model, name);
    if (model && known && version !== undefined && version !== model.version) {
      throw new ApiError(404, `Model '${clip(name)}' version '${clip(version)}' not found`, {
        issues: [{ field: 'version', message: `this server serves version '${model.version}'` }],
      });
    }
    if (!model || !known) {
      throw new ApiError(404, `Model '${clip(name)}' not found`, {
        issues: [
          {
            field: 'name',
            message: model
              ? `this server serves '${model.name}'${deps.modelAlias ? ` (alias '${deps.modelAlias}')` : ''}`
              : 'no model is loaded',
          },
        ],
      });
    }
    await next();
  };

const modelMetadata = createRoute({
  method: 'get',
  path: '/v2/models/{name}',
  tags: ['open inference protocol'],
  summary: 'OIP model metadata',
  request: { params: ModelNameParam },
  responses: {
    200: {
      description: 'Model metadata',
      content: { 'application/json': { schema: OipModelMetadata } },
    },
    404: oipError('Unknown model'),
  },
});
const modelReady = createRoute({
  method: 'get',
  path: '/v2/models/{name}/ready',
  tags: ['open inference protocol'],
  summary: 'OIP model readiness',
  request: { params: ModelNameParam },
  responses: {
    200: {
      description: 'Ready',
      content: {
        'application/json': { schema: z.object({ name: z.string(), ready: z.boolean() }) },
      },
    },
    404: oipError('Unknown model'),
  },
});
const infer = createRoute({
  method: 'post',
  path: '/v2/models/{name}/infer',
  tags: ['open inference protocol'],
  summary: 'OIP inference: one FP64/FP32 input tensor of shape [N, features]',
  request: {
    params: ModelNameParam,
    body: { required: true, content: { 'application/json': { schema: OipInferRequest } } },
  },
  responses: {
    200: {
      description: 'Labels and class probabilities',
      content: { 'application/json': { schema: OipInferResponse } },
    },
    400: oipError('Malformed JSON'),
    404: oipError('Unknown model'),
    413: oipError('Too large'),
    415: oipError('Not application/json'),
    422: oipError('Invalid tensor'),
  },
});

/** The outputs a request may name; the last is returned only when asked for. */
const OIP_OUTPUTS = ['label', 'probabilities', 'contributions'] as const;
type OutputName = (typeof OIP_OUTPUTS)[number];
const DEFAULT_OUTPUTS: readonly OutputName[] = ['label', 'probabilities'];

/** Which class each column of `probabilities` is, as OIP parameters (string values only). */
function classColumns(model: ServedModel): Record<string, string> {
  const [negative, positive] = model.artifact.classes;
  return { class_0: negative, class_1: positive };
}

function metadata(model: ServedModel, name: string) {
  const p = model.artifact.features.length;
  return {
    name,
    versions: [model.version],
    // OIP platform names are "<project>_<format>".
    platform: 'oncoclear_logistic-regression',
    inputs: [{ name: 'input-0', datatype: 'FP64', shape: [-1, p] }],
    outputs: [
      {
        name: 'label',
        datatype: 'BYTES',
        shape: [-1],
        parameters: { threshold: model.predictor.threshold },
      },
      {
        name: 'probabilities',
        datatype: 'FP64',
        shape: [-1, model.artifact.classes.length],
        parameters: classColumns(model),
      },
      {
        name: 'contributions',
        datatype: 'FP64',
        shape: [-1, p],
        parameters: {
          description:
            "Per-feature contribution to the log-odds of class_1, columns in input-0's order; returned only when requested; the response's `intercept` parameter completes the sum.",
          class_1: model.artifact.positiveClass,
        },
      },
    ],
  };
}

/**
 * The requested outputs, in request order without repeats; none requested (or `[]`) means label
 * and probabilities. An unknown name is a 422 listing the model's outputs.
 */
function requestedOutputs(outputs: { name: string }[] | undefined): readonly OutputName[] {
  if (!outputs?.length) return DEFAULT_OUTPUTS;
  const chosen: OutputName[] = [];
  const unknown: string[] = [];
  for (const { name } of outputs) {
    const known = OIP_OUTPUTS.find((o) => o === name);
    if (!known) unknown.push(name);
    else if (!chosen.includes(known)) chosen.push(known);
  }
  if (unknown.length) {
    throw new ApiError(422, 'Unknown output', {
      issues: unknown.map((name) => ({
        field: 'outputs',
        message: `'${clip(name)}' is not an output of this model; expected one of ${OIP_OUTPUTS.join(', ')}`,
      })),
    });
  }
  return chosen;
}

/** Splits a tensor's row-major data (flat, or nested one level) into rows of `p` values. */
function tensorRows(
  model: ServedModel,
  tensor: { shape: number[]; data: (number | number[])[] },
  maxRows: number,
): Float64Array[] {
  const p = model.artifact.features.length;
  const [n, width] = tensor.shape;
  if (tensor.shape.length !== 2 || width !== p || !(n! >= 1)) {
    throw new ApiError(422, 'Wrong tensor shape', {
      issues: [
        {
          field: 'inputs[0].shape',
          message: `got [${tensor.shape.join(', ')}]; expected [N, ${p}] with N ≥ 1`,
        },
      ],
      expectedFeatures: model.artifact.features,
    });
  }
  if (n! > maxRows) {
    throw new ApiError(413, 'Too many rows', {
      issues: [
        { field: 'inputs[0].shape', message: `N is ${n}; at most ${maxRows} rows are allowed` },
      ],
    });
  }
  const flat = tensor.data.flat();
  if (flat.length !== n! * p) {
    throw new ApiError(422, 'Tensor data does not match its shape', {
      issues: [
        { field: 'inputs[0].data', message: `got ${flat.length} values; shape says ${n! * p}` },
      ],
    });
  }
  const rows: Float64Array[] = new Array(n);
  for (let i = 0; i < n!; i++) rows[i] = Float64Array.from(flat.slice(i * p, i * p + p));
  return rows;
}

// The same three model routes under OIP's optional `/versions/{version}` segment.
const atVersion = (path: string) =>
  path.replace('/v2/models/{name}', '/v2/models/{name}/versions/{version}');
const modelMetadataAtVersion = createRoute({
  ...modelMetadata,
  path: atVersion(modelMetadata.path),
  request: { params: ModelVersionParam },
});
const modelReadyAtVersion = createRoute({
  ...modelReady,
  path: atVersion(modelReady.path),
  request: { params: ModelVersionParam },
});
const inferAtVersion = createRoute({
  ...infer,
  path: atVersion(infer.path),
  request: { ...infer.request, params: ModelVersionParam },
});

/** OIP inference on the current model; shared by the plain and the versioned route. */
function inferResponse(
  deps: AppDeps,
  body: z.infer<typeof OipInferRequest>,
  name: string,
  startedAt: number,
) {
  const model = currentModel(deps);
  const outputs = requestedOutputs(body.outputs);
  const rows = tensorRows(model, body.inputs[0]!, deps.maxBatchRows);
  // The audit request id is the server's, so it is unique; the client's id is echoed and logged.
  const requestId = deps.newId();
  const predictions = predictRows(deps, model, rows, {
    endpoint: '/v2/models/:name/infer',
    startedAt,
    requestId,
    ...(body.id !== undefined ? { clientId: body.id } : {}),
    explain: outputs.includes('contributions'),
  });
  const n = predictions.length;
  const tensors = outputs.map((output) => {
    if (output === 'label')
      return {
        name: output,
        datatype: 'BYTES',
        shape: [n],
        // The operating threshold the labels used (OIP parameters are strings, numbers, bools).
        parameters: { threshold: model.predictor.threshold },
        data: predictions.map((p) => p.label),
      };
    if (output === 'probabilities') {
      const [negative, positive] = model.artifact.classes;
      const data: number[] = [];
      for (const p of predictions)
        data.push(p.probabilities[negative]!, p.probabilities[positive]!);
      return {
        name: output,
        datatype: 'FP64',
        shape: [n, 2],
        parameters: classColumns(model),
        data,
      };
    }
    const features = model.artifact.features;
    const data: number[] = [];
    for (const p of predictions)
      for (const feature of features) data.push(p.explanation!.contributions[feature]!);
    return {
      name: output,
      datatype: 'FP64',
      shape: [n, features.length],
      parameters: { intercept: model.artifact.model.intercept },
      data,
    };
  });
  return {
    model_name: name,
    model_version: model.version,
    id: body.id ?? requestId,
    outputs: tensors,
  };
}

/** The /v2 routes. */
export function oipRoutes(deps: AppDeps) {
  const app = createRouter(deps);
  app.openapi(serverLive, oipLiveHandler);
  app.openapi(serverReady, oipReadyHandler(deps));
  app.openapi(serverMetadata, (c) =>
    c.json({ name: 'oncoclear', version: deps.serverVersion, extensions: [] }, 200),
  );
  const metadataHandler = (c: Context<AppEnv>) =>
    c.json(metadata(currentModel(deps), c.req.param('name')!), 200);
  const readyHandler = (c: Context<AppEnv>) => {
    currentModel(deps);
    return c.json({ name: c.req.param('name')!, ready: true }, 200);
  };
  const guard = [requireModelName(deps)];
  app.openapi({ ...modelMetadata, middleware: guard }, metadataHandler);
  app.openapi({ ...modelMetadataAtVersion, middleware: guard }, metadataHandler);
  app.openapi({ ...modelReady, middleware: guard }, readyHandler);
  app.openapi({ ...modelReadyAtVersion, middleware: guard }, readyHandler);
  app.openapi({ ...infer, middleware: guard }, (c) =>
    c.json(
      inferResponse(deps, c.req.valid('json'), c.req.valid('param').name, c.get('startedAt')),
      200,
    ),
  );
  app.openapi({ ...inferAtVersion, middleware: guard }, (c) =>
    c.json(
      inferResponse(deps, c.req.valid('json'), c.req.valid('param').name, c.get('startedAt')),
      200,
    ),
  );
  return app;
}

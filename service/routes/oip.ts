import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { packageVersion } from '../../src/cli/context.js';
import { type AppDeps, type AppEnv, createRouter, currentModel } from '../deps.js';
import { ApiError } from '../errors.js';
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
import { notReadyReason } from './health.js';

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

/** 404 in OIP shape unless `name` is the loaded model; runs before body validation. */
const requireModelName = (deps: AppDeps): MiddlewareHandler<AppEnv> =>
  async function requireModelName(c, next) {
    const name = c.req.param('name');
    const version = c.req.param('version');
    const model = deps.holder.current;
    if (model && name === model.name && version !== undefined && version !== model.version) {
      throw new ApiError(404, `Model '${name}' version '${version}' not found`, {
        issues: [{ field: 'version', message: `this server serves version '${model.version}'` }],
      });
    }
    if (!model || name !== model.name) {
      throw new ApiError(404, `Model '${name}' not found`, {
        issues: [
          {
            field: 'name',
            message: model ? `this server serves '${model.name}'` : 'no model is loaded',
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

function metadata(model: ServedModel) {
  const p = model.artifact.features.length;
  return {
    name: model.name,
    versions: [model.version],
    platform: 'oncoclear-logistic-regression',
    inputs: [{ name: 'input-0', datatype: 'FP64', shape: [-1, p] }],
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probabilities', datatype: 'FP64', shape: [-1, model.artifact.classes.length] },
    ],
  };
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
function inferResponse(deps: AppDeps, body: z.infer<typeof OipInferRequest>, startedAt: number) {
  const model = currentModel(deps);
  const rows = tensorRows(model, body.inputs[0]!, deps.maxBatchRows);
  const id = body.id ?? deps.newId();
  const predictions = predictRows(deps, model, rows, {
    endpoint: '/v2/models/:name/infer',
    startedAt,
    requestId: id,
  });
  const [negative, positive] = model.artifact.classes;
  const probabilities: number[] = [];
  for (const p of predictions)
    probabilities.push(p.probabilities[negative]!, p.probabilities[positive]!);
  return {
    model_name: model.name,
    model_version: model.version,
    id,
    outputs: [
      {
        name: 'label',
        datatype: 'BYTES',
        shape: [predictions.length],
        data: predictions.map((p) => p.label),
      },
      {
        name: 'probabilities',
        datatype: 'FP64',
        shape: [predictions.length, 2],
        data: probabilities,
      },
    ],
  };
}

/** The /v2 routes. */
export function oipRoutes(deps: AppDeps) {
  const app = createRouter(deps);
  app.openapi(serverLive, (c) => c.json({ live: true }, 200));
  app.openapi(serverReady, (c) => {
    const reason = notReadyReason(deps);
    if (reason) return c.json({ error: `not ready: ${reason}` }, 503);
    return c.json({ ready: true }, 200);
  });
  app.openapi(serverMetadata, (c) =>
    c.json({ name: 'oncoclear', version: packageVersion(), extensions: [] }, 200),
  );
  const metadataHandler = (c: Context<AppEnv>) => c.json(metadata(currentModel(deps)), 200);
  const readyHandler = (c: Context<AppEnv>) =>
    c.json({ name: currentModel(deps).name, ready: true }, 200);
  const guard = [requireModelName(deps)];
  app.openapi({ ...modelMetadata, middleware: guard }, metadataHandler);
  app.openapi({ ...modelMetadataAtVersion, middleware: guard }, metadataHandler);
  app.openapi({ ...modelReady, middleware: guard }, readyHandler);
  app.openapi({ ...modelReadyAtVersion, middleware: guard }, readyHandler);
  app.openapi({ ...infer, middleware: guard }, (c) =>
    c.json(inferResponse(deps, c.req.valid('json'), c.get('startedAt')), 200),
  );
  app.openapi({ ...inferAtVersion, middleware: guard }, (c) =>
    c.json(inferResponse(deps, c.req.valid('json'), c.get('startedAt')), 200),
  );
  return app;
}

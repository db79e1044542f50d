import { createRoute } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from '../deps.js';
import { createRouter, currentModel } from '../deps.js';
import { ApiError } from '../errors.js';
import { predictOne, predictRows, scratchRow, toRow } from '../inference.js';
import {
  BatchRequest,
  BatchResponse,
  ErrorResponse,
  PredictRequest,
  PredictResponse,
  plainBatchRequest,
  plainPredictRequest,
} from '../schemas.js';

const errors = {
  400: {
    description: 'Malformed JSON',
    content: { 'application/json': { schema: ErrorResponse } },
  },
  413: {
    description: 'Body or batch too large',
    content: { 'application/json': { schema: ErrorResponse } },
  },
  415: {
    description: 'Not application/json',
    content: { 'application/json': { schema: ErrorResponse } },
  },
  422: {
    description: 'Invalid or mismatched features; details name the field and expected features',
    content: { 'application/json': { schema: ErrorResponse } },
  },
  503: {
    description: 'No model loaded',
    content: { 'application/json': { schema: ErrorResponse } },
  },
} as const;

const predictRoute = createRoute({
  method: 'post',
  path: '/predict',
  tags: ['predict'],
  summary: 'Classify one tumour from its 30 measurements',
  request: {
    body: { required: true, content: { 'application/json': { schema: PredictRequest } } },
  },
  responses: {
    200: {
      description: 'Prediction',
      content: { 'application/json': { schema: PredictResponse } },
    },
    ...errors,
  },
});

const batchRoute = createRoute({
  method: 'post',
  path: '/predict/batch',
  tags: ['predict'],
  summary: 'Classify many rows in one request (up to the configured maximum)',
  request: {
    body: { required: true, content: { 'application/json': { schema: BatchRequest } } },
  },
  responses: {
    200: { description: 'Predictions', content: { 'application/json': { schema: BatchResponse } } },
    ...errors,
  },
});

type Row = Record<string, number> | number[];

/** The JSON media type exactly as clients send it; anything else takes the zod route. */
export const PLAIN_JSON = /^application\/json(?:;\s*charset=utf-8)?$/i;

/**
 * Scores one plainly valid `POST /predict` body and returns the response body; the one place
 * both the route below and the node-level fast path (service/node/fast-predict.ts) answer it.
 * Throws ApiError (503 without a model, 422 for mismatched or unscorable features) before
 * anything is audited or counted.
 */
export function answerPredict(
  deps: AppDeps,
  { features, explain }: { features: Row; explain?: boolean },
  startedAt: number,
) {
  const model = currentModel(deps);
  // Nothing between here and the response awaits, so one scratch row per model is enough.
  const row = toRow(model, features, 'features', scratchRow(model));
  const p = predictOne(deps, model, row, { endpoint: '/predict', startedAt, explain });
  return {
    label: p.label,
    probabilities: p.probabilities,
    model: { name: model.name, version: model.version, threshold: model.predictor.threshold },
    predictionId: p.predictionId,
    ...(p.explanation ? { explanation: p.explanation } : {}),
  };
}

function predictOneResponse(
  c: Context<AppEnv>,
  deps: AppDeps,
  body: { features: Row; explain?: boolean },
) {
  return c.json(answerPredict(deps, body, c.get('startedAt')), 200);
}

function predictBatchResponse(
  c: Context<AppEnv>,
  deps: AppDeps,
  { instances, explain }: { instances: Row[]; explain?: boolean },
) {
  const model = currentModel(deps);
  if (instances.length > deps.maxBatchRows) {
    throw new ApiError(413, 'Too many rows in batch', {
      issues: [
        {
          field: 'instances',
          message: `got ${instances.length} rows; at most ${deps.maxBatchRows} are allowed`,
        },
      ],
      maxRows: deps.maxBatchRows,
    });
  }
  // Every row is mapped and scored before anything is audited or counted (see predictRows).
  const rows = instances.map((features, i) => toRow(model, features, `instances[${i}]`));
  const predictions = predictRows(deps, model, rows, {
    endpoint: '/predict/batch',
    startedAt: c.get('startedAt'),
    requestId: deps.newId(),
    explain,
  });
  return c.json(
    {
      predictions,
      model: { name: model.name, version: model.version, threshold: model.predictor.threshold },
      count: predictions.length,
    },
    200,
  );
}

/**
 * The hot path in front of a zod route: a request with a plain JSON body of the plainly valid
 * shape is answered here; anything else (another media type, malformed JSON, any doubt about
 * the shape) falls through to the zod route, which words the error exactly as it always has.
 * The parsed body stays in Hono's body cache, so the fall-through does not read it twice.
 */
function hotPath<T>(
  plain: (body: unknown) => T | null,
  answer: (c: Context<AppEnv>, body: T) => Response,
): MiddlewareHandler<AppEnv> {
  return async function hotPath(c, next) {
    const type = c.req.header('content-type');
    if (type === undefined || !PLAIN_JSON.test(type)) return next();
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return next();
    }
    const request = plain(body);
    if (request === null) return next();
    return answer(c, request);
  };
}

/** POST /predict and /predict/batch. */
export function predictRoutes(deps: AppDeps) {
  const app = createRouter(deps);
  // Plain routes (not in the OpenAPI document) registered before the documented zod routes of
  // the same path, which Hono runs next when these fall through.
  app.post(
    '/predict',
    hotPath(plainPredictRequest, (c, body) => predictOneResponse(c, deps, body)),
  );
  app.post(
    '/predict/batch',
    hotPath(plainBatchRequest, (c, body) => predictBatchResponse(c, deps, body)),
  );
  app.openapi(predictRoute, (c) => predictOneResponse(c, deps, c.req.valid('json')));
  app.openapi(batchRoute, (c) => predictBatchResponse(c, deps, c.req.valid('json')));
  return app;
}

import { createRoute } from '@hono/zod-openapi';
import type { AppDeps } from '../deps.js';
import { createRouter, currentModel } from '../deps.js';
import { ApiError } from '../errors.js';
import { predictRows, toRow } from '../inference.js';
import {
  BatchRequest,
  BatchResponse,
  ErrorResponse,
  PredictRequest,
  PredictResponse,
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

/** POST /predict and /predict/batch. */
export function predictRoutes(deps: AppDeps) {
  const app = createRouter(deps);
  app.openapi(predictRoute, (c) => {
    const model = currentModel(deps);
    const { features, explain } = c.req.valid('json');
    const row = toRow(model, features, 'features');
    const [p] = predictRows(deps, model, [row], {
      endpoint: '/predict',
      startedAt: c.get('startedAt'),
      explain,
    });
    return c.json(
      {
        label: p!.label,
        probabilities: p!.probabilities,
        model: { name: model.name, version: model.version, threshold: model.predictor.threshold },
        predictionId: p!.predictionId,
        ...(p!.explanation ? { explanation: p!.explanation } : {}),
      },
      200,
    );
  });
  app.openapi(batchRoute, (c) => {
    const model = currentModel(deps);
    const { instances, explain } = c.req.valid('json');
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
  });
  return app;
}

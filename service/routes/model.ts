import { createRoute } from '@hono/zod-openapi';
import type { Artifact } from '../../src/model/artifact.js';
import { type AppDeps, createRouter, currentModel } from '../deps.js';
import { ErrorResponse, ModelInfo } from '../schemas.js';
import type { ServedModel } from '../served-model.js';

const route = createRoute({
  method: 'get',
  path: '/model',
  tags: ['model'],
  summary: 'The loaded model: version, metrics, lineage and registry provenance',
  responses: {
    200: { description: 'Model metadata', content: { 'application/json': { schema: ModelInfo } } },
    503: {
      description: 'No model loaded',
      content: { 'application/json': { schema: ErrorResponse } },
    },
  },
});

function scalar(m: Artifact['metrics']['test']) {
  const { rows, accuracy, precision, recall, f1, rocAuc, logLoss } = m;
  return { rows, accuracy, precision, recall, f1, rocAuc, logLoss };
}

/**
 * Public metadata of a model. Built from an allow-list of fields: the artifact's data path and
 * anything from the environment are left out, so nothing about the host leaks.
 */
function modelInfo(model: ServedModel) {
  const { artifact } = model;
  const { lineage } = artifact;
  return {
    name: model.name,
    version: model.version,
    sha256: model.sha256,
    loadedAt: new Date(model.loadedAt).toISOString(),
    features: artifact.features,
    classes: artifact.classes,
    positiveClass: artifact.positiveClass,
    operatingPoint: {
      threshold: model.predictor.threshold,
      rule: artifact.operatingPoint?.rule ?? 'fixed',
      chosenOn: artifact.operatingPoint?.chosenOn ?? 'config',
    },
    metrics: { train: scalar(artifact.metrics.train), test: scalar(artifact.metrics.test) },
    lineage: {
      commit: lineage.commit,
      dataSha256: lineage.dataSha256,
      dataRows: lineage.dataRows,
      configHash: lineage.configHash,
      createdAt: lineage.createdAt,
      packageVersion: lineage.packageVersion,
      split: lineage.split,
    },
    registry: model.registry
      ? {
          version: model.registry.version,
          stage: model.registry.stage,
          registeredAt: model.registry.registeredAt,
          event: model.registry.event,
        }
      : null,
  };
}

/** GET /model. */
export function modelRoutes(deps: AppDeps) {
  const app = createRouter(deps);
  app.openapi(route, (c) => c.json(modelInfo(currentModel(deps)), 200));
  return app;
}

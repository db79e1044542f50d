import type { Config, PolicyMetric, PromotionPolicyConfig } from '../config/config.js';
import type { Dataset } from '../data/dataset.js';
import { assertCompatible, evaluateArtifact } from '../evaluate/evaluate.js';
import type { Metrics } from '../evaluate/metrics.js';
import type { Artifact } from '../model/artifact.js';
import { loadRegisteredArtifact, productionVersion } from '../registry/operations.js';
import { type PromotionDecision, promotionDecision } from '../registry/policy.js';
import type { RegistryStore } from '../registry/store.js';
import { type TrainContext, type TrainResult, trainFromConfig } from './train.js';

export interface Comparison {
  candidate: Metrics;
  /** Production scored on the candidate's test rows, or null when there is no production model. */
  production: { version: number; metrics: Metrics } | null;
  decision: PromotionDecision;
}

function correctness(y: Uint8Array, probabilities: Float64Array): Uint8Array {
  const out = new Uint8Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = (probabilities[i]! >= 0.5 ? 1 : 0) === y[i] ? 1 : 0;
  return out;
}

/**
 * Scores the candidate and the production model on the same rows (the candidate's held-out test
 * part) and applies the promotion policy. Unlike comparing numbers recorded at different times on
 * different data, both columns here are measured on identical inputs.
 */
export function compareWithProduction(
  candidate: Artifact,
  candidateVersion: number | null,
  test: Dataset,
  production: { version: number; artifact: Artifact } | null,
  policy: PromotionPolicyConfig,
): Comparison {
  const metric: PolicyMetric = policy.metric;
  const c = evaluateArtifact(candidate, test);
  let prod: { version: number; metrics: Metrics; correct: Uint8Array } | null = null;
  if (production) {
    assertCompatible(production.artifact, test);
    const p = evaluateArtifact(production.artifact, test);
    prod = {
      version: production.version,
      metrics: p.metrics,
      correct: correctness(test.y, p.probabilities),
    };
  }
  const decision = promotionDecision({
    policy,
    candidate: {
      version: candidateVersion,
      value: c.metrics[metric],
      correct: correctness(test.y, c.probabilities),
    },
    production: prod
      ? { version: prod.version, value: prod.metrics[metric], correct: prod.correct }
      : null,
    evaluatedOn: {
      rows: test.rowCount,
      testRowsHash: candidate.lineage.split.testRowsHash,
      dataSha256: candidate.lineage.dataSha256,
    },
  });
  return {
    candidate: c.metrics,
    production: prod ? { version: prod.version, metrics: prod.metrics } : null,
    decision,
  };
}

/** The registry's production version of a model with its checksum-verified artifact, or null. */
export function loadProduction(
  store: RegistryStore,
  model: string,
): { version: number; artifact: Artifact } | null {
  const current = productionVersion(store.read(), model);
  return current
    ? {
        version: current.version,
        artifact: loadRegisteredArtifact(store, model, current.version).artifact,
      }
    : null;
}

/**
 * Trains a candidate and scores it and the registry's production model on the candidate's own
 * test rows: the first half of both the local pipeline and CI's train job.
 */
export function trainAgainstProduction(
  config: Config,
  store: RegistryStore,
  context: TrainContext,
  dataPath = config.data.path,
): { train: TrainResult; comparison: Comparison } {
  const log = context.log ?? (() => {});
  const train = trainFromConfig(config, context, dataPath);
  const production = loadProduction(store, config.model.name);
  log(
    production
      ? `Scoring production v${production.version} on the candidate's test rows`
      : 'No production model yet',
  );
  const comparison = compareWithProduction(
    train.artifact,
    null,
    train.test,
    production,
    config.promotion,
  );
  return { train, comparison };
}

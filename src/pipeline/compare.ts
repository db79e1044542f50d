import type { Config, PromotionPolicyConfig } from '../config/config.js';
import { loadDataset, readCsvHeader } from '../data/csv.js';
import { type Dataset, selectRows } from '../data/dataset.js';
import { compareRecipes, crossValidate, type Recipe } from '../evaluate/cross-validation.js';
import { evaluateArtifact } from '../evaluate/evaluate.js';
import type { Metrics } from '../evaluate/metrics.js';
import { type Artifact, operatingThreshold } from '../model/artifact.js';
import {
  type PolicyInput,
  type PromotionDecision,
  promotionDecision,
} from '../promotion/policy.js';
import { loadRegisteredArtifact, productionVersion } from '../registry/operations.js';
import type { RegistryStore } from '../registry/store.js';
import { type TrainContext, type TrainResult, trainFromConfig } from './train.js';

export interface Comparison {
  candidate: Metrics;
  /** Production scored on the candidate's test rows, or null when there is no production model. */
  production: { version: number; metrics: Metrics } | null;
  decision: PromotionDecision;
}

/**
 * Production's view of the comparison rows when its feature set differs from the candidate's:
 * the same rows read with production's own columns, or the columns the data lacks.
 */
export type ProductionRows = (features: string[]) => Dataset | { missing: string[] };

const sameFeatures = (a: string[], b: string[]) =>
  a.length === b.length && a.every((f, i) => b[i] === f);

/**
 * Scores the candidate and the production model on the same rows (the candidate's held-out test
 * part) and applies the promotion policy. Unlike comparing numbers recorded at different times on
 * different data, both columns here are measured on identical inputs. When production was trained
 * on other features, it is scored on the same rows with its own columns (`productionRows`); when
 * the data no longer holds them, the decision is "not comparable" and names them.
 */
export function compareWithProduction(
  candidate: Artifact,
  candidateVersion: number | null,
  test: Dataset,
  production: { version: number; artifact: Artifact } | null,
  policy: PromotionPolicyConfig,
  productionRows?: ProductionRows,
  recipeComparison?: PolicyInput['recipeComparison'],
): Comparison {
  const c = evaluateArtifact(candidate, test);
  let prodInput: PolicyInput['production'] = null;
  let prodMetrics: { version: number; metrics: Metrics } | null = null;
  if (production) {
    let rows: Dataset | { missing: string[] } = test;
    if (!sameFeatures(production.artifact.features, test.featureNames)) {
      rows = productionRows
        ? productionRows(production.artifact.features)
        : { missing: production.artifact.features.filter((f) => !test.featureNames.includes(f)) };
    }
    if ('missing' in rows) {
      prodInput = { version: production.version, missing: rows.missing };
    } else {
      const p = evaluateArtifact(production.artifact, rows);
      prodInput = {
        version: production.version,
        probabilities: p.probabilities,
        metrics: p.metrics,
        threshold: operatingThreshold(production.artifact),
      };
      prodMetrics = { version: production.version, metrics: p.metrics };
    }
  }
  const decision = promotionDecision({
    policy,
    y: test.y,
    candidate: {
      version: candidateVersion,
      probabilities: c.probabilities,
      metrics: c.metrics,
      threshold: operatingThreshold(candidate),
    },
    production: prodInput,
    recipeComparison: prodMetrics ? (recipeComparison ?? null) : null,
    evaluatedOn: {
      rows: test.rowCount,
      testRowsHash: candidate.lineage.split.testRowsHash,
      dataSha256: candidate.lineage.dataSha256,
    },
  });
  return { candidate: c.metrics, production: prodMetrics, decision };
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
    productionRowsFrom(dataPath, config.data, train.split.test),
    production ? recipeComparisonFor(config, train, production.artifact) : null,
  );
  return { train, comparison };
}

/** Reads production's own columns for the given rows of a CSV, or names the ones it lacks. */
export function productionRowsFrom(
  dataPath: string,
  data: { target: string; positiveClass: string },
  rows: ArrayLike<number>,
): ProductionRows {
  return (features) => {
    const header = new Set(readCsvHeader(dataPath));
    const missing = features.filter((f) => !header.has(f));
    if (missing.length) return { missing };
    return selectRows(loadDataset(dataPath, { ...data, features }), rows);
  };
}

/** The recipe an artifact was trained with, from what it records. */
function recipeOf(artifact: Artifact, config: Config): Recipe {
  const h = artifact.model.hyperparameters;
  const standardized =
    artifact.preprocessing.scale.some((x) => x !== 1) ||
    artifact.preprocessing.mean.some((x) => x !== 0);
  return {
    features: artifact.features,
    preprocessing: { impute: artifact.preprocessing.impute, standardize: standardized },
    training: {
      ...config.training,
      solver: artifact.model.solver,
      ...(Object.fromEntries(Object.entries(h).filter(([, v]) => typeof v === 'number')) as Partial<
        Config['training']
      >),
    },
  };
}

/**
 * On a small held-out set, retrains both recipes on the same repeated folds of the training rows
 * and compares them with the corrected resampled t-test; null when not asked for or not possible
 * (production's columns missing).
 */
function recipeComparisonFor(
  config: Config,
  train: TrainResult,
  production: Artifact,
): PolicyInput['recipeComparison'] {
  const cv = config.evaluation.crossValidation;
  if (!cv.enabled || train.test.rowCount >= cv.compareRecipesBelowTestRows) return null;
  // A small test set on big data: the held-out rows already carry weight; skip the 2 × k fits.
  if (train.split.train.length > cv.maxRows) return null;
  if (!production.features.every((f) => train.data.featureNames.includes(f))) return null;
  const options = { folds: cv.folds, repeats: cv.repeats, seed: config.split.seed };
  const candidate = crossValidate(
    train.data,
    train.split.train,
    recipeOf(train.artifact, config),
    options,
  );
  const baseline = crossValidate(
    train.data,
    train.split.train,
    recipeOf(production, config),
    options,
  );
  const metric = config.promotion.metric;
  const result = compareRecipes(candidate, baseline, metric, {
    candidate: operatingThreshold(train.artifact),
    production: operatingThreshold(production),
  });
  return { metric, ...result, folds: cv.folds, repeats: cv.repeats };
}

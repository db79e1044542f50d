/**
 * What the dashboard is built from: the registry view plus, per version, what its folder holds
 * beyond `version.json` (the artifact's curves, the model card). Reading is the only I/O here; a
 * version whose artifact or card is missing or unreadable still gets a page, with a warning.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Artifact } from '../model/artifact.js';
import { loadArtifact } from '../model/artifact.js';
import { readRegistryDir } from '../registry/layout.js';
import type { Registry } from '../registry/schema.js';
import { MODEL_CARD_JSON, type ModelCard, ModelCardSchema } from '../report/model-card.js';

/** The parts of an artifact a version page shows; the registry keeps only scalar metrics. */
export interface VersionExtras {
  /** The artifact's held-out curves and confusion matrix, when the artifact could be read. */
  test: Pick<Artifact['metrics']['test'], 'roc' | 'calibration' | 'confusion'> | null;
  /** Hyperparameters, preprocessing and features, for the diff. */
  params: Record<string, string | number | boolean>;
  /** The data file the version was trained on, for a link to it at the commit. */
  dataPath: string | null;
  modelCard: ModelCard | null;
}

export interface DashboardInput {
  registry: Registry;
  /** Keyed by `<model>/v<N>`. */
  extras: Map<string, VersionExtras>;
}

export const extrasKey = (model: string, version: number) => `${model}/v${version}`;

/** The diffable settings of an artifact, flattened to `group.key` names. */
export function artifactParams(artifact: Artifact): Record<string, string | number | boolean> {
  const params: Record<string, string | number | boolean> = {
    'model.solver': artifact.model.solver,
    'model.converged': artifact.model.converged,
    'model.iterations': artifact.model.iterations,
    features: artifact.features.length,
    threshold: artifact.operatingPoint?.threshold ?? 0.5,
    'threshold.rule': artifact.operatingPoint?.rule ?? 'fixed',
    'split.testFraction': artifact.lineage.split.testFraction,
    'split.seed': artifact.lineage.split.seed,
    'split.stratified': artifact.lineage.split.stratified,
    'data.rows': artifact.lineage.dataRows,
  };
  for (const [k, v] of Object.entries(artifact.model.hyperparameters)) params[`training.${k}`] = v;
  return params;
}

/** The extras of one artifact already in memory (what tests and the bench use). */
export function extrasOf(artifact: Artifact | null, modelCard: ModelCard | null): VersionExtras {
  return {
    test: artifact
      ? {
          roc: artifact.metrics.test.roc,
          calibration: artifact.metrics.test.calibration,
          confusion: artifact.metrics.test.confusion,
        }
      : null,
    params: artifact ? artifactParams(artifact) : {},
    dataPath: artifact?.lineage.dataPath ?? null,
    modelCard,
  };
}

/** Reads a registry directory and every version's artifact and model card. */
export function readDashboardInput(dir: string, warn: (message: string) => void): DashboardInput {
  const registry = readRegistryDir(dir);
  const extras = new Map<string, VersionExtras>();
  for (const [model, entry] of Object.entries(registry.models)) {
    for (const v of entry.versions) {
      let artifact: Artifact | null = null;
      try {
        artifact = loadArtifact(join(dir, v.artifact), v.sha256).artifact;
      } catch (error) {
        warn(`${model} v${v.version}: no curves on its page (${(error as Error).message})`);
      }
      let card: ModelCard | null = null;
      const cardFile = join(dir, model, `v${v.version}`, MODEL_CARD_JSON);
      if (existsSync(cardFile)) {
        let json: unknown = null;
        try {
          json = JSON.parse(readFileSync(cardFile, 'utf8'));
        } catch (error) {
          warn(
            `${model} v${v.version}: ${MODEL_CARD_JSON} is not JSON (${(error as Error).message}); skipped`,
          );
        }
        const parsed = ModelCardSchema.safeParse(json);
        if (parsed.success) card = parsed.data;
        else if (json !== null)
          warn(`${model} v${v.version}: ${MODEL_CARD_JSON} does not match its schema; skipped`);
      }
      extras.set(extrasKey(model, v.version), extrasOf(artifact, card));
    }
  }
  return { registry, extras };
}

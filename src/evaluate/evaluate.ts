import type { Dataset } from '../data/dataset.js';
import type { Artifact } from '../model/artifact.js';
import { createPredictor } from '../model/predictor.js';
import { computeMetrics, type Metrics } from './metrics.js';

/**
 * Scores an artifact on labelled rows. The dataset's columns and classes must match the model's,
 * by name; a mismatch is an error, never a silent reorder.
 */
export function evaluateArtifact(
  artifact: Artifact,
  data: Dataset,
): { metrics: Metrics; probabilities: Float64Array } {
  assertCompatible(artifact, data);
  const predictor = createPredictor(artifact);
  const probabilities = predictor.probabilities(data.x, data.rowCount);
  return { metrics: computeMetrics(data.y, probabilities, predictor.threshold), probabilities };
}

/** Throws when a dataset's features or classes differ from what the model was trained on. */
export function assertCompatible(artifact: Artifact, data: Dataset): void {
  const same =
    artifact.features.length === data.featureNames.length &&
    artifact.features.every((f, i) => data.featureNames[i] === f);
  if (!same) {
    throw new Error(
      `The data's features do not match model '${artifact.name}': expected ${artifact.features.length} columns [${artifact.features.join(', ')}], got [${data.featureNames.join(', ')}].`,
    );
  }
  if (
    data.positiveClass !== artifact.positiveClass ||
    !data.classes.every((c) => artifact.classes.includes(c))
  ) {
    throw new Error(
      `The data's classes [${data.classes.join(', ')}] do not match the model's [${artifact.classes.join(', ')}].`,
    );
  }
}

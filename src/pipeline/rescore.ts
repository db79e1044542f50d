import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { loadDataset } from '../data/csv.js';
import { selectRows } from '../data/dataset.js';
import { sha256 } from '../data/fingerprint.js';
import { rowsHash, splitRows } from '../data/split.js';
import type { Artifact } from '../model/artifact.js';
import { type Comparison, compareWithProduction } from './compare.js';

/**
 * Re-scores a registered candidate against a (possibly newer) production model on the
 * candidate's own test rows, rebuilt from its lineage: the same data bytes and the same split.
 * Refuses when the data changed since training, because then the rows cannot be reproduced.
 */
export function rescoreCandidate(
  config: Config,
  candidate: { version: number; artifact: Artifact },
  production: { version: number; artifact: Artifact } | null,
  dataPath = candidate.artifact.lineage.dataPath,
): Comparison {
  const { lineage } = candidate.artifact;
  let bytes: Buffer;
  try {
    bytes = readFileSync(dataPath);
  } catch {
    throw new Error(
      `Cannot re-score v${candidate.version}: its training data '${dataPath}' is not in this checkout.`,
    );
  }
  if (sha256(bytes) !== lineage.dataSha256) {
    throw new Error(
      `Cannot re-score v${candidate.version}: '${dataPath}' changed since it was trained (was ${lineage.dataSha256.slice(0, 19)}…, now ${sha256(bytes).slice(0, 19)}…). Retrain to get a fresh candidate.`,
    );
  }
  const data = loadDataset(dataPath, {
    target: candidate.artifact.target,
    positiveClass: candidate.artifact.positiveClass,
    features: candidate.artifact.features,
  });
  const split = splitRows(data.y, lineage.split);
  if (rowsHash(split.test) !== lineage.split.testRowsHash) {
    throw new Error(
      `Cannot re-score v${candidate.version}: its test rows could not be rebuilt from the recorded split (hash mismatch).`,
    );
  }
  return compareWithProduction(
    candidate.artifact,
    candidate.version,
    selectRows(data, split.test),
    production,
    config.promotion,
  );
}

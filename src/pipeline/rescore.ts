import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { loadDataset } from '../data/csv.js';
import { selectRows } from '../data/dataset.js';
import { sha256 } from '../data/fingerprint.js';
import { rowsHash, splitRows } from '../data/split.js';
import type { Artifact } from '../model/artifact.js';
import { type Comparison, compareWithProduction, productionRowsFrom } from './compare.js';

/** Why a candidate cannot be re-scored: the rows it was judged on cannot be rebuilt. */
export class RescoreError extends Error {}

/**
 * Re-scores a registered candidate against a (possibly newer) production model on the rows that
 * `config` (the default branch's, not the candidate's) holds out: the data file it names and the
 * split it sets. Refuses when the data changed since training, or when that split does not give
 * the candidate's recorded test rows, so a candidate trained with a seed or a test fraction chosen
 * to flatter it is not judged on its own rows.
 */
export function rescoreCandidate(
  config: Config,
  candidate: { version: number; artifact: Artifact },
  production: { version: number; artifact: Artifact } | null,
  dataPath = config.data.path,
): Comparison {
  const { lineage } = candidate.artifact;
  let bytes: Buffer;
  try {
    bytes = readFileSync(dataPath);
  } catch {
    throw new RescoreError(
      `Cannot re-score v${candidate.version}: its training data '${dataPath}' is not in this checkout.`,
    );
  }
  if (sha256(bytes) !== lineage.dataSha256) {
    throw new RescoreError(
      `Cannot re-score v${candidate.version}: '${dataPath}' changed since it was trained (was ${lineage.dataSha256.slice(0, 19)}…, now ${sha256(bytes).slice(0, 19)}…). Retrain to get a fresh candidate.`,
    );
  }
  const data = loadDataset(dataPath, {
    target: candidate.artifact.target,
    positiveClass: candidate.artifact.positiveClass,
    features: candidate.artifact.features,
  });
  const split = splitRows(data.y, config.split);
  if (rowsHash(split.test) !== lineage.split.testRowsHash) {
    const s = lineage.split;
    throw new RescoreError(
      `Cannot re-score v${candidate.version}: it was evaluated on a split (seed ${s.seed}, testFraction ${s.testFraction}, ${s.testRows} rows) that the default branch's config (seed ${config.split.seed}, testFraction ${config.split.testFraction}) does not produce; only a candidate trained with that config can be compared.`,
    );
  }
  return compareWithProduction(
    candidate.artifact,
    candidate.version,
    selectRows(data, split.test),
    production,
    config.promotion,
    productionRowsFrom(
      dataPath,
      { target: candidate.artifact.target, positiveClass: candidate.artifact.positiveClass },
      split.test,
    ),
  );
}

import { join } from 'node:path';
import type { Config } from '../config/config.js';
import {
  calibrationMermaid,
  comparisonMarkdown,
  confusionMarkdown,
  metricSetMarkdown,
  metricsMarkdown,
  rocMermaid,
} from '../evaluate/report.js';
import { saveArtifact } from '../model/artifact.js';
import type { RegistryStore } from '../registry/store.js';
import { decisionMarkdown, f4 } from '../report/decision.js';
import { writeJsonAtomic } from '../util/json-file.js';
import { type Comparison, trainAgainstProduction } from './compare.js';
import { writeComparison } from './comparison-file.js';
import type { TrainContext, TrainResult } from './train.js';

export interface CandidateResult {
  train: TrainResult;
  comparison: Comparison;
  artifactFile: string;
  sha256: string;
  comparisonFile: string;
  reportFile: string;
  report: string;
}

/**
 * CI's first step: train a candidate, score production on the candidate's test rows, and write the
 * artifact, the comparison (with the policy's decision) and a Markdown report into `outDir`.
 * Registers nothing: that is a separate job with a write token.
 */
export function trainCandidate(
  config: Config,
  store: RegistryStore,
  outDir: string,
  context: TrainContext & { dataPath?: string },
): CandidateResult {
  const { train, comparison } = trainAgainstProduction(config, store, context, context.dataPath);
  const artifactFile = join(outDir, 'model.json');
  const sha256 = saveArtifact(artifactFile, train.artifact);
  const comparisonFile = join(outDir, 'comparison.json');
  writeComparison(comparisonFile, comparison);
  const report = candidateReport(train, comparison);
  const reportFile = join(outDir, 'report.md');
  writeJsonAtomic(reportFile, report);
  return { train, comparison, artifactFile, sha256, comparisonFile, reportFile, report };
}

/** The training report: decision, comparison, metrics, confusion matrix and ROC chart. */
export function candidateReport(train: TrainResult, comparison: Comparison): string {
  const { artifact } = train;
  return [
    `## OncoClear candidate: \`${artifact.name}\``,
    '',
    decisionMarkdown(comparison.decision),
    '',
    '### Candidate vs production (same test rows)',
    '',
    comparisonMarkdown(comparison),
    '',
    `### Metrics, at the operating threshold ${artifact.operatingPoint?.threshold ?? 0.5}`,
    '',
    metricsMarkdown(artifact.metrics),
    '',
    ...(artifact.metrics.testAtDefault
      ? [
          '### Held-out metrics at 0.5, for comparison',
          '',
          metricSetMarkdown(artifact.metrics.testAtDefault, 'held-out test at 0.5'),
          '',
        ]
      : []),
    ...(artifact.crossValidation
      ? [
          `Cross-validation of the recipe on the training rows (${artifact.crossValidation.repeats} × ${artifact.crossValidation.folds}-fold): accuracy ${f4(artifact.crossValidation.metrics.accuracy?.mean)} ± ${f4(artifact.crossValidation.metrics.accuracy?.sd)}, sensitivity ${f4(artifact.crossValidation.metrics.recall?.mean)} ± ${f4(artifact.crossValidation.metrics.recall?.sd)} (mean ± sd).`,
          '',
        ]
      : []),
    '### Confusion matrix (test)',
    '',
    confusionMarkdown(artifact.metrics.test, artifact.classes),
    '',
    rocMermaid(artifact.metrics.test.roc, artifact.metrics.test.rocAuc),
    '',
    ...(artifact.metrics.test.calibration
      ? [calibrationMermaid(artifact.metrics.test.calibration), '']
      : []),
    `Data \`${artifact.lineage.dataSha256}\` · config \`${artifact.lineage.configHash}\` · ${artifact.lineage.split.trainRows} train / ${artifact.lineage.split.testRows} test rows · ${artifact.model.solver}, ${artifact.model.iterations} iterations`,
    '',
  ].join('\n');
}

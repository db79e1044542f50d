import { type Config, configHash, thresholdRule } from '../config/config.js';
import { loadDataset } from '../data/csv.js';
import { type Dataset, selectRows } from '../data/dataset.js';
import { requireBothClasses, rowsHash, type Split, splitRows } from '../data/split.js';
import {
  chooseThreshold,
  crossValidate,
  summariseCrossValidation,
} from '../evaluate/cross-validation.js';
import { computeMetrics } from '../evaluate/metrics.js';
import { fitPreprocessing, transformTable } from '../features/preprocess.js';
import type { Artifact } from '../model/artifact.js';
import { createPredictor } from '../model/predictor.js';
import { trainLogistic } from '../model/train-logistic.js';
import { poolArray, poolMinRows } from '../parallel/sync-pool.js';

export interface TrainContext {
  /**
   * The commit holding the data and config as trained from; null when they are not committed as
   * they are (src/cli/context.ts lineageCommit), or unknown.
   */
  commit: string | null;
  now: () => Date;
  packageVersion: string;
  /** Progress lines for people watching; silent by default. */
  log?: (message: string) => void;
  /** Problems the run recovered from, for a warning (stderr, or the action's annotations). */
  warn?: (message: string) => void;
}

export interface TrainResult {
  artifact: Artifact;
  /** The data and split, kept so a production model can be scored on the very same test rows. */
  data: Dataset;
  split: Split;
  test: Dataset;
  timings: { loadMs: number; fitMs: number; evaluateMs: number };
}

/** Loads the configured CSV, splits it and trains; `dataPath` overrides the config's path. */
export function trainFromConfig(
  config: Config,
  context: TrainContext,
  dataPath = config.data.path,
): TrainResult {
  const log = context.log ?? (() => {});
  const t0 = performance.now();
  log(`Loading ${dataPath}`);
  const data = loadDataset(dataPath, {
    target: config.data.target,
    positiveClass: config.data.positiveClass,
    features: config.data.features,
  });
  const loadMs = performance.now() - t0;
  phase('loadMs', loadMs);
  log(
    `Loaded ${data.rowCount} rows × ${data.featureNames.length} features in ${loadMs.toFixed(0)} ms`,
  );
  const t1 = performance.now();
  const split = splitRows(data.y, config.split);
  requireBothClasses(data.y, split, data.classes, config.split);
  phase('splitMs', performance.now() - t1);
  const result = trainOnSplit(config, data, split, context, {
    dataSha256: data.sha256!,
    dataPath,
    ...(config.data.url && dataPath === config.data.path ? { dataUrl: config.data.url } : {}),
  });
  phase('totalMs', performance.now() - t0, true);
  return { ...result, timings: { ...result.timings, loadMs } };
}

/**
 * With `ONCOCLEAR_PHASE_TIMINGS=1`, trainFromConfig writes one JSON line to stderr, milliseconds
 * per phase: `{"phaseTimings":{"loadMs","splitMs","preprocessMs","newtonMs","crossValidationMs",
 * "metricsMs","evaluateMs","totalMs"}}`, for `npm run bench:train`'s per-phase table (see
 * bench/README.md). Off by default: stderr is for people.
 */
const phases: Record<string, number> = {};
function phase(name: string, ms: number, last = false): void {
  if (process.env.ONCOCLEAR_PHASE_TIMINGS !== '1') return;
  phases[name] = Math.round(ms * 10) / 10;
  if (last) {
    process.stderr.write(`${JSON.stringify({ phaseTimings: phases })}\n`);
    for (const key of Object.keys(phases)) delete phases[key];
  }
}

/** Fits preprocessing and the model on the training rows and evaluates both parts. */
export function trainOnSplit(
  config: Config,
  data: Dataset,
  split: Split,
  context: TrainContext,
  source: { dataSha256: string; dataPath: string; dataUrl?: string },
): TrainResult {
  const log = context.log ?? (() => {});
  // Only the test part is copied raw; the training rows go straight into their standardised copy,
  // which keeps a million-row run to the raw table plus one transformed copy.
  const test = selectRows(data, split.test);
  const p = data.featureNames.length;
  const trainRows = split.train.length;
  log(`Split ${trainRows} training / ${test.rowCount} test rows (seed ${config.split.seed})`);

  const t1 = performance.now();
  // Large tables go into SharedArrayBuffers so Newton's passes can run on worker threads too.
  const shared = trainRows >= poolMinRows();
  const xTrain = poolArray(Float64Array, trainRows * p, shared);
  const yTrain = poolArray(Uint8Array, trainRows, shared);
  // A lost worker thread changes nothing in the model (its work is redone here), but a run that
  // keeps losing them is slower and may be short of memory: say so.
  const parallel = {
    onWorkerLost: (reason: string) =>
      context.warn?.(
        `a training worker thread failed (${reason}); its work was redone on the main thread, so the model is the same. Set ONCOCLEAR_WORKERS=0 to train without worker threads.`,
      ),
  };
  // The standardised table's memory doubles as the scratch for gathering columns.
  const prep = fitPreprocessing(
    data.x,
    trainRows,
    data.featureNames,
    config.preprocessing,
    split.train,
    xTrain,
    parallel,
  );
  transformTable(prep, data.x, trainRows, split.train, xTrain);
  for (let i = 0; i < trainRows; i++) yTrain[i] = data.y[split.train[i]!]!;
  const t1b = performance.now();
  log(`Training ${config.training.solver} logistic regression`);
  const model = trainLogistic(xTrain, yTrain, trainRows, p, config.training, parallel);
  const fitMs = performance.now() - t1;
  phase('preprocessMs', t1b - t1);
  phase('newtonMs', performance.now() - t1b);
  const modelJson = model.toJSON();
  log(
    `Fitted in ${fitMs.toFixed(0)} ms (${modelJson.iterations} iterations${modelJson.converged ? '' : ', not converged'})`,
  );

  const partial: Omit<Artifact, 'metrics'> = {
    kind: 'oncoclear.model',
    schemaVersion: 1,
    name: config.model.name,
    features: data.featureNames,
    target: config.data.target,
    classes: data.classes,
    positiveClass: data.positiveClass,
    preprocessing: prep,
    model: modelJson,
    lineage: {
      dataSha256: source.dataSha256,
      dataPath: source.dataPath,
      ...(source.dataUrl ? { dataUrl: source.dataUrl } : {}),
      dataRows: data.rowCount,
      configHash: configHash(config),
      commit: context.commit,
      createdAt: context.now().toISOString(),
      packageVersion: context.packageVersion,
      split: {
        testFraction: config.split.testFraction,
        seed: config.split.seed,
        stratified: config.split.stratified,
        trainRows,
        testRows: test.rowCount,
        testRowsHash: rowsHash(split.test),
      },
    },
  };
  const t2 = performance.now();
  // Cross-validation of the same recipe on the training part only: its spread, and out-of-fold
  // predictions on which the operating threshold is chosen, so the test rows stay untouched.
  const rule = thresholdRule(config);
  const cvConfig = config.evaluation.crossValidation;
  let crossValidation: Artifact['crossValidation'];
  let threshold = rule.rule === 'fixed' ? (rule.target ?? 0.5) : 0.5;
  if (cvConfig.enabled || rule.rule !== 'fixed') {
    const cvRows = sampleRows(split.train, data.y, cvConfig.maxRows, config.split.seed);
    log(
      `Cross-validating: ${cvConfig.repeats} × ${cvConfig.folds}-fold on ${cvRows.length} training rows`,
    );
    const cv = crossValidate(
      data,
      cvRows,
      {
        preprocessing: config.preprocessing,
        training: config.training,
        features: data.featureNames,
      },
      { folds: cvConfig.folds, repeats: cvConfig.repeats, seed: config.split.seed },
    );
    if (rule.rule !== 'fixed') {
      threshold = chooseThreshold(cv.oofLabels, cv.oof, rule);
      log(
        `Operating threshold ${threshold.toFixed(4)} (${rule.rule}${rule.target !== null ? ` ${rule.target}` : ''}, out-of-fold)`,
      );
    }
    if (cvConfig.enabled) crossValidation = summariseCrossValidation(cv, threshold);
  }
  const operatingPoint: Artifact['operatingPoint'] = {
    threshold,
    rule: rule.rule,
    target: rule.target,
    chosenOn: rule.rule === 'fixed' ? 'config' : 'out-of-fold',
  };
  const t3 = performance.now();
  phase('crossValidationMs', t3 - t2);
  const predictor = createPredictor({ ...partial, operatingPoint, metrics: EMPTY_METRICS });
  const testProbabilities = predictor.probabilities(test.x, test.rowCount);
  const metrics = {
    // The training rows are already standardised, so score them with the model alone: the same
    // arithmetic the predictor applies to raw rows.
    train: computeMetrics(yTrain, model.predict(xTrain, trainRows), threshold),
    test: computeMetrics(test.y, testProbabilities, threshold),
    ...(threshold !== 0.5 ? { testAtDefault: computeMetrics(test.y, testProbabilities, 0.5) } : {}),
  };
  const evaluateMs = performance.now() - t2;
  phase('metricsMs', performance.now() - t3);
  phase('evaluateMs', evaluateMs);
  return {
    artifact: {
      ...partial,
      metrics,
      operatingPoint,
      ...(crossValidation ? { crossValidation } : {}),
    },
    data,
    split,
    test,
    timings: { loadMs: 0, fitMs, evaluateMs },
  };
}

const EMPTY_CONFUSION = { tp: 0, fp: 0, tn: 0, fn: 0 };
const EMPTY_METRIC = {
  rows: 0,
  accuracy: 0,
  precision: 0,
  recall: 0,
  f1: 0,
  rocAuc: 0,
  logLoss: 0,
  confusion: EMPTY_CONFUSION,
  roc: [],
};
const EMPTY_METRICS = { train: EMPTY_METRIC, test: EMPTY_METRIC };

/** At most `max` of `rows`, a seeded stratified sample, so cross-validation stays cheap on big data. */
function sampleRows(rows: Uint32Array, y: Uint8Array, max: number, seed: number): Uint32Array {
  if (rows.length <= max) return rows;
  // Plain loops: TypedArray.from with a map function takes the slow generic path (~80 ms at 1M).
  const labels = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) labels[i] = y[rows[i]!]!;
  const split = splitRows(labels, { testFraction: max / rows.length, seed, stratified: true });
  const sample = new Uint32Array(split.test.length);
  for (let i = 0; i < sample.length; i++) sample[i] = rows[split.test[i]!]!;
  return sample;
}

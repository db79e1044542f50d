import { type Config, configHash } from '../config/config.js';
import { loadDataset } from '../data/csv.js';
import { type Dataset, selectRows } from '../data/dataset.js';
import { rowsHash, type Split, splitRows } from '../data/split.js';
import { computeMetrics } from '../evaluate/metrics.js';
import { fitPreprocessing, transformTable } from '../features/preprocess.js';
import type { Artifact } from '../model/artifact.js';
import { BinaryLogisticRegression } from '../model/logistic-model.js';
import { createPredictor } from '../model/predictor.js';

export interface TrainContext {
  /** Git commit of the code and data, when known. */
  commit: string | null;
  now: () => Date;
  packageVersion: string;
  /** Progress lines for people watching; silent by default. */
  log?: (message: string) => void;
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
  log(
    `Loaded ${data.rowCount} rows × ${data.featureNames.length} features in ${loadMs.toFixed(0)} ms`,
  );
  const split = splitRows(data.y, config.split);
  const result = trainOnSplit(config, data, split, context, {
    dataSha256: data.sha256!,
    dataPath,
  });
  return { ...result, timings: { ...result.timings, loadMs } };
}

/** Fits preprocessing and the model on the training rows and evaluates both parts. */
export function trainOnSplit(
  config: Config,
  data: Dataset,
  split: Split,
  context: TrainContext,
  source: { dataSha256: string; dataPath: string },
): TrainResult {
  const log = context.log ?? (() => {});
  // Only the test part is copied raw; the training rows go straight into their standardised copy,
  // which keeps a million-row run to the raw table plus one transformed copy.
  const test = selectRows(data, split.test);
  const p = data.featureNames.length;
  const trainRows = split.train.length;
  log(`Split ${trainRows} training / ${test.rowCount} test rows (seed ${config.split.seed})`);

  const t1 = performance.now();
  const prep = fitPreprocessing(
    data.x,
    trainRows,
    data.featureNames,
    config.preprocessing,
    split.train,
  );
  const xTrain = transformTable(prep, data.x, trainRows, split.train);
  const yTrain = new Uint8Array(trainRows);
  for (let i = 0; i < trainRows; i++) yTrain[i] = data.y[split.train[i]!]!;
  log(`Training ${config.training.solver} logistic regression`);
  const model = BinaryLogisticRegression.train(xTrain, yTrain, trainRows, p, config.training);
  const fitMs = performance.now() - t1;
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
  const predictor = createPredictor({ ...partial, metrics: EMPTY_METRICS });
  const metrics = {
    // The training rows are already standardised, so score them with the model alone: the same
    // arithmetic the predictor applies to raw rows.
    train: computeMetrics(yTrain, model.predict(xTrain, trainRows)),
    test: computeMetrics(test.y, predictor.probabilities(test.x, test.rowCount)),
  };
  const evaluateMs = performance.now() - t2;
  return {
    artifact: { ...partial, metrics },
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

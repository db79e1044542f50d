import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadArtifact, parseArtifact, saveArtifact } from '../../src/model/artifact.js';
import { BinaryLogisticRegression } from '../../src/model/logistic-model.js';
import { createPredictor } from '../../src/model/predictor.js';
import { trainFromConfig } from '../../src/pipeline/train.js';
import { projectConfig, TRAIN_CONTEXT, tempDir, writeOtherCsv } from '../support/fixtures.js';

const dir = tempDir();
const wdbc = trainFromConfig(projectConfig(), TRAIN_CONTEXT);

describe('training on WDBC', () => {
  it('reaches high held-out accuracy and AUC with the default Newton solver', () => {
    const { test } = wdbc.artifact.metrics;
    expect(test.rows).toBe(114);
    expect(test.accuracy).toBeGreaterThan(0.95);
    expect(test.rocAuc).toBeGreaterThan(0.99);
    expect(wdbc.artifact.model.converged).toBe(true);
  });

  it('records lineage: data hash, config hash, commit, time and package version', () => {
    const { lineage } = wdbc.artifact;
    expect(lineage.dataSha256).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lineage.configHash).toMatch(/^sha256:/);
    expect(lineage.commit).toBe('abc1234');
    expect(lineage.createdAt).toBe('2026-01-02T03:04:05.000Z');
    expect(lineage.packageVersion).toBe('0.0.0-test');
    expect(lineage.split.testRows).toBe(114);
  });

  it('also trains with the ml-logistic-regression solver into the same artifact format', () => {
    const config = projectConfig();
    const mljs = trainFromConfig(
      {
        ...config,
        training: { ...config.training, solver: 'ml-logistic-regression', numSteps: 300 },
      },
      TRAIN_CONTEXT,
    );
    expect(mljs.artifact.model.solver).toBe('ml-logistic-regression');
    expect(mljs.artifact.metrics.test.accuracy).toBeGreaterThan(0.9);
    expect(() => parseArtifact(JSON.parse(JSON.stringify(mljs.artifact)))).not.toThrow();
  });
});

describe('a second data set', () => {
  it('trains on other column names, four features, string labels and empty cells', () => {
    const { config } = writeOtherCsv(dir, 400);
    const result = trainFromConfig(config, TRAIN_CONTEXT);
    expect(result.artifact.features).toEqual(['alpha', 'beta', 'gamma', 'delta']);
    expect(result.artifact.classes).toEqual(['no', 'yes']);
    expect(result.artifact.metrics.test.accuracy).toBeGreaterThan(0.8);
    const prediction = createPredictor(result.artifact).predict([1, Number.NaN, 0, 1]);
    expect(['yes', 'no']).toContain(prediction.label);
  });
});

describe('model artifact', () => {
  it('round-trips through a file with identical predictions', () => {
    const file = join(dir, 'rt', 'model.json');
    const checksum = saveArtifact(file, wdbc.artifact);
    const { artifact, sha256 } = loadArtifact(file);
    expect(sha256).toBe(checksum);
    const before = createPredictor(wdbc.artifact).probabilities(wdbc.test.x, wdbc.test.rowCount);
    const after = createPredictor(artifact).probabilities(wdbc.test.x, wdbc.test.rowCount);
    expect(Array.from(after)).toEqual(Array.from(before));
  });

  it('round-trips the model through toJSON and load', () => {
    const model = BinaryLogisticRegression.load(wdbc.artifact.model);
    const again = BinaryLogisticRegression.load(JSON.parse(JSON.stringify(model.toJSON())));
    const row = new Float64Array(30).fill(0.5);
    expect(again.predictProbability(row)).toBe(model.predictProbability(row));
  });

  it('refuses a model with another tag or schema version', () => {
    expect(() => BinaryLogisticRegression.load({ name: 'LogisticRegression' })).toThrow(
      "Unknown model 'LogisticRegression'; expected 'BinaryLogisticRegression'.",
    );
    expect(() =>
      BinaryLogisticRegression.load({ ...wdbc.artifact.model, schemaVersion: 9 }),
    ).toThrow(/schemaVersion 9/);
  });

  it('refuses an unknown artifact schema version with a clear message', () => {
    const json = { ...JSON.parse(JSON.stringify(wdbc.artifact)), schemaVersion: 2 };
    expect(() => parseArtifact(json, 'm.json')).toThrow(
      'm.json has schemaVersion 2; this build reads 1.',
    );
  });

  it('refuses a tampered file whose bytes no longer match the sidecar checksum', () => {
    const file = join(dir, 'tampered', 'model.json');
    saveArtifact(file, wdbc.artifact);
    writeFileSync(file, readFileSync(file, 'utf8').replace('"intercept": ', '"intercept": 1'));
    expect(() => loadArtifact(file)).toThrow(/Checksum mismatch .* refusing to load it/);
    // Never registered: the message names the sidecar as what recorded the checksum.
    expect(() => loadArtifact(file)).toThrow(
      /its sidecar '.*model\.json\.sha256' records sha256:[0-9a-f]{64}, the file has sha256:/,
    );
  });

  it('can require a checksum, as the service does, and refuses a file without one', () => {
    const file = join(dir, 'unverified', 'model.json');
    saveArtifact(file, wdbc.artifact);
    rmSync(`${file}.sha256`);
    expect(loadArtifact(file).artifact.name).toBe('oncoclear');
    expect(() => loadArtifact(file, undefined, { requireChecksum: true })).toThrow(
      /No checksum for .*refusing to serve an unverified model/,
    );
  });

  it('rejects a row with the wrong number of values instead of guessing', () => {
    expect(() => createPredictor(wdbc.artifact).predict([1, 2, 3])).toThrow(
      'Got 3 feature values; expected 30',
    );
  });
});

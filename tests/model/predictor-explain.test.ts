import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { predictCommand } from '../../src/cli/commands/predict.js';
import { saveArtifact } from '../../src/model/artifact.js';
import { createPredictor } from '../../src/model/predictor.js';
import { sigmoid } from '../../src/model/sigmoid.js';
import { trainFromConfig } from '../../src/pipeline/train.js';
import { projectConfig, TRAIN_CONTEXT, tempDir } from '../support/fixtures.js';

const wdbc = trainFromConfig(projectConfig(), TRAIN_CONTEXT);
const { artifact } = wdbc;
const predictor = createPredictor(artifact);
const p = artifact.features.length;
const row = (i: number) => wdbc.data.x.subarray(i * p, i * p + p);

describe('predictor.explain', () => {
  it('splits the logit exactly: intercept + Σ contributions = logit, to 1e-12', () => {
    for (let i = 0; i < 50; i++) {
      const { explanation } = predictor.explain(row(i));
      const sum = Object.values(explanation.contributions).reduce(
        (s, c) => s + c,
        explanation.intercept,
      );
      expect(Math.abs(sum - explanation.logit)).toBeLessThan(1e-12);
      // The logit is the one the probability comes from, bit for bit.
      expect(sigmoid(explanation.logit)).toBe(predictor.probability(row(i)));
    }
  });

  it('gives each feature coefficient × standardised value, after imputation and scaling', () => {
    const raw = Array.from(row(3));
    raw[2] = Number.NaN; // imputed with the artifact's fill value
    const { explanation } = predictor.explain(raw);
    const { coefficients, intercept } = artifact.model;
    const { fill, mean, scale } = artifact.preprocessing;
    artifact.features.forEach((name, j) => {
      const v = Number.isNaN(raw[j]!) ? fill[j]! : raw[j]!;
      expect(explanation.contributions[name]).toBeCloseTo(
        (coefficients[j]! * (v - mean[j]!)) / scale[j]!,
        12,
      );
    });
    expect(Object.keys(explanation.contributions)).toEqual(artifact.features);
    expect(explanation.intercept).toBe(intercept);
    expect(explanation.positiveClass).toBe(artifact.positiveClass);
  });

  it('lists the top contributors by magnitude, largest first', () => {
    const { explanation } = predictor.explain(row(0), { top: 3 });
    expect(explanation.top).toHaveLength(3);
    const magnitudes = Object.values(explanation.contributions)
      .map(Math.abs)
      .sort((a, b) => b - a);
    expect(explanation.top.map((t) => Math.abs(t.contribution))).toEqual(magnitudes.slice(0, 3));
    for (const t of explanation.top)
      expect(explanation.contributions[t.feature]).toBe(t.contribution);
    expect(predictor.explain(row(0)).explanation.top).toHaveLength(5);
  });

  it('gives the same label and probabilities as predict', () => {
    const { explanation, ...prediction } = predictor.explain(row(7));
    expect(prediction).toEqual(predictor.predict(row(7)));
    expect(explanation).toBeDefined();
  });

  it('refuses what predict refuses', () => {
    expect(() => predictor.explain([1, 2])).toThrow(RangeError);
  });
});

describe('oncoclear predict --explain', () => {
  const dir = tempDir();
  const model = join(dir, 'model.json');
  saveArtifact(model, artifact);
  const csvLines = readFileSync('data/wdbc.csv', 'utf8').trim().split('\n');
  const input = join(dir, 'rows.csv');
  writeFileSync(input, [csvLines[0], csvLines[1], csvLines[20]].join('\n'));

  let out = '';
  const capture = () =>
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
  afterEach(() => {
    vi.restoreAllMocks();
    out = '';
  });

  it('--json --explain adds each row’s explanation, whose parts sum to its logit', async () => {
    capture();
    await predictCommand(['--model', model, '--input', input, '--json', '--explain']);
    const rows = JSON.parse(out) as {
      probabilities: Record<string, number>;
      explanation: { logit: number; intercept: number; contributions: Record<string, number> };
    }[];
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      const sum = Object.values(r.explanation.contributions).reduce(
        (s, c) => s + c,
        r.explanation.intercept,
      );
      expect(sum).toBeCloseTo(r.explanation.logit, 12);
      expect(sigmoid(r.explanation.logit)).toBeCloseTo(
        r.probabilities[artifact.positiveClass]!,
        12,
      );
    }
  });

  it('prints a table of logit, intercept and top contributors after the predictions', async () => {
    capture();
    await predictCommand(['--model', model, '--input', input, '--explain']);
    expect(out).toMatch(/row\s+label\s+p\(malignant\)/);
    expect(out).toMatch(/row\s+logit\(malignant\)\s+intercept\s+top contributors/);
    const top = createPredictor(artifact).explain(row(0)).explanation.top[0]!.feature;
    expect(out).toContain(top);
  });

  it('is off by default', async () => {
    capture();
    await predictCommand(['--model', model, '--input', input, '--json']);
    expect(out).not.toContain('explanation');
  });
});

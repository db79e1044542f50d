import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configHash, loadConfig, parseConfig } from '../../src/config/config.js';
import { tempDir } from '../support/fixtures.js';

const minimal = {
  schemaVersion: 1,
  model: { name: 'm' },
  data: { path: 'd.csv', target: 'y', positiveClass: 'p' },
};

describe('config', () => {
  it('fills documented defaults for everything but the data', () => {
    const config = parseConfig(minimal);
    expect(config.split).toEqual({ testFraction: 0.2, seed: 42, stratified: true });
    expect(config.promotion.metric).toBe('accuracy');
    // No stored bar: the policy applies 0.8 to higher-is-better metrics and none to losses.
    expect(config.promotion.minimum).toBeUndefined();
    expect(config.training.solver).toBe('newton');
    expect(config.data.features).toBeNull();
  });

  it('names the field, the value and what was expected for an out-of-range number', () => {
    const bad = { ...minimal, split: { testFraction: 1.5 } };
    expect(() => parseConfig(bad, 'x.json')).toThrow(
      'Invalid config x.json: split.testFraction is 1.5; expected a number < 1.',
    );
  });

  it('lists the allowed values for an unknown solver', () => {
    const bad = { ...minimal, training: { solver: 'sgd' } };
    expect(() => parseConfig(bad)).toThrow(
      /training\.solver is "sgd"; expected one of "newton", "ml-logistic-regression"/,
    );
  });

  it('rejects unknown fields so typos do not pass silently', () => {
    const bad = { ...minimal, split: { seeed: 3 } };
    expect(() => parseConfig(bad)).toThrow(/split has unknown field 'seeed'/);
  });

  it('says when a required field is missing', () => {
    const { data: _data, ...noData } = minimal;
    expect(() => parseConfig(noData)).toThrow(/data is missing; expected an object/);
  });

  it('reports invalid JSON with the file name', () => {
    const dir = tempDir();
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "schemaVersion": 1,');
    expect(() => loadConfig(file)).toThrow(`Config file '${file}' is not valid JSON`);
  });

  it('hashes configs independently of key order', () => {
    const a = parseConfig(minimal);
    const b = parseConfig({ data: minimal.data, model: minimal.model, schemaVersion: 1 });
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).not.toBe(configHash(parseConfig({ ...minimal, split: { seed: 1 } })));
  });

  it('loads the committed project config', () => {
    const config = loadConfig('oncoclear.config.json');
    expect(config.data.positiveClass).toBe('malignant');
    expect(config.registry.path).toBe('registry');
  });
});

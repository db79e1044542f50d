import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeConfig } from '../../src/cli/commands/init-config.js';
import { adoptingRepo, cli } from './run-cli.js';

const INIT = ['init', '--data', 'data/other.csv', '--target', 'outcome', '--positive', 'yes'];
const FROM = ['--from', 'acme/oncoclear@v1'];

describe('oncoclear init reads the CSV as training will', () => {
  it("refuses a feature column with no values, with training's message, before writing anything", async () => {
    const repo = await adoptingRepo('oncoclear-init-config-');
    const file = join(repo, 'data/other.csv');
    // Empty the column 'gamma' (the fourth) in every row.
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const emptied = lines.map((line, i) => {
      const cells = line.split(',');
      if (i > 0) cells[3] = '';
      return cells.join(',');
    });
    writeFileSync(file, `${emptied.join('\n')}\n`);

    const result = await cli([...INIT, ...FROM], repo);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "data/other.csv: Feature 'gamma' has no values in the training rows; expected at least one number to impute from.",
    );
    expect(result.stderr).toContain('drop the empty column first');
    expect(readdirSync(repo).sort()).toEqual(['.git', 'data']);
  });

  it('refuses a directory as --data with exit 2, and names a ragged row once', async () => {
    const repo = await adoptingRepo('oncoclear-init-config-');
    const dir = await cli(
      ['init', '--data', 'data', '--target', 'outcome', '--positive', 'yes', ...FROM],
      repo,
    );
    expect(dir.code).toBe(2);
    expect(dir.stderr).toContain('is a directory; expected a CSV file.');
    const file = join(repo, 'data/other.csv');
    writeFileSync(file, `${readFileSync(file, 'utf8').trimEnd()}\n1,2\n`);
    const ragged = await cli([...INIT, ...FROM], repo);
    expect(ragged.code).toBe(2);
    expect(ragged.stderr.match(/other\.csv/g)).toHaveLength(1);
  });

  it('refuses a class too rare for both parts of the split, naming it and what is needed', async () => {
    const repo = await adoptingRepo('oncoclear-init-config-');
    const file = join(repo, 'data/other.csv');
    // Keep two 'yes' rows: a 20% stratified test part gets none of them.
    const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
    const target = header!.split(',').indexOf('outcome');
    let kept = 0;
    const fewYes = rows.filter((line) => line.split(',')[target] !== 'yes' || kept++ < 2);
    writeFileSync(file, `${[header, ...fewYes].join('\n')}\n`);

    const result = await cli([...INIT, ...FROM], repo);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^oncoclear init: data\/other\.csv: The test part \(\d+ of \d+ rows, split\.testFraction 0\.2\) has no 'yes' rows: 'yes' is 2 of the \d+ rows\. .*expected at least 5 rows of each class/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(repo).sort()).toEqual(['.git', 'data']);
  });
});

/** The config init writes for data/other.csv, tuned as an owner would after the first run. */
function tune(repo: string): Record<string, unknown> {
  const file = join(repo, 'oncoclear.config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  config.model.card = { purpose: 'Flag customers likely to churn.' };
  config.promotion = { metric: 'rocAuc', minimum: 0.85 };
  writeFileSync(file, `${JSON.stringify(config, null, 4)}\n`);
  return config;
}

const readConfig = (repo: string) =>
  JSON.parse(readFileSync(join(repo, 'oncoclear.config.json'), 'utf8'));

describe('oncoclear init run again over a tuned config', () => {
  it('keeps every setting when it regenerates the callers at a new --from', async () => {
    const repo = await adoptingRepo('oncoclear-init-config-');
    expect((await cli([...INIT, ...FROM], repo)).code).toBe(0);
    const tuned = tune(repo);
    const text = readFileSync(join(repo, 'oncoclear.config.json'), 'utf8');
    const upgrade = [...INIT, '--from', 'acme/oncoclear@v0.2.0'];

    const refused = await cli(upgrade, repo);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Refusing to overwrite .github/workflows/oncoclear-train.yml');
    expect(refused.stderr).not.toContain('oncoclear.config.json');

    const forced = await cli([...upgrade, '--force'], repo);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('up to date  oncoclear.config.json');
    // Not a byte changed: not the tuning, not the owner's four-space indent.
    expect(readFileSync(join(repo, 'oncoclear.config.json'), 'utf8')).toBe(text);
    expect(readConfig(repo)).toEqual(tuned);
    expect(readFileSync(join(repo, '.github/workflows/oncoclear-train.yml'), 'utf8')).toContain(
      '@v0.2.0',
    );
  });

  it('changes only what a flag sets, and says so when it asks for --force', async () => {
    const repo = await adoptingRepo('oncoclear-init-config-');
    expect((await cli([...INIT, ...FROM], repo)).code).toBe(0);
    const tuned = tune(repo);
    const renamed = [...INIT, ...FROM, '--name', 'churn'];

    const refused = await cli(renamed, repo);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'Refusing to overwrite oncoclear.config.json, README.md: they exist and differ from what init would write (oncoclear.config.json: model.name "other" → "churn"; every other setting in it is kept). Pass --force',
    );

    const forced = await cli([...renamed, '--force'], repo);
    expect(forced.code).toBe(0);
    expect(readConfig(repo)).toEqual({
      ...tuned,
      model: { ...(tuned.model as object), name: 'churn' },
    });
  });

  it('refuses an invalid config with its error, and with --force keeps a copy, never replacing one', async () => {
    const repo = await adoptingRepo('oncoclear-init-config-');
    const file = join(repo, 'oncoclear.config.json');
    const broken = '{"schemaVersion": 1, "model": {"name": "other"}, "promotion": {"metrc": 1}}\n';
    writeFileSync(file, broken);

    const refused = await cli([...INIT, ...FROM], repo);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'Refusing to replace oncoclear.config.json: Invalid config oncoclear.config.json:',
    );
    expect(refused.stderr).toContain('pass --force to replace it');
    expect(refused.stderr).toContain('oncoclear.config.json.bak');
    expect(readFileSync(file, 'utf8')).toBe(broken);
    expect(readdirSync(repo).sort()).toEqual(['.git', 'data', 'oncoclear.config.json']);

    const forced = await cli([...INIT, ...FROM, '--force'], repo);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(
      'backed up   oncoclear.config.json as oncoclear.config.json.bak (not a valid config)',
    );
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(broken);
    expect(readConfig(repo).data.target).toBe('outcome');

    writeFileSync(file, '{not json\n');
    const again = await cli([...INIT, ...FROM, '--force'], repo);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('as oncoclear.config.json.bak.1');
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(broken);
    expect(readFileSync(`${file}.bak.1`, 'utf8')).toBe('{not json\n');
  });
});

describe('mergeConfig', () => {
  const settings = {
    dataPath: 'data/new.csv',
    target: 'outcome',
    positiveClass: 'yes',
    name: undefined,
    defaultName: 'new',
    registryPath: 'registry',
  };
  const existing = {
    schemaVersion: 1,
    model: { name: 'churn' },
    data: {
      path: 'data/old.csv',
      target: 'outcome',
      positiveClass: 'yes',
      features: null,
      url: 'https://example.com/old.csv',
      sha256: `sha256:${'ab'.repeat(32)}`,
      source: 'Old survey, 2024',
      licence: 'CC-BY-4.0',
    },
    promotion: { metric: 'rocAuc' },
  };

  it('drops what described the old data file when --data names another', () => {
    // Kept, the next train would download old.csv over new.csv (data.url and data.sha256).
    const merged = mergeConfig(existing, settings);
    expect(merged.data).toEqual({
      path: 'data/new.csv',
      target: 'outcome',
      positiveClass: 'yes',
      features: null,
    });
    expect(merged.promotion).toEqual({ metric: 'rocAuc' });
  });

  it('keeps them while the data path stays the same', () => {
    const merged = mergeConfig(existing, { ...settings, dataPath: 'data/old.csv' });
    expect(merged.data).toEqual(existing.data);
  });
});

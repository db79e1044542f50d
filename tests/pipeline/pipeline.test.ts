import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateArtifact } from '../../src/evaluate/evaluate.js';
import { comparisonMarkdown } from '../../src/evaluate/report.js';
import { runPipeline } from '../../src/pipeline/pipeline.js';
import { RescoreError, rescoreCandidate } from '../../src/pipeline/rescore.js';
import { loadRegisteredArtifact, productionVersion } from '../../src/registry/operations.js';
import { createRegistryStore } from '../../src/registry/store.js';
import { projectConfig, TRAIN_CONTEXT, tempDir, writeOtherCsv } from '../support/fixtures.js';

const dir = tempDir();
const run = (config = projectConfig(), registry = 'reg') =>
  runPipeline({
    ...TRAIN_CONTEXT,
    config,
    store: createRegistryStore(join(dir, registry)),
    apply: true,
    actor: 'tester',
  });

describe('pipeline', () => {
  it('promotes the first passing model, then keeps production on a tie', async () => {
    const first = await run();
    expect(first.registered.version).toBe(1);
    expect(first.promoted).toBe(true);
    const second = await run();
    expect(second.registered.version).toBe(2);
    expect(second.promoted).toBe(false);
    expect(
      second.comparison.decision.checks.find((c) => c.name === 'beats-production'),
    ).toMatchObject({ passed: false, note: 'tie', delta: 0 });
    expect(
      productionVersion(createRegistryStore(join(dir, 'reg')).read(), 'oncoclear')?.version,
    ).toBe(1);
  });

  it('scores production on the candidate’s own test rows', async () => {
    const weak = projectConfig();
    await run({ ...weak, training: { ...weak.training, l2: 1000 } }, 'fair');
    // 0.9649 against 0.9211 is five rows of 114: the default paired test calls that noise (see
    // the policy tests), so this flow test turns it off to see the promotion path.
    const noTest = { ...weak.promotion, pairedTest: { enabled: false, alpha: 0.05 } };
    const better = await run({ ...projectConfig(), promotion: noTest }, 'fair');
    // v1 was production when v2 was judged (v2 has been promoted since).
    const production = loadRegisteredArtifact(
      createRegistryStore(join(dir, 'fair')),
      'oncoclear',
      1,
    );
    // The production column is exactly production evaluated on the candidate's test rows…
    const onCandidateRows = evaluateArtifact(production.artifact, better.train.test).metrics;
    expect(better.comparison.production?.metrics.accuracy).toBe(onCandidateRows.accuracy);
    expect(better.comparison.decision.evaluatedOn.rows).toBe(better.train.test.rowCount);
    // …and the stronger candidate wins there and is promoted.
    expect(
      better.comparison.decision.checks.find((c) => c.name === 'beats-production')!.delta!,
    ).toBeGreaterThan(0);
    expect(better.promoted).toBe(true);
  });

  it('names production in the report table when it exists but cannot be scored on the rows', async () => {
    // Arrange: production v1 uses gamma; the data the candidate trains on no longer has it.
    const { file, config } = writeOtherCsv(dir, 300, 11);
    await run(config, 'dropped');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const narrow = join(dir, 'narrow.csv');
    writeFileSync(
      narrow,
      `${lines.map((l) => l.split(',').toSpliced(3, 1).join(',')).join('\n')}\n`,
    );

    const result = await run({ ...config, data: { ...config.data, path: narrow } }, 'dropped');

    expect(result.comparison.decision.outcome).toBe('not-comparable');
    expect(result.comparison.production).toBeNull();
    const header = comparisonMarkdown(result.comparison).split('\n')[0];
    expect(header).toContain('| production v1 |');
  });

  it('re-scores a registered candidate from its lineage, and refuses when the data changed', async () => {
    const data = join(dir, 'wdbc.csv');
    copyFileSync('data/wdbc.csv', data);
    const config = projectConfig();
    const pinned = { ...config, data: { ...config.data, path: data } };
    const result = await run(pinned, 'rescore');
    const candidate = { version: 1, artifact: result.train.artifact };
    const again = rescoreCandidate(pinned, candidate, null);
    expect(again.candidate.accuracy).toBe(result.train.artifact.metrics.test.accuracy);
    writeFileSync(data, readFileSync(data, 'utf8').replace('17.99', '17.98'));
    expect(() => rescoreCandidate(pinned, candidate, null)).toThrow(/changed since it was trained/);
  });

  it("re-scores on the default branch config's rows and refuses a candidate split to flatter it", async () => {
    const config = projectConfig();
    // A writer trains with a seed and a tiny test fraction of their choosing…
    const chosen = { ...config, split: { ...config.split, seed: 7, testFraction: 0.03 } };
    const flattering = await run(chosen, 'flattering');
    const candidate = { version: 2, artifact: flattering.train.artifact };
    expect(() => rescoreCandidate(config, candidate, null)).toThrow(
      "Cannot re-score v2: it was evaluated on a split (seed 7, testFraction 0.03, 18 rows) that the default branch's config (seed 42, testFraction 0.2) does not produce",
    );
    expect(() => rescoreCandidate(config, candidate, null)).toThrow(RescoreError);
    // …while a candidate trained with the default branch's config is re-scored on its own rows.
    const fair = await run(config, 'fair-split');
    expect(
      rescoreCandidate(config, { version: 3, artifact: fair.train.artifact }, null).decision
        .evaluatedOn.rows,
    ).toBe(114);
  });
});

describe('the model card', () => {
  it('is committed with every version: intended use, data, metrics with intervals, the decision', async () => {
    const result = await run(projectConfig(), 'card');
    const versionDir = join(dir, 'card', 'oncoclear', `v${result.registered.version}`);
    const card = JSON.parse(readFileSync(join(versionDir, 'model-card.json'), 'utf8'));
    expect(card).toMatchObject({
      schemaVersion: 1,
      model: { name: 'oncoclear', version: 1 },
      intendedUse: {
        notFor: expect.stringContaining('Not a medical device; not for clinical decisions'),
      },
      data: { rows: 569, licence: 'CC BY 4.0', heldOut: { positives: 42, negatives: 72 } },
      operatingThreshold: { threshold: 0.5, rule: 'fixed' },
      decision: { promote: true, candidate: { version: 1 } },
    });
    const sensitivity = card.metrics.find((m: { key: string }) => m.key === 'recall');
    expect(sensitivity.interval[0]).toBeLessThan(sensitivity.value);
    const markdown = readFileSync(join(versionDir, 'model-card.md'), 'utf8');
    expect(markdown).toContain('# Model card: oncoclear v1');
    // The banner under the title is labelled as what the model is not for, not read as its use.
    expect(markdown.split('\n')[2]).toBe(
      '> **Not for:** Not a medical device; not for clinical decisions. For research, education and MLOps demonstration only.',
    );
    expect(markdown).toMatch(/\| sensitivity \(recall\) \| 0\.\d{4} \| 0\.\d{4}–\d\.\d{4} \|/);
    expect(markdown).toContain('✅ **Promote**');
    // This project's words about use come from its config (model.card)…
    expect(card.intendedUse.purpose).toContain('breast mass is malignant');
    expect(card.limitations).toContain(
      'A missed malignancy (false negative) is the costly error for this task; read sensitivity and its interval first.',
    );
  });

  it('says nothing about medicine for another data set whose config is silent', async () => {
    const { config } = writeOtherCsv(tempDir('oncoclear-card-other-'));
    const result = await run(config, 'card-other');
    const card = JSON.parse(
      readFileSync(
        join(dir, 'card-other', 'other-model', `v${result.registered.version}`, 'model-card.json'),
        'utf8',
      ),
    );
    expect(card.intendedUse.purpose).toBe(
      'Estimates the probability that a row is yes (against no), from 4 features.',
    );
    expect(JSON.stringify(card)).not.toMatch(/medical|clinical|malignan|breast/i);
    const markdown = readFileSync(
      join(dir, 'card-other', 'other-model', `v${result.registered.version}`, 'model-card.md'),
      'utf8',
    );
    expect(markdown.split('\n')[2]).toBe(
      '> **Not for:** Decisions about people without a person reviewing them, or rows from another population or data source than the one it was trained on.',
    );
  });
});

describe('evidence beyond one split', () => {
  it('compares the two recipes on the same folds when the held-out set is small, as supporting evidence', async () => {
    const weak = projectConfig();
    await run({ ...weak, training: { ...weak.training, l2: 1000 } }, 'recipes');
    const result = await run(projectConfig(), 'recipes');
    const check = result.comparison.decision.checks.find((c) => c.name === 'recipe-comparison')!;
    expect(check).toMatchObject({
      passed: true,
      note: 'supporting',
      test: 'corrected-resampled-t',
      metric: 'accuracy',
      rows: 10,
    });
    expect(check.interval![0]!).toBeLessThan(check.delta!);
    expect(check.pValue).toBeGreaterThan(0);
  });
});

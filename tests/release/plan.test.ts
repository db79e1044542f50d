import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegistryDir } from '../../src/registry/layout.js';
import { promote } from '../../src/registry/operations.js';
import type { Registry } from '../../src/registry/schema.js';
import { createRegistryStore } from '../../src/registry/store.js';
import { productionChanged, releaseNotes, releasePlan } from '../../src/release/plan.js';
import { tempDir } from '../support/fixtures.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A copy of the committed registry (production v1) that a test may change. */
function committedStore() {
  const dir = join(tempDir('oncoclear-plan-'), 'registry');
  cpSync('registry', dir, { recursive: true });
  return createRegistryStore(dir);
}

const input = (store = committedStore()) => ({
  store,
  model: 'oncoclear',
  repository: 'Octo-Org/OncoClear',
  serverUrl: 'https://github.com',
  sha: SHA,
  packageVersion: '0.1.0',
});

describe('releasePlan', () => {
  it('plans the production version with its tags and OCI labels', () => {
    const store = committedStore();
    const v1 = store.read().models.oncoclear!.versions[0]!;
    const plan = releasePlan(input(store));
    expect(plan).toMatchObject({
      model: 'oncoclear',
      version: 1,
      sha256: v1.sha256,
      artifact: 'oncoclear/v1/model.json',
      // GHCR needs lower case; the source link keeps the repository's spelling.
      image: 'ghcr.io/octo-org/oncoclear',
      tags: ['oncoclear-v1', 'production', 'sha-0123456'],
    });
    expect(plan.labels).toMatchObject({
      'org.opencontainers.image.source': 'https://github.com/Octo-Org/OncoClear',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.version': 'oncoclear-v1',
      'org.opencontainers.image.licenses': 'MIT',
      'org.oncoclear.model.version': '1',
      'org.oncoclear.model.sha256': v1.sha256,
    });
  });

  it('releases only the production version', () => {
    expect(releasePlan({ ...input(), version: 1 }).version).toBe(1);
    expect(() => releasePlan({ ...input(), version: 2 })).toThrow(
      'Asked to release v2, but production is v1; only the production version is released.',
    );
  });

  it('refuses a model with no production version', () => {
    const store = committedStore();
    // Production cleared by hand: the layout's production file names no version.
    const file = join(store.dir, 'oncoclear', 'production.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"version": 1', '"version": null'));
    expect(() => releasePlan(input(store))).toThrow(
      "Model 'oncoclear' has no production version; nothing to release.",
    );
  });

  it('refuses a tampered artifact before anything is built', () => {
    const store = committedStore();
    const file = store.resolve('oncoclear/v1/model.json');
    const artifact = JSON.parse(readFileSync(file, 'utf8'));
    artifact.model.intercept += 1;
    writeFileSync(file, JSON.stringify(artifact, null, 2));
    expect(() => releasePlan(input(store))).toThrow(/Checksum mismatch .* refusing to load it/);
  });

  it('writes release notes that trace the image to the registry entry', () => {
    const store = committedStore();
    const plan = releasePlan(input(store));
    const notes = releaseNotes(plan, DIGEST, store.read());
    expect(notes).toContain(`docker pull ghcr.io/octo-org/oncoclear@${DIGEST}`);
    expect(notes).toContain(`| digest | \`${DIGEST}\` |`);
    expect(notes).toContain(`\`registry/oncoclear/v1/model.json\` (\`${plan.sha256}\`)`);
    expect(notes).toContain('`oncoclear-v1`, `production`, `sha-0123456`');
  });
});

describe('productionChanged', () => {
  const committed = (): Registry => readRegistryDir('registry');
  const meta = { actor: 'bot', reason: 'test', now: () => new Date('2026-05-01T00:00:00Z') };

  it('is false when production is the same version, whatever else changed', () => {
    const after = committed();
    after.models.oncoclear!.history.push({
      ...after.models.oncoclear!.history[0]!,
      type: 'released',
    });
    expect(productionChanged(committed(), after, 'oncoclear')).toBe(false);
  });

  it('is true for a first production, a promotion and a model that lost production', () => {
    expect(productionChanged(null, committed(), 'oncoclear')).toBe(true);
    const two = committed();
    const entry = two.models.oncoclear!;
    entry.versions.push({ ...entry.versions[0]!, version: 2, stage: 'staging' });
    expect(productionChanged(two, promote(two, 'oncoclear', 2, meta), 'oncoclear')).toBe(true);
    const none = committed();
    none.models.oncoclear!.versions[0]!.stage = 'archived';
    expect(productionChanged(committed(), none, 'oncoclear')).toBe(true);
  });
});

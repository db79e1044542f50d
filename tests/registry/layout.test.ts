import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveArtifact } from '../../src/model/artifact.js';
import { trainFromConfig } from '../../src/pipeline/train.js';
import { readRegistryDir } from '../../src/registry/layout.js';
import { migrateRegistry } from '../../src/registry/migrate.js';
import {
  productionAt,
  promote,
  recordRelease,
  registerVersion,
  rollback,
} from '../../src/registry/operations.js';
import { createRegistryStore } from '../../src/registry/store.js';
import { projectConfig, TRAIN_CONTEXT, tempDir } from '../support/fixtures.js';

const dir = tempDir();
const artifactFile = join(dir, 'candidate', 'model.json');
let clock = Date.parse('2026-04-01T00:00:00Z');
const tick = () => {
  clock += 60_000;
  return new Date(clock);
};
const meta = (reason: string) => ({ actor: 'bot', reason, now: tick });

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  });

/** `git merge-tree --write-tree`: exit 0 and a tree id when clean, exit 1 with CONFLICT lines. */
function mergeTree(cwd: string, a: string, b: string): { clean: boolean; output: string } {
  try {
    return { clean: true, output: git(cwd, 'merge-tree', '--write-tree', a, b) };
  } catch (error) {
    return { clean: false, output: String((error as { stdout?: string }).stdout) };
  }
}

beforeAll(() => {
  saveArtifact(artifactFile, trainFromConfig(projectConfig(), TRAIN_CONTEXT).artifact);
});

/** A git repository whose registry has v1 in production and v2 in staging. */
async function repoWithRegistry(name: string) {
  const repo = join(dir, name);
  mkdirSync(repo, { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  const store = createRegistryStore(join(repo, 'registry'));
  await registerVersion(store, artifactFile, meta('v1'));
  await store.update((r) => ({ registry: promote(r, 'oncoclear', 1, meta('first')), result: 0 }));
  await registerVersion(store, artifactFile, meta('v2'));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'registry with v1 in production');
  return { repo, store };
}

const commitAll = (repo: string, message: string) => {
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD').trim();
};

describe('the registry layout in git', () => {
  it('keeps an open promotion branch mergeable while registrations and releases land on main', async () => {
    const { repo, store } = await repoWithRegistry('merge');
    git(repo, 'checkout', '-q', '-b', 'promote/oncoclear/v2');
    await store.update((r) => ({
      registry: promote(r, 'oncoclear', 2, meta('better')),
      result: 0,
    }));
    const promotion = commitAll(repo, 'Promote oncoclear v2 to production');

    git(repo, 'checkout', '-q', 'main');
    await registerVersion(store, artifactFile, meta('v3, does not promote'));
    commitAll(repo, 'register v3');
    const image = { digest: `sha256:${'ab'.repeat(32)}`, tags: ['oncoclear-v1'] };
    await store.update((r) => ({
      registry: recordRelease(r, 'oncoclear', 1, image, meta('released')),
      result: 0,
    }));
    const main = commitAll(repo, 'record release of v1');

    const merged = mergeTree(repo, main, promotion);
    expect(merged.output).not.toContain('CONFLICT');
    expect(merged.clean).toBe(true);
    // And the merged registry is the union: v3 registered, v1's release, v2 in production.
    git(repo, 'merge', '-q', '--no-edit', promotion);
    const registry = readRegistryDir(join(repo, 'registry'));
    const entry = registry.models.oncoclear!;
    expect(entry.versions.map((v) => `${v.version}:${v.stage}`)).toEqual([
      '1:archived',
      '2:production',
      '3:staging',
    ]);
    expect(entry.history.map((e) => e.type)).toEqual([
      'registered',
      'promoted',
      'registered',
      'archived',
      'promoted',
      'registered',
      'released',
    ]);
  });

  it('keeps an open rollback branch mergeable while registrations and releases land on main', async () => {
    const { repo, store } = await repoWithRegistry('rollback');
    await store.update((r) => ({ registry: promote(r, 'oncoclear', 2, meta('v2')), result: 0 }));
    commitAll(repo, 'promote v2');
    git(repo, 'checkout', '-q', '-b', 'rollback/oncoclear/v1-1');
    await store.update((r) => ({ registry: rollback(r, 'oncoclear', 1, meta('bad')), result: 0 }));
    const rolled = commitAll(repo, 'Roll back oncoclear to v1');
    git(repo, 'checkout', '-q', 'main');
    await registerVersion(store, artifactFile, meta('v3'));
    const image = { digest: `sha256:${'cd'.repeat(32)}`, tags: ['oncoclear-v2'] };
    await store.update((r) => ({
      registry: recordRelease(r, 'oncoclear', 2, image, meta('released')),
      result: 0,
    }));
    const main = commitAll(repo, 'register v3, release v2');
    expect(mergeTree(repo, main, rolled).clean).toBe(true);
  });

  it('lets only two moves of the same production conflict, in its production file alone', async () => {
    const { repo, store } = await repoWithRegistry('conflict');
    git(repo, 'checkout', '-q', '-b', 'promote/oncoclear/v2');
    await store.update((r) => ({ registry: promote(r, 'oncoclear', 2, meta('v2')), result: 0 }));
    const promotion = commitAll(repo, 'promote v2');
    git(repo, 'checkout', '-q', 'main');
    await registerVersion(store, artifactFile, meta('v3'));
    await store.update((r) => ({ registry: promote(r, 'oncoclear', 3, meta('v3')), result: 0 }));
    const main = commitAll(repo, 'promote v3');
    const merged = mergeTree(repo, main, promotion);
    expect(merged.clean).toBe(false);
    const conflicts = merged.output.split('\n').filter((l) => l.startsWith('CONFLICT'));
    expect(conflicts).toEqual([
      'CONFLICT (content): Merge conflict in registry/oncoclear/production.json',
    ]);
  });
});

describe('registry migrate', () => {
  const legacy = readFileSync(
    join(import.meta.dirname, 'fixtures', 'legacy-registry.json'),
    'utf8',
  );

  it('converts a single-file registry and keeps every stage, event and answer', () => {
    const target = join(dir, 'legacy');
    cpSync('registry/oncoclear/v1', join(target, 'oncoclear', 'v1'), { recursive: true });
    writeFileSync(join(target, 'registry.json'), legacy);
    expect(() => readRegistryDir(target)).toThrow(
      `Registry ${target} uses the old single-file layout (schemaVersion 1); run 'oncoclear registry migrate --registry ${target}' and commit the result.`,
    );
    expect(migrateRegistry(target)).toEqual({ migrated: true, models: 1, versions: 1, events: 2 });
    const registry = readRegistryDir(target);
    const old = JSON.parse(legacy);
    expect(registry.models.oncoclear!.versions.map((v) => v.stage)).toEqual(['production']);
    expect(registry.models.oncoclear!.history.map(({ id: _, ...e }) => e)).toEqual(
      old.models.oncoclear.history,
    );
    expect(productionAt(registry, 'oncoclear', new Date('2026-11-26'))).toBe(1);
    expect(migrateRegistry(target).migrated).toBe(false);
  });
});

import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveArtifact } from '../../src/model/artifact.js';
import { trainFromConfig } from '../../src/pipeline/train.js';
import {
  diffVersions,
  loadRegisteredArtifact,
  productionAt,
  productionVersion,
  promote,
  recordRelease,
  registerVersion,
  rollback,
} from '../../src/registry/operations.js';
import type { Registry } from '../../src/registry/schema.js';
import { createRegistryStore } from '../../src/registry/store.js';
import { projectConfig, TRAIN_CONTEXT, tempDir } from '../support/fixtures.js';

const run = promisify(execFile);
const dir = tempDir();
const artifactFile = join(dir, 'candidate', 'model.json');
let clock = Date.parse('2026-03-01T00:00:00Z');
const tick = () => {
  clock += 60_000;
  return new Date(clock);
};
const meta = (reason: string) => ({ actor: 'alice', reason, now: tick });

beforeAll(async () => {
  saveArtifact(artifactFile, trainFromConfig(projectConfig(), TRAIN_CONTEXT).artifact);
});

describe('register', () => {
  it('gives consecutive numbers and copies the artifact beside the registry', async () => {
    const store = createRegistryStore(join(dir, 'r1'));
    const v1 = await registerVersion(store, artifactFile, meta('first'));
    const v2 = await registerVersion(store, artifactFile, meta('second'));
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v2.stage).toBe('staging');
    expect(existsSync(store.resolve('oncoclear/v2/model.json'))).toBe(true);
    expect(store.read().models.oncoclear!.history.map((e) => e.type)).toEqual([
      'registered',
      'registered',
    ]);
  });

  it('never reuses a number or loses a version when two processes register at once', async () => {
    const registry = join(dir, 'race');
    const each = 5;
    const worker = async () => {
      const versions: number[] = [];
      for (let i = 0; i < each; i++) {
        const { stdout } = await run('node', [
          'bin/oncoclear.js',
          'register',
          '--model',
          artifactFile,
          '--registry',
          registry,
          '--json',
        ]);
        versions.push((JSON.parse(stdout) as { version: number }).version);
      }
      return versions;
    };
    const [a, b] = await Promise.all([worker(), worker()]);
    const all = [...a, ...b].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 2 * each }, (_, i) => i + 1));
    const stored = createRegistryStore(registry).read().models.oncoclear!;
    expect(stored.versions.map((v) => v.version)).toEqual(all);
    expect(stored.history.filter((e) => e.type === 'registered')).toHaveLength(2 * each);
  }, 60_000);
});

describe('promote, rollback and history', () => {
  it('keeps one production version, archives the old one and answers "which version on date X"', async () => {
    const store = createRegistryStore(join(dir, 'r2'));
    for (let i = 0; i < 3; i++) await registerVersion(store, artifactFile, meta('trained'));
    const update = (change: (registry: Registry) => Registry) =>
      store.update((registry) => ({ registry: change(registry), result: undefined }));

    await update((r) => promote(r, 'oncoclear', 1, meta('first release')));
    const afterV1 = new Date(clock);
    await update((r) => promote(r, 'oncoclear', 3, meta('better')));
    const afterV3 = new Date(clock);
    await update((r) => rollback(r, 'oncoclear', null, meta('v3 misbehaves')));

    const registry = store.read();
    expect(productionVersion(registry, 'oncoclear')?.version).toBe(1);
    expect(registry.models.oncoclear!.versions.map((v) => v.stage)).toEqual([
      'production',
      'staging',
      'archived',
    ]);
    const history = registry.models.oncoclear!.history;
    expect(history.map((e) => `${e.type}:v${e.version}`)).toEqual([
      'registered:v1',
      'registered:v2',
      'registered:v3',
      'promoted:v1',
      'archived:v1',
      'promoted:v3',
      'archived:v3',
      'rolled_back:v1',
    ]);
    expect(history.at(-1)).toMatchObject({ actor: 'alice', reason: 'v3 misbehaves', from: 3 });
    expect(productionAt(registry, 'oncoclear', afterV1)).toBe(1);
    expect(productionAt(registry, 'oncoclear', afterV3)).toBe(3);
    expect(productionAt(registry, 'oncoclear', new Date('2020-01-01'))).toBeNull();
  });

  it('writes a promotion as one small production file plus new history files', async () => {
    const store = createRegistryStore(join(dir, 'r3'));
    await registerVersion(store, artifactFile, meta('a'));
    await registerVersion(store, artifactFile, meta('b'));
    await store.update((r) => ({
      registry: promote(r, 'oncoclear', 1, meta('go')),
      result: undefined,
    }));
    const list = () => readdirSync(join(store.dir, 'oncoclear', 'history')).sort();
    const before = list();
    const versionFile = readFileSync(join(store.dir, 'oncoclear/v1/version.json'), 'utf8');
    await store.update((r) => ({
      registry: promote(r, 'oncoclear', 2, meta('go')),
      result: undefined,
    }));
    const added = list().filter((f) => !before.includes(f));
    expect(
      added.map((f) => f.replace(/^\d{8}T\d{9}Z-\d\d-/, '').replace(/-[0-9a-f]{6}\.json$/, '')),
    ).toEqual(['archived-v1', 'promoted-v2']);
    // Versions are immutable: their stage is derived, never rewritten.
    expect(readFileSync(join(store.dir, 'oncoclear/v1/version.json'), 'utf8')).toBe(versionFile);
    const production = JSON.parse(
      readFileSync(join(store.dir, 'oncoclear/production.json'), 'utf8'),
    );
    expect(production).toEqual({
      schemaVersion: 2,
      version: 2,
      event: added[1]!.replace(/\.json$/, ''),
    });
    expect(store.read().models.oncoclear!.versions.map((v) => v.stage)).toEqual([
      'archived',
      'production',
    ]);
  });

  it('records a release once even when the release job re-runs', async () => {
    const store = createRegistryStore(join(dir, 'r4'));
    await registerVersion(store, artifactFile, meta('a'));
    const image = { digest: 'sha256:abc', tags: ['oncoclear-v1', 'production'] };
    let registry = recordRelease(store.read(), 'oncoclear', 1, image, meta('released'));
    registry = recordRelease(registry, 'oncoclear', 1, image, meta('released again'));
    expect(registry.models.oncoclear!.history.filter((e) => e.type === 'released')).toHaveLength(1);
  });

  it('diffs two versions metric by metric', async () => {
    const store = createRegistryStore(join(dir, 'r1'));
    const rows = diffVersions(store.read(), 'oncoclear', 1, 2);
    expect(rows.find((r) => r.metric === 'accuracy')?.delta).toBe(0);
  });

  it('explains unknown models and versions', () => {
    const store = createRegistryStore(join(dir, 'r1'));
    expect(() => promote(store.read(), 'oncoclear', 9, meta('x'))).toThrow(
      "Model 'oncoclear' has no version 9; it has v1, v2.",
    );
    expect(() => promote(store.read(), 'nope', 1, meta('x'))).toThrow(
      "No model 'nope' in the registry; it has 'oncoclear'.",
    );
    expect(() => rollback(store.read(), 'oncoclear', null, meta('x'))).toThrow(
      'has no production version to roll back from',
    );
  });
});

describe('integrity', () => {
  it('refuses a registered artifact whose bytes changed', async () => {
    const store = createRegistryStore(join(dir, 'r5'));
    await registerVersion(store, artifactFile, meta('a'));
    expect(loadRegisteredArtifact(store, 'oncoclear', 1).artifact.name).toBe('oncoclear');
    const file = store.resolve('oncoclear/v1/model.json');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('"converged": true', '"converged": false'),
    );
    expect(() => loadRegisteredArtifact(store, 'oncoclear', 1)).toThrow(
      /Checksum mismatch for '.*oncoclear\/v1\/model.json'/,
    );
  });

  it('refuses to register an artifact that no longer matches its sidecar', async () => {
    const store = createRegistryStore(join(dir, 'r9'));
    const edited = join(dir, 'edited', 'model.json');
    mkdirSync(join(dir, 'edited'), { recursive: true });
    writeFileSync(
      edited,
      readFileSync(artifactFile, 'utf8').replace('"converged": true', '"converged": false'),
    );
    writeFileSync(`${edited}.sha256`, readFileSync(`${artifactFile}.sha256`));
    await expect(registerVersion(store, edited, meta('x'))).rejects.toThrow(/Checksum mismatch/);
    expect(store.read().models).toEqual({});
  });

  it('names the file and the field of a hand-broken registry and never overwrites it', async () => {
    const store = createRegistryStore(join(dir, 'r6'));
    await registerVersion(store, artifactFile, meta('a'));
    const file = join(store.dir, 'oncoclear/v1/version.json');
    const broken = readFileSync(file, 'utf8').replace('"version": 1', '"version": "one"');
    writeFileSync(file, broken);
    expect(() => store.read()).toThrow(
      `Registry file ${file}: version is "one"; expected a number.`,
    );
    await expect(registerVersion(store, artifactFile, meta('b'))).rejects.toThrow(
      /version is "one"/,
    );
    expect(readFileSync(file, 'utf8')).toBe(broken);
  });

  it('reports a registry file that is not JSON', async () => {
    const store = createRegistryStore(join(dir, 'r7'));
    await registerVersion(store, artifactFile, meta('a'));
    const file = join(store.dir, 'oncoclear/production.json');
    writeFileSync(file, '{"schemaVersion": 2, "version": ');
    expect(() => store.read()).toThrow(`${file} is not valid JSON`);
  });

  it('refuses a production file that names a version the history never promoted', async () => {
    const store = createRegistryStore(join(dir, 'r8'));
    await registerVersion(store, artifactFile, meta('a'));
    await registerVersion(store, artifactFile, meta('b'));
    await store.update((r) => ({
      registry: promote(r, 'oncoclear', 1, meta('go')),
      result: undefined,
    }));
    const file = join(store.dir, 'oncoclear/production.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"version": 1', '"version": 2'));
    expect(() => store.read()).toThrow(
      'is not a promotion or rollback of v2; the stage file and the history disagree',
    );
  });

  it('refuses a duplicate key, naming the file and the key', async () => {
    const store = createRegistryStore(join(dir, 'r10'));
    await registerVersion(store, artifactFile, meta('a'));
    await store.update((r) => ({
      registry: promote(r, 'oncoclear', 1, meta('go')),
      result: undefined,
    }));
    const history = join(store.dir, 'oncoclear/history');
    const promoted = readdirSync(history).find((f) => f.includes('-promoted-'))!;
    const file = join(history, promoted);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        '"type": "promoted",',
        '"type": "promoted",\n  "type": "rolled_back",',
      ),
    );
    expect(() => store.read()).toThrow(`${file} has the key 'type' twice (again on line 5)`);
  });

  it('refuses paths that leave the registry and symlinked artifacts', async () => {
    const store = createRegistryStore(join(dir, 'r11'));
    expect(() => store.resolve('../../etc/passwd')).toThrow(/leaves the registry/);
    expect(() => store.resolve('/etc/passwd')).toThrow(/leaves the registry/);
    await registerVersion(store, artifactFile, meta('a'));
    const file = store.resolve('oncoclear/v1/model.json');
    rmSync(file);
    symlinkSync(artifactFile, file);
    expect(() => loadRegisteredArtifact(store, 'oncoclear', 1)).toThrow(/symbolic link/);
  });
});

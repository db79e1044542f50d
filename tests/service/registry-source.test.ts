import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../service/app.js';
import { createLogger } from '../../service/log.js';
import { createMetrics } from '../../service/metrics.js';
import { watchModel } from '../../service/reloader.js';
import { createModelHolder, fileSource, registrySource } from '../../service/served-model.js';
import { directoryWatcher } from '../../service/watch.js';
import { promote, registerVersion } from '../../src/registry/operations.js';
import { createRegistryStore } from '../../src/registry/store.js';
import { json, testApp, trainFixture } from './fixture.js';
import { runService, until } from './serve-process.js';

const a = trainFixture(42);
const b = trainFixture(7);
afterAll(() => {
  a.cleanup();
  b.cleanup();
});

const meta = { actor: 'tester', reason: 'test', now: () => new Date('2025-03-01T00:00:00Z') };

/** A registry with `a` as v1 (in production) and `b` as v2 (staging). */
async function twoVersions(dir: string) {
  const store = createRegistryStore(dir);
  await registerVersion(store, a.file, meta);
  await registerVersion(store, b.file, meta);
  await store.update((r) => ({ registry: promote(r, 'oncoclear', 1, meta), result: null }));
  return store;
}

describe('registry mode follows production', () => {
  it('retries until the production artifact arrives when production.json lands first, and reports staleness meanwhile', async () => {
    // Arrange: serving v1; v2's artifact is held back, as a sync that writes production.json first.
    const store = await twoVersions(join(a.dir, 'registry-retry'));
    const artifact = store.resolve('oncoclear/v2/model.json');
    const aside = join(a.dir, 'held-back');
    mkdirSync(aside);
    renameSync(artifact, join(aside, 'model.json'));
    renameSync(`${artifact}.sha256`, join(aside, 'model.json.sha256'));
    const source = registrySource(store.dir);
    const holder = createModelHolder(source.load());
    const metrics = createMetrics();
    const logs: Record<string, unknown>[] = [];
    const app = createApp({
      holder,
      metrics,
      logger: createLogger(() => {}),
      modelFreshness: () => watch.freshness(),
    });
    const watch = watchModel({
      source,
      holder,
      metrics,
      logger: { log: (e) => logs.push(e) },
      watcher: directoryWatcher(20),
      retry: { initialMs: 20, maxMs: 100 },
    });
    try {
      expect(watch.freshness()).toMatchObject({ production: 1, serving: '1', stale: false });

      // Act: promote v2 while its artifact is missing.
      await store.update((r) => ({ registry: promote(r, 'oncoclear', 2, meta), result: null }));
      await until(() => watch.freshness()?.stale === true);

      // Assert: still v1, stale against production v2, with the reason.
      expect(holder.current!.version).toBe('1');
      const stale = watch.freshness()!;
      expect(stale).toMatchObject({ production: 2, serving: '1', stale: true });
      expect(stale.staleSince).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(stale.reason).toMatch(/model\.json/);
      const ready = await app.request('/ready');
      expect(ready.status).toBe(200); // a stale model is still a verified one
      expect((await json(ready)).registry).toMatchObject({
        serving: '1',
        production: 2,
        stale: true,
      });
      expect(await (await app.request('/metrics')).text()).toMatch(/^oncoclear_model_stale 1$/m);

      // Act: the artifact arrives, in a folder the watcher does not see; only a retry finds it.
      renameSync(join(aside, 'model.json.sha256'), `${artifact}.sha256`);
      renameSync(join(aside, 'model.json'), artifact);
      await until(() => holder.current!.version === '2');

      // Assert
      expect(watch.freshness()).toEqual({
        production: 2,
        serving: '2',
        stale: false,
        staleSince: null,
        reason: null,
      });
      expect(await (await app.request('/metrics')).text()).toMatch(/^oncoclear_model_stale 0$/m);
      expect(
        logs.some((e) => e.msg === 'not serving the registry production version; retrying'),
      ).toBe(true);
    } finally {
      watch.stop();
    }
  });

  it('keeps retrying while the artifact does not verify, then serves it once it does', async () => {
    const store = await twoVersions(join(b.dir, 'registry-verify'));
    const artifact = store.resolve('oncoclear/v2/model.json');
    const good = readFileSync(artifact);
    writeFileSync(artifact, good.subarray(0, 100)); // a half-copied file
    const source = registrySource(store.dir);
    const { holder, metrics } = testApp(source.load());
    const watch = watchModel({
      source,
      holder,
      metrics,
      logger: { log: () => {} },
      watcher: directoryWatcher(20),
      retry: { initialMs: 20, maxMs: 100 },
    });
    try {
      await store.update((r) => ({ registry: promote(r, 'oncoclear', 2, meta), result: null }));
      await until(() => watch.freshness()?.stale === true);
      expect(watch.freshness()!.reason).toMatch(/Checksum mismatch/);

      writeFileSync(artifact, good);
      await until(() => holder.current!.version === '2');
      expect(watch.freshness()!.stale).toBe(false);
    } finally {
      watch.stop();
    }
  });

  it('reports no freshness for a model file', () => {
    const source = fileSource(a.file);
    const { holder, metrics } = testApp(source.load());
    const watch = watchModel({
      source,
      holder,
      metrics,
      logger: { log: () => {} },
      watcher: directoryWatcher(20),
    });
    expect(watch.freshness()).toBeNull();
    watch.stop();
  });
});

describe('model-info.json beside a mounted model', () => {
  function mounted(dir: string, info: (sha256: string) => object) {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'model.json');
    copyFileSync(a.file, file);
    copyFileSync(`${a.file}.sha256`, `${file}.sha256`);
    const sha256 = `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
    writeFileSync(join(dir, 'model-info.json'), JSON.stringify(info(sha256)));
    return file;
  }

  it('does not report a registry version that no registry confirms', () => {
    const file = mounted(join(a.dir, 'mnt-claim'), (sha256) => ({
      name: 'oncoclear',
      version: 7,
      stage: 'production',
      sha256,
    }));
    const model = fileSource(file).load();
    expect(model.version).toBe(model.sha256.slice(7, 19));
    expect(model.registry).toBeNull();
    expect(model.unverifiedClaim).toEqual({ version: 7, stage: 'production' });
  });

  it('reports the version a registry around the file confirms, whatever model-info.json says', async () => {
    const store = await twoVersions(join(a.dir, 'registry-info'));
    const file = store.resolve('oncoclear/v1/model.json');
    writeFileSync(
      join(file, '..', 'model-info.json'),
      JSON.stringify({
        name: 'oncoclear',
        version: 2,
        stage: 'production',
        sha256: fileSource(file).load().sha256,
      }),
    );
    const model = fileSource(file).load();
    expect(model.version).toBe('1');
    expect(model.registry).toMatchObject({ version: 1, stage: 'production' });
    expect(model.unverifiedClaim).toEqual({ version: 2, stage: 'production' });
  });
});

describe('serve --registry refuses a registry that points outside itself', () => {
  async function refusal(dir: string): Promise<string> {
    const p = runService(['serve', '--registry', dir, '--port', '0', '--host', '127.0.0.1']);
    expect(await p.exited).toBe(1);
    const lines = p.err().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    return lines[0]!;
  }
  const outsideSha = () => createHash('sha256').update(readFileSync(b.file)).digest('hex');

  it('refuses a symlinked artifact without revealing the target checksum', async () => {
    const store = await twoVersions(join(b.dir, 'reg-symlink'));
    const artifact = store.resolve('oncoclear/v1/model.json');
    rmSync(artifact);
    symlinkSync(b.file, artifact);
    const line = await refusal(store.dir);
    expect(line).toMatch(/symbolic link/);
    expect(line).not.toContain(outsideSha());
  }, 20_000);

  it('refuses a version folder that is a symlink to elsewhere', async () => {
    const store = await twoVersions(join(b.dir, 'reg-dirlink'));
    const elsewhere = join(b.dir, 'elsewhere-v1');
    renameSync(join(store.dir, 'oncoclear', 'v1'), elsewhere);
    symlinkSync(elsewhere, join(store.dir, 'oncoclear', 'v1'));
    expect(await refusal(store.dir)).toMatch(/v1.*not registered|symbolic link/);
  }, 20_000);

  it('refuses a version file that names an artifact path of its own (`..` or absolute)', async () => {
    for (const path of ['../../outside/model.json', b.file]) {
      const store = await twoVersions(join(b.dir, `reg-path-${path.length}`));
      const versionFile = store.resolve('oncoclear/v1/version.json');
      const json = JSON.parse(readFileSync(versionFile, 'utf8'));
      writeFileSync(versionFile, JSON.stringify({ ...json, artifact: path }));
      const line = await refusal(store.dir);
      expect(line).toMatch(/version\.json/);
      expect(line).not.toContain(outsideSha());
    }
  }, 30_000);
});

describe('serve --registry says what is missing from the registry', () => {
  it('names a registry directory that does not exist, with or without --model-name', async () => {
    const dir = join(a.dir, 'no-such-registry');
    for (const extra of [[], ['--model-name', 'churn']]) {
      const p = runService(['serve', '--registry', dir, ...extra, '--port', '0']);
      expect(await p.exited).toBe(1);
      const line = p.err().trim();
      expect(line).toContain(`Registry directory ${dir} does not exist`);
      expect(line).not.toContain('--model-name');
      expect(line).not.toContain('production');
    }
  }, 20_000);

  it('says a registry with no models holds none and how one gets there, not to pass --model-name', () => {
    const dir = join(a.dir, 'empty-registry');
    mkdirSync(dir);
    for (const name of [undefined, 'churn']) {
      const load = () => registrySource(dir, name).load();
      expect(load).toThrow(`Registry ${dir} holds no models`);
      expect(load).toThrow('oncoclear pipeline');
      expect(load).not.toThrow('--model-name');
    }
  });

  it('names the models a registry holds when --model-name names another', async () => {
    const store = await twoVersions(join(a.dir, 'registry-named'));
    expect(() => registrySource(store.dir, 'churn').load()).toThrow(
      `Registry ${store.dir} holds no model 'churn'; expected one of 'oncoclear'.`,
    );
    expect(registrySource(store.dir, 'oncoclear').load().version).toBe('1');
  });
});

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reloadModel, watchModel } from '../../service/reloader.js';
import { fileSource, registrySource } from '../../service/served-model.js';
import { directoryWatcher } from '../../service/watch.js';
import { saveArtifact } from '../../src/model/artifact.js';
import { promote, registerVersion } from '../../src/registry/operations.js';
import { createRegistryStore } from '../../src/registry/store.js';
import { json, post, testApp, trainFixture } from './fixture.js';

const a = trainFixture(42);
const b = trainFixture(7); // a different split → different coefficients and checksum
afterAll(() => {
  a.cleanup();
  b.cleanup();
});

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function served(file: string) {
  const source = fileSource(file);
  const env = testApp(source.load());
  return { ...env, source };
}

describe('hot reload of a watched model file', () => {
  it('serves the new version after the file is replaced', async () => {
    const file = join(a.dir, 'watched.json');
    saveArtifact(file, a.artifact);
    const { app, holder, source, logLines, metrics } = served(file);
    const first = holder.current!;
    const watch = watchModel({
      source,
      holder,
      logger: { log: (e) => logLines.push(JSON.stringify(e)) },
      metrics,
      watcher: directoryWatcher(30),
    });
    try {
      saveArtifact(file, b.artifact);
      await until(() => holder.current !== first);
      const res = await json(post(app, '/predict', { features: a.rows[0] }));
      expect(res.model.version).toBe(holder.current!.version);
      expect(res.model.version).not.toBe(first.version);
      expect((await json(app.request('/model'))).sha256).toBe(holder.current!.sha256);
      expect(await (await app.request('/metrics')).text()).toContain(
        `oncoclear_model_info{model="oncoclear",version="${holder.current!.version}"`,
      );
    } finally {
      watch.stop();
    }
  });

  it('recheck() serves a change that landed before the watch began, and is a no-op when none did', () => {
    const file = join(a.dir, 'early.json');
    saveArtifact(file, a.artifact);
    const { holder, source, logLines, metrics } = served(file);
    const first = holder.current!;
    // A watch that never fires: only recheck can see the change.
    const silent = { watch: () => () => {} };
    const logger = { log: (e: object) => logLines.push(JSON.stringify(e)) };
    const watch = watchModel({ source, holder, logger, metrics, watcher: silent });
    try {
      watch.recheck();
      expect(holder.current).toBe(first);
      expect(logLines).toEqual([]);
      // As when a server is still starting: replaced after its load, before its watch.
      saveArtifact(file, b.artifact);
      expect(holder.current).toBe(first);
      watch.recheck();
      expect(holder.current!.sha256).not.toBe(first.sha256);
      expect(JSON.parse(logLines[0]!)).toMatchObject({ msg: 'model reloaded' });
    } finally {
      watch.stop();
    }
  });

  it('keeps the old model when the new file is bad, and logs a JSON warning saying why', async () => {
    const file = join(a.dir, 'bad.json');
    saveArtifact(file, a.artifact);
    const { app, holder, source, logLines, metrics } = served(file);
    const first = holder.current!;
    const logger = { log: (e: object) => logLines.push(JSON.stringify(e)) };
    const watch = watchModel({ source, holder, logger, metrics, watcher: directoryWatcher(30) });
    try {
      // Bytes that no longer match the .sha256 sidecar: a tampered or half-copied file.
      writeFileSync(file, '{"kind": "oncoclear.model", "schemaVersion": 1}');
      await until(() => logLines.length > 0);
      expect(holder.current).toBe(first);
      const warning = JSON.parse(logLines[0]!);
      expect(warning).toMatchObject({
        level: 'warn',
        msg: 'model reload failed; still serving the previous model',
        serving: { version: first.version },
      });
      expect(warning.reason).toMatch(/Checksum mismatch/);
      const res = await post(app, '/predict', { features: a.rows[0] });
      expect(res.status).toBe(200);
      expect((await json(res)).model.version).toBe(first.version);
      expect((await app.request('/ready')).status).toBe(200);
    } finally {
      watch.stop();
    }
  });

  it('rejects an unknown schema version on reload', () => {
    const file = join(a.dir, 'schema.json');
    saveArtifact(file, a.artifact);
    const { holder, source, metrics } = served(file);
    const first = holder.current!;
    const text = JSON.stringify({ ...a.artifact, schemaVersion: 99 });
    writeFileSync(file, text);
    // A matching checksum, so the refusal comes from the schema check and nothing else.
    writeFileSync(
      `${file}.sha256`,
      `${createHash('sha256').update(text).digest('hex')}  schema.json\n`,
    );
    const events: Record<string, unknown>[] = [];
    expect(reloadModel({ source, holder, metrics, logger: { log: (e) => events.push(e) } })).toBe(
      false,
    );
    expect(holder.current).toBe(first);
    expect(String(events[0]!.reason)).toMatch(/schemaVersion 99/);
  });

  it('answers a request with one model throughout when a swap lands mid-request', async () => {
    const { app, holder, audit } = served(a.file);
    const next = fileSource(b.file).load();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const body = new ReadableStream({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"features": ${JSON.stringify(a.rows[0])}`));
        await gate;
        controller.enqueue(new TextEncoder().encode('}'));
        controller.close();
      },
    });
    const pending = app.request('/predict', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      duplex: 'half',
    } as RequestInit);
    holder.swap(next);
    release();
    const res = await json(pending);
    const line = audit.records()[0] as { model: { version: string }; output: unknown };
    expect(line.model.version).toBe(res.model.version);
    const used = res.model.version === next.version ? next : fileSource(a.file).load();
    expect(res.probabilities).toEqual(used.predictor.predict(a.rows[0]!).probabilities);
    expect(line.output).toEqual({ label: res.label, probabilities: res.probabilities });
  });
});

describe('serving from a registry', () => {
  it('serves the production version and reports its registry event', async () => {
    const store = createRegistryStore(join(a.dir, 'registry'));
    const meta = { actor: 'tester', reason: 'good', now: () => new Date('2025-02-01T00:00:00Z') };
    await registerVersion(store, a.file, meta);
    await registerVersion(store, b.file, meta);
    await store.update((r) => ({ registry: promote(r, 'oncoclear', 2, meta), result: null }));
    const source = registrySource(store.dir);
    const { app } = testApp(source.load());
    const info = await json(app.request('/model'));
    expect(info.version).toBe('2');
    expect(info.registry).toMatchObject({
      version: 2,
      stage: 'production',
      registeredAt: '2025-02-01T00:00:00.000Z',
      event: { type: 'promoted', version: 2, actor: 'tester' },
    });
    expect(JSON.stringify(info)).not.toContain(store.dir);
    const res = await json(post(app, '/predict', { features: a.rows[0] }));
    expect(res.model).toEqual({ name: 'oncoclear', version: '2', threshold: 0.5 });
  });

  it('refuses a registry without a production version, or an artifact that no longer matches', async () => {
    const store = createRegistryStore(join(b.dir, 'registry'));
    const meta = { actor: 'tester', reason: 'x', now: () => new Date() };
    const v = await registerVersion(store, a.file, meta);
    expect(() => registrySource(store.dir).load()).toThrow(/no production version/);
    await store.update((r) => ({
      registry: promote(r, 'oncoclear', v.version, meta),
      result: null,
    }));
    writeFileSync(store.resolve(v.artifact), '{}');
    expect(() => registrySource(store.dir).load()).toThrow(/Checksum mismatch/);
  });
});

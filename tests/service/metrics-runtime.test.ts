import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../service/app.js';
import { memorySink } from '../../service/audit.js';
import { createLogger } from '../../service/log.js';
import { createMetrics, mergeMetricsStates, renderMetrics } from '../../service/metrics.js';
import { createModelHolder } from '../../service/served-model.js';
import { json, loadFile, post, testApp, trainFixture } from './fixture.js';

const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);

/** name → lines of the exposition that are samples of it (or of its _bucket/_sum/_count). */
const samples = (text: string, name: string) =>
  text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
const sampleValue = (text: string, line: RegExp) => {
  const found = text.split('\n').find((l) => line.test(l));
  return found === undefined ? undefined : Number(found.slice(found.lastIndexOf(' ') + 1));
};

describe('process and runtime series', () => {
  it('exposes CPU, memory, event-loop lag, GC and open fds in the same /metrics response', async () => {
    const { app } = testApp(model);
    const text = await (await app.request('/metrics')).text();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'process_open_fds',
    ])
      expect(samples(text, name).length, name).toBeGreaterThan(0);
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    // Still one exposition with the service's own series.
    expect(text).toContain('# TYPE oncoclear_http_requests_total counter');
  });

  it('names every series by Prometheus conventions: counters end in _total, units are base units', async () => {
    const { app } = testApp(model);
    await post(app, '/predict', { features: fx.rows[0] });
    const text = await (await app.request('/metrics')).text();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({
      name: name!,
      type: type!,
    }));
    expect(types.length).toBeGreaterThan(20);
    for (const { name, type } of types) {
      expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
      if (type === 'counter') expect(name, name).toMatch(/_total$/);
      else expect(name, name).not.toMatch(/_total$/);
      expect(name, name).not.toMatch(/_(ms|milliseconds|kb|mb|percent)(_|$)/);
    }
    expect(new Set(types.map((t) => t.name)).size).toBe(types.length);
  });
});

describe('process series of a cluster', () => {
  it('keeps the descriptor limit and the earliest start time rather than summing or dropping them', async () => {
    const a = await createMetrics({ version: '1.0.0' }).state();
    const b = await createMetrics({ version: '1.0.0' }).state();
    const one = await renderMetrics(mergeMetricsStates([a]), [a.runtime]);
    const two = await renderMetrics(mergeMetricsStates([a, b]), [a.runtime, b.runtime]);
    const limit = sampleValue(one, /^process_max_fds /);
    expect(limit).toBeGreaterThan(0);
    expect(sampleValue(two, /^process_max_fds /)).toBe(limit);
    const started = sampleValue(one, /^process_start_time_seconds /);
    expect(started).toBeGreaterThan(0);
    expect(sampleValue(two, /^process_start_time_seconds /)).toBe(started);
    // What stays a sum: two processes' CPU time is both.
    expect(samples(two, 'process_cpu_seconds_total')).toHaveLength(1);
  });
});

describe('service series', () => {
  it('has a build-info series with the version, the model and its version', async () => {
    const metrics = createMetrics({ version: '1.2.3' });
    const app = createApp({ holder: createModelHolder(model), audit: memorySink(), metrics });
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('# TYPE oncoclear_build_info gauge');
    expect(text).toContain(
      `oncoclear_build_info{version="1.2.3",model="oncoclear",model_version="${model.version}"} 1`,
    );
  });

  it('gauges requests in flight: the scrape itself, and none left after failures', async () => {
    const { app } = testApp(model);
    await post(app, '/predict', '{bad');
    await post(app, '/predict', { features: [1] });
    await app.request('/nope');
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('# TYPE oncoclear_http_requests_in_flight gauge');
    expect(sampleValue(text, /^oncoclear_http_requests_in_flight /)).toBe(1);
  });

  it('reports a stale model (served ≠ registry production) as a gauge and in /ready', async () => {
    let production = 2;
    const since = '2025-06-01T12:00:00.000Z';
    const app = createApp({
      holder: createModelHolder(model),
      audit: memorySink(),
      modelFreshness: () => ({
        serving: '1',
        production,
        stale: production !== 1,
        staleSince: production !== 1 ? since : null,
        reason: production !== 1 ? "artifact '/srv/registry/v2/model.json' not found" : null,
      }),
    });
    const stale = await app.request('/ready');
    expect(stale.status).toBe(200);
    expect(await json(stale)).toEqual({
      status: 'ready',
      registry: { serving: '1', production: 2, stale: true, staleSince: since },
    });
    // The load error stays in the log: it can name host paths.
    expect(JSON.stringify(await json(app.request('/ready')))).not.toContain('/srv/registry');
    expect(
      sampleValue(await (await app.request('/metrics')).text(), /^oncoclear_model_stale /),
    ).toBe(1);
    production = 1;
    expect((await json(app.request('/ready'))).registry.stale).toBe(false);
    expect(
      sampleValue(await (await app.request('/metrics')).text(), /^oncoclear_model_stale /),
    ).toBe(0);
  });

  it('omits the staleness gauge and body field when there is nothing to compare', async () => {
    const { app } = testApp(model);
    expect(await json(app.request('/ready'))).toEqual({ status: 'ready' });
    expect(await (await app.request('/metrics')).text()).not.toContain('oncoclear_model_stale');
  });

  it('answers 503 on both readiness routes while draining, and keeps predicting', async () => {
    let draining = false;
    const app = createApp({
      holder: createModelHolder(model),
      audit: memorySink(),
      isDraining: () => draining,
    });
    expect((await app.request('/ready')).status).toBe(200);
    draining = true;
    const ready = await app.request('/ready');
    expect(ready.status).toBe(503);
    expect((await json(ready)).details.issues[0].message).toBe('shutting down');
    const oip = await app.request('/v2/health/ready');
    expect(oip.status).toBe(503);
    expect(await json(oip)).toEqual({ error: 'not ready: shutting down' });
    expect((await post(app, '/predict', { features: fx.rows[0] })).status).toBe(200);
    expect((await app.request('/health')).status).toBe(200);
  });
});

describe('client aborts', () => {
  it('are counted as 499 and logged at info, never as a 500 error', async () => {
    const logLines: string[] = [];
    const metrics = createMetrics();
    const app = createApp({
      holder: createModelHolder(model),
      audit: memorySink(),
      metrics,
      logger: createLogger((line) => logLines.push(line)),
    });
    // The client sends part of a chunked body, then hangs up: the signal aborts and the body
    // stream errors, as @hono/node-server does when the socket closes.
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"features": ['));
      },
      pull(c) {
        controller.abort();
        c.error(new Error('aborted'));
      },
    });
    const res = await app.request(
      new Request('http://localhost/predict', {
        method: 'POST',
        body,
        signal: controller.signal,
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        duplex: 'half',
      } as RequestInit),
    );
    expect(res.status).toBe(499);
    const text = await metrics.render();
    expect(text).toMatch(
      /oncoclear_http_requests_total\{method="POST",route="\/predict",status="499"\} 1/,
    );
    expect(text).not.toMatch(/status="500"/);
    const logs = logLines.map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'client closed the request before it was answered',
      }),
    ]);
  });
});

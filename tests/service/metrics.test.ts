import { afterAll, describe, expect, it } from 'vitest';
import { createMetrics, escapeLabel } from '../../service/metrics.js';
import { loadFile, post, testApp, trainFixture } from './fixture.js';

const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser for the text exposition format: enough to check names, labels and values. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not exposition format: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value ?? 0;

describe('GET /metrics', () => {
  it('is Prometheus text with HELP/TYPE lines and parseable samples', async () => {
    const { app } = testApp(model);
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(text).toContain('# TYPE oncoclear_http_requests_total counter');
    expect(text).toContain('# TYPE oncoclear_http_request_duration_seconds histogram');
    expect(() => parse(text)).not.toThrow();
  });

  it('counts requests by route pattern and status, and predictions by class', async () => {
    const { app } = testApp(model);
    const before = parse(await (await app.request('/metrics')).text());
    await post(app, '/predict', { features: fx.rows[0] });
    await post(app, '/predict', { features: fx.rows[1] });
    await post(app, '/predict', { features: [1] });
    await post(app, '/v2/models/oncoclear/infer', {
      inputs: [{ name: 'x', shape: [1, 30], datatype: 'FP64', data: fx.rows[2] }],
    });
    await app.request('/no/such/thing');
    const after = parse(await (await app.request('/metrics')).text());
    const req = (route: string, status: string) =>
      value(after, 'oncoclear_http_requests_total', { method: 'POST', route, status }) -
      value(before, 'oncoclear_http_requests_total', { method: 'POST', route, status });
    expect(req('/predict', '200')).toBe(2);
    expect(req('/predict', '422')).toBe(1);
    // The route pattern, not the raw path, so label cardinality stays bounded.
    expect(req('/v2/models/:name/infer', '200')).toBe(1);
    expect(after.some((s) => s.labels.route?.includes('oncoclear/infer'))).toBe(false);
    expect(
      value(after, 'oncoclear_http_requests_total', {
        method: 'GET',
        route: 'unmatched',
        status: '404',
      }),
    ).toBe(1);

    const byClass = after.filter((s) => s.name === 'oncoclear_predictions_total');
    expect(byClass.reduce((sum, s) => sum + s.value, 0)).toBe(3);
    expect(byClass.every((s) => s.labels.version === model.version)).toBe(true);
    expect(byClass.map((s) => s.labels.class).sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/benign|malignant/)]),
    );
  });

  it('has a latency histogram whose +Inf bucket and count match the request counter', async () => {
    // The fake clock does not move during a request, so it lands in the lowest bucket.
    const { app } = testApp(model);
    await post(app, '/predict', { features: fx.rows[0] });
    const s = parse(await (await app.request('/metrics')).text());
    const labels = { method: 'POST', route: '/predict', status: '200' };
    expect(
      value(s, 'oncoclear_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' }),
    ).toBe(1);
    expect(
      value(s, 'oncoclear_http_request_duration_seconds_bucket', { ...labels, le: '0.0005' }),
    ).toBe(1);
    expect(value(s, 'oncoclear_http_request_duration_seconds_count', labels)).toBe(1);
  });

  it('exposes the loaded model as an info gauge', async () => {
    const { app } = testApp(model);
    const s = parse(await (await app.request('/metrics')).text());
    expect(
      value(s, 'oncoclear_model_info', {
        model: 'oncoclear',
        version: model.version,
        sha256: model.sha256,
      }),
    ).toBe(1);
  });

  it('places observations in cumulative buckets', async () => {
    const m = createMetrics();
    m.observeRequest('GET', '/x', 200, 0.003);
    m.observeRequest('GET', '/x', 200, 0.2);
    const s = parse(await m.render());
    const l = { route: '/x' };
    expect(value(s, 'oncoclear_http_request_duration_seconds_bucket', { ...l, le: '0.0025' })).toBe(
      0,
    );
    expect(value(s, 'oncoclear_http_request_duration_seconds_bucket', { ...l, le: '0.005' })).toBe(
      1,
    );
    expect(value(s, 'oncoclear_http_request_duration_seconds_bucket', { ...l, le: '0.25' })).toBe(
      2,
    );
    expect(value(s, 'oncoclear_http_request_duration_seconds_sum', l)).toBeCloseTo(0.203, 9);
  });

  it('escapes label values', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});

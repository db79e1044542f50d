import { afterAll, describe, expect, it } from 'vitest';
import { createMetrics, mergeMetricsStates, renderMetrics } from '../../service/metrics.js';
import { loadFile, trainFixture } from './fixture.js';

// A cluster's /metrics: each worker's series as data, merged and rendered in the primary.
const a = trainFixture(42);
const b = trainFixture(7);
afterAll(() => {
  a.cleanup();
  b.cleanup();
});

const sample = (text: string, series: string) =>
  text
    .split('\n')
    .find((l) => l.startsWith(`${series} `))
    ?.split(' ')[1];

describe('merging workers’ metrics', () => {
  it('renders one worker’s state exactly as that worker renders itself', async () => {
    const m = createMetrics({ version: '0.1.0', runtime: false });
    m.setModel(loadFile(a.file));
    m.observeRequest('POST', '/predict', 200, 0.002);
    m.countPredictions(loadFile(a.file), 'benign', 3);
    const state = await m.state();
    expect(await renderMetrics(mergeMetricsStates([state]), [state.runtime])).toBe(
      await m.render(),
    );
  });

  it('sums counters and histogram buckets, keeps each distinct model once, and is stale while any worker is', async () => {
    const modelA = loadFile(a.file);
    const modelB = loadFile(b.file);
    const w1 = createMetrics({ version: '0.1.0', runtime: false });
    const w2 = createMetrics({ version: '0.1.0', runtime: false });
    w1.setModel(modelA);
    w2.setModel(modelB); // mid-reload: the second worker already serves the new model
    w1.observeRequest('POST', '/predict', 200, 0.0004);
    w2.observeRequest('POST', '/predict', 200, 0.003);
    w2.observeRequest('POST', '/predict', 200, 0.003);
    w1.countPredictions(modelA, 'benign', 1);
    w2.countPredictions(modelA, 'benign', 4);
    w1.countReload('failure');
    w2.countReload('success');
    w1.trackFreshness(() => null);
    w2.trackFreshness(() => ({
      production: 2,
      serving: '1',
      stale: true,
      staleSince: null,
      reason: null,
    }));
    const states = [await w1.state(), await w2.state()];

    const text = await renderMetrics(
      mergeMetricsStates(states),
      states.map((s) => s.runtime),
    );

    const predict = 'method="POST",route="/predict",status="200"';
    expect(sample(text, `oncoclear_http_requests_total{${predict}}`)).toBe('3');
    expect(
      sample(text, `oncoclear_http_request_duration_seconds_bucket{${predict},le="0.0005"}`),
    ).toBe('1');
    expect(
      sample(text, `oncoclear_http_request_duration_seconds_bucket{${predict},le="0.005"}`),
    ).toBe('3');
    expect(
      Number(sample(text, `oncoclear_http_request_duration_seconds_sum{${predict}}`)),
    ).toBeCloseTo(0.0064);
    expect(
      sample(
        text,
        `oncoclear_predictions_total{model="oncoclear",version="${modelA.version}",class="benign"}`,
      ),
    ).toBe('5');
    expect(sample(text, 'oncoclear_model_reloads_total{result="success"}')).toBe('1');
    expect(sample(text, 'oncoclear_model_reloads_total{result="failure"}')).toBe('1');
    expect(text.match(/^oncoclear_model_info\{/gm)).toHaveLength(2);
    expect(sample(text, 'oncoclear_model_stale')).toBe('1');
    // Each series appears once, with one HELP and TYPE.
    expect(text.match(/^# TYPE oncoclear_http_requests_total /gm)).toHaveLength(1);
  });
});

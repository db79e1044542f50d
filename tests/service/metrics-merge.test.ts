import { afterAll, describe, expect, it } from 'vitest';
import { createMetrics, mergeMetricsStates, renderMetrics } from '../../service/metrics.js';
import { createMetricsBook, type MetricsBook } from '../../service/node/metrics-book.js';
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

describe('a cluster primary’s book of its workers’ metrics', () => {
  const predict = 'method="POST",route="/predict",status="200"';
  const scrapeText = async (book: MetricsBook, live: number[]) => {
    const { states, runtimes } = book.scrape(live, mergeMetricsStates);
    return renderMetrics(mergeMetricsStates(states), runtimes);
  };
  const worker = (requests: number, inFlight = 0) => {
    const m = createMetrics({ version: '0.1.0', runtime: false });
    m.setModel(loadFile(a.file));
    for (let i = 0; i < requests; i++) m.observeRequest('POST', '/predict', 200, 0.002);
    m.countPredictions(loadFile(a.file), 'benign', requests);
    m.countReload('success');
    for (let i = 0; i < inFlight; i++) m.requestStarted();
    return m;
  };

  it('keeps an exited worker’s counters in every later scrape, but not its gauges', async () => {
    const book = createMetricsBook();
    const w1 = worker(3, 2);
    const w2 = worker(4);
    book.record(1, await w1.state());
    book.record(2, await w2.state());
    const before = await scrapeText(book, [1, 2]);
    expect(sample(before, `oncoclear_http_requests_total{${predict}}`)).toBe('7');
    expect(sample(before, 'oncoclear_http_requests_in_flight')).toBe('2');

    // Worker 1 exits and worker 3 replaces it, fresh from zero.
    book.exited(1);
    book.record(3, await worker(1).state());
    const after = await scrapeText(book, [2, 3]);
    expect(sample(after, `oncoclear_http_requests_total{${predict}}`)).toBe('8');
    expect(
      sample(after, `oncoclear_http_request_duration_seconds_bucket{${predict},le="0.005"}`),
    ).toBe('8');
    expect(sample(after, `oncoclear_http_request_duration_seconds_count{${predict}}`)).toBe('8');
    expect(
      Number(sample(after, `oncoclear_http_request_duration_seconds_sum{${predict}}`)),
    ).toBeCloseTo(0.016);
    expect(sample(after, 'oncoclear_model_reloads_total{result="success"}')).toBe('3');
    // Its requests in flight died with it.
    expect(sample(after, 'oncoclear_http_requests_in_flight')).toBe('0');

    // And again, once more folded into the same baseline.
    book.exited(2);
    book.exited(3);
    book.record(4, await worker(0).state());
    const later = await scrapeText(book, [4]);
    expect(sample(later, `oncoclear_http_requests_total{${predict}}`)).toBe('8');
    expect(
      sample(
        later,
        `oncoclear_predictions_total{model="oncoclear",version="${loadFile(a.file).version}",class="benign"}`,
      ),
    ).toBe('8');
    expect(later.match(/^oncoclear_model_info\{/gm)).toHaveLength(1);
  });

  it('counts a worker that missed the scrape with its last reported state', async () => {
    const book = createMetricsBook();
    const w1 = worker(2);
    const w2 = worker(5);
    book.record(1, await w1.state());
    book.record(2, await w2.state());
    expect(
      sample(await scrapeText(book, [1, 2]), `oncoclear_http_requests_total{${predict}}`),
    ).toBe('7');

    // Worker 2 does not answer this time; worker 1 has served one more request.
    w1.observeRequest('POST', '/predict', 200, 0.002);
    book.record(1, await w1.state());
    expect(
      sample(await scrapeText(book, [1, 2]), `oncoclear_http_requests_total{${predict}}`),
    ).toBe('8');
    // A worker that has never answered adds nothing, rather than failing the scrape.
    expect(
      sample(await scrapeText(book, [1, 2, 9]), `oncoclear_http_requests_total{${predict}}`),
    ).toBe('8');
  });
});

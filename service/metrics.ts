import type { Registry } from 'prom-client';
import { packageVersion } from '../src/util/package-version.js';
import type { Clock } from './clock.js';
import type { ModelFreshness } from './lifecycle.js';
import type { ServedModel } from './served-model.js';

/** Latency buckets in seconds: fine-grained below 10 ms, where a healthy /predict lives. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

/** The content type of `render()`'s output. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Prometheus metrics for the service (text exposition format 0.0.4). The per-request series are
 * hand-written (one map lookup per request; see service/README.md for the measurement); the
 * process and Node runtime series come from prom-client's defaults on a registry of their own.
 */
export interface ServiceMetrics {
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** A request entered the app (the in-flight gauge goes up). */
  requestStarted(): void;
  /** A request left the app, answered or not (the in-flight gauge goes down). */
  requestFinished(): void;
  countPredictions(model: ServedModel, label: string, count?: number): void;
  setModel(model: ServedModel): void;
  countReload(result: 'success' | 'failure'): void;
  /** Reads registry freshness at scrape time for `oncoclear_model_stale`. */
  trackFreshness(source: () => ModelFreshness | null): void;
  /** Every series, hand-written and prom-client's, as one exposition. */
  render(): Promise<string>;
}

export interface MetricsOptions {
  /** The service's version for `oncoclear_build_info` (default: the package version). */
  version?: string;
  /** Collect prom-client's process and runtime series (default true). */
  runtime?: boolean;
}

interface Series {
  labels: string;
  count: number;
  sum: number;
  buckets: number[];
}

/** Escapes a label value per the exposition format. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
}

/**
 * prom-client, imported on first use rather than with this module: evaluating it (and the
 * @opentelemetry/api it requires) is ~13 ms, the largest part of serve's start path after zod
 * (issue 15, goal 2). The first metrics object starts the import without waiting for it, so it
 * loads while the server starts listening; a scrape waits for it (render is async anyway).
 */
type PromClient = typeof import('prom-client');
let promClient: Promise<PromClient> | null = null;
const loadPromClient = () => {
  // A CommonJS package: the bundle's chunk of it has only a default export, its module.exports.
  promClient ??= import('prom-client').then(
    (m) => (m as unknown as { default?: PromClient }).default ?? m,
  );
  return promClient;
};

const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * The plain-data form of one process's metrics: what a cluster worker sends its primary, and what
 * {@link renderMetrics} turns into the exposition. Every field merges across workers by summing,
 * except the model lines (one per distinct model; a rolling reload briefly shows two) and
 * staleness (stale while any worker is).
 */
export interface MetricsState {
  version: string;
  inFlight: number;
  requests: Series[];
  predictions: { labels: string; count: number }[];
  reloads: { success: number; failure: number };
  models: { name: string; version: string; sha256: string; loadedAt: number }[];
  /** null in file mode (no registry to be stale against). */
  stale: boolean | null;
  /** prom-client's process and runtime series as `Registry.getMetricsAsJSON()` gives them. */
  runtime: unknown[];
}

/** One process's metrics with the runtime series still on their prom-client registry. */
export interface LocalMetrics extends ServiceMetrics {
  /** This process's series only, as data (for a cluster primary to merge). */
  state(): Promise<MetricsState>;
}

/** In-memory metrics; cheap to update (one map lookup per request), rendered on scrape. */
export function createMetrics(options: MetricsOptions = {}): LocalMetrics {
  const requests = new Map<string, Series>();
  const predictions = new Map<string, { labels: string; count: number }>();
  const reloads = { success: 0, failure: 0 };
  let model: ServedModel | null = null;
  let inFlight = 0;
  let freshness: (() => ModelFreshness | null) | null = null;
  let version = options.version;
  // CPU, memory, event-loop lag, GC, open fds, handles: prom-client's well-kept collectors, on
  // their own registry so several apps in one process (tests) do not collide.
  const runtime: Promise<Registry> = loadPromClient().then(
    ({ Registry, collectDefaultMetrics }) => {
      const registry = new Registry();
      if (options.runtime !== false) {
        collectDefaultMetrics({ register: registry });
        // prom-client names these gauges *_total, which Prometheus reserves for counters; the same
        // numbers by type remain in nodejs_active_{handles,requests,resources} (sum them).
        for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
      }
      return registry;
    },
  );
  // A failed import surfaces at the scrape (render and state reject), not as an unhandled rejection.
  runtime.catch(() => {});
  const ownSeries = (): Omit<MetricsState, 'runtime'> => {
    version ??= packageVersion();
    const fresh = freshness?.() ?? null;
    return {
      version,
      inFlight,
      requests: [...requests.values()],
      predictions: [...predictions.values()],
      reloads,
      models: model
        ? [
            {
              name: model.name,
              version: model.version,
              sha256: model.sha256,
              loadedAt: model.loadedAt,
            },
          ]
        : [],
      stale: fresh ? fresh.stale : null,
    };
  };
  return {
    requestStarted() {
      inFlight++;
    },
    requestFinished() {
      inFlight--;
    },
    trackFreshness(source) {
      freshness = source;
    },
    observeRequest(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let s = requests.get(key);
      if (!s) {
        s = {
          labels: labels({ method, route, status: String(status) }),
          count: 0,
          sum: 0,
          buckets: new Array<number>(LATENCY_BUCKETS.length).fill(0),
        };
        requests.set(key, s);
      }
      s.count++;
      s.sum += seconds;
      // Non-cumulative here; render() accumulates, so an observation touches one bucket.
      let i = 0;
      while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
      if (i < LATENCY_BUCKETS.length) s.buckets[i]!++;
    },
    countPredictions(m, label, count = 1) {
      const key = `${m.name}\0${m.version}\0${label}`;
      let p = predictions.get(key);
      if (!p) {
        p = { labels: labels({ model: m.name, version: m.version, class: label }), count: 0 };
        predictions.set(key, p);
      }
      p.count += count;
    },
    setModel(m) {
      model = m;
    },
    countReload(result) {
      reloads[result]++;
    },
    async state() {
      const own = structuredClone(ownSeries());
      return { ...own, runtime: await (await runtime).getMetricsAsJSON() };
    },
    async render() {
      const own = renderSeries(ownSeries());
      return `${own}\n${await (await runtime).metrics()}`;
    },
  };
}

/** Sums the states of several processes (a cluster's workers) into one. */
export function mergeMetricsStates(states: readonly MetricsState[]): MetricsState {
  const requests = new Map<string, Series>();
  const predictions = new Map<string, { labels: string; count: number }>();
  const models = new Map<string, MetricsState['models'][number]>();
  const reloads = { success: 0, failure: 0 };
  let inFlight = 0;
  let stale: boolean | null = null;
  for (const state of states) {
    inFlight += state.inFlight;
    reloads.success += state.reloads.success;
    reloads.failure += state.reloads.failure;
    for (const s of state.requests) {
      const into = requests.get(s.labels);
      if (!into) requests.set(s.labels, { ...s, buckets: [...s.buckets] });
      else {
        into.count += s.count;
        into.sum += s.sum;
        s.buckets.forEach((n, i) => {
          into.buckets[i]! += n;
        });
      }
    }
    for (const p of state.predictions) {
      const into = predictions.get(p.labels);
      if (into) into.count += p.count;
      else predictions.set(p.labels, { ...p });
    }
    for (const m of state.models) {
      const key = `${m.name}\0${m.version}\0${m.sha256}`;
      const seen = models.get(key);
      if (!seen || m.loadedAt > seen.loadedAt) models.set(key, m);
    }
    if (state.stale !== null) stale = (stale ?? false) || state.stale;
  }
  return {
    version: states[0]?.version ?? packageVersion(),
    inFlight,
    requests: [...requests.values()],
    predictions: [...predictions.values()],
    reloads,
    models: [...models.values()],
    stale,
    runtime: states.flatMap((s) => s.runtime),
  };
}

/**
 * How the cluster view combines the process series prom-client would otherwise sum: each process
 * has the same descriptor limit (summing gave twice the limit for two), and the cluster started
 * when its first process did (prom-client omits that series from a cluster view altogether).
 */
const PER_PROCESS_AGGREGATION: Record<string, 'max' | 'min'> = {
  process_max_fds: 'max',
  process_start_time_seconds: 'min',
};

/**
 * The exposition of a (merged) state, runtime series included: prom-client's AggregatorRegistry
 * sums the workers' process series (CPU, memory, handles) and keeps one of each per-process
 * constant, as its cluster mode does, with {@link PER_PROCESS_AGGREGATION} for the two it gets
 * wrong.
 */
export async function renderMetrics(
  state: MetricsState,
  workerRuntimes: readonly unknown[][],
): Promise<string> {
  const { AggregatorRegistry } = await loadPromClient();
  const runtimes = workerRuntimes.map((metrics) =>
    metrics.map((metric) => {
      const name = (metric as { name?: unknown }).name;
      const aggregator = typeof name === 'string' ? PER_PROCESS_AGGREGATION[name] : undefined;
      return aggregator ? { ...(metric as object), aggregator } : metric;
    }),
  );
  const runtime = AggregatorRegistry.aggregate(runtimes as never);
  return `${renderSeries(state)}\n${await runtime.metrics()}`;
}

function renderSeries(state: Omit<MetricsState, 'runtime'>): string {
  const out: string[] = [];
  const { models } = state;
  out.push(
    '# HELP oncoclear_build_info The running build and the model it serves (value is always 1).',
    '# TYPE oncoclear_build_info gauge',
  );
  if (models.length === 0)
    out.push(
      `oncoclear_build_info{${labels({ version: state.version, model: '', model_version: '' })}} 1`,
    );
  for (const m of models)
    out.push(
      `oncoclear_build_info{${labels({ version: state.version, model: m.name, model_version: m.version })}} 1`,
    );
  out.push(
    '# HELP oncoclear_http_requests_in_flight Requests being handled now, this scrape included.',
    '# TYPE oncoclear_http_requests_in_flight gauge',
    `oncoclear_http_requests_in_flight ${state.inFlight}`,
  );
  out.push(
    '# HELP oncoclear_http_requests_total HTTP requests by method, matched route pattern and status.',
    '# TYPE oncoclear_http_requests_total counter',
  );
  for (const s of state.requests) out.push(`oncoclear_http_requests_total{${s.labels}} ${s.count}`);
  out.push(
    '# HELP oncoclear_http_request_duration_seconds HTTP request latency by route and status.',
    '# TYPE oncoclear_http_request_duration_seconds histogram',
  );
  for (const s of state.requests) {
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      cumulative += s.buckets[i]!;
      out.push(
        `oncoclear_http_request_duration_seconds_bucket{${s.labels},le="${le}"} ${cumulative}`,
      );
    });
    out.push(`oncoclear_http_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.count}`);
    out.push(`oncoclear_http_request_duration_seconds_sum{${s.labels}} ${s.sum}`);
    out.push(`oncoclear_http_request_duration_seconds_count{${s.labels}} ${s.count}`);
  }
  out.push(
    '# HELP oncoclear_predictions_total Predictions served, by model version and predicted class.',
    '# TYPE oncoclear_predictions_total counter',
  );
  for (const p of state.predictions)
    out.push(`oncoclear_predictions_total{${p.labels}} ${p.count}`);
  out.push(
    '# HELP oncoclear_model_info The model being served (value is always 1).',
    '# TYPE oncoclear_model_info gauge',
  );
  for (const m of models)
    out.push(
      `oncoclear_model_info{${labels({ model: m.name, version: m.version, sha256: m.sha256 })}} 1`,
    );
  out.push(
    '# HELP oncoclear_model_loaded_timestamp_seconds When the served model was loaded.',
    '# TYPE oncoclear_model_loaded_timestamp_seconds gauge',
  );
  const latest = models.reduce<(typeof models)[number] | null>(
    (a, m) => (a && a.loadedAt >= m.loadedAt ? a : m),
    null,
  );
  if (latest) out.push(`oncoclear_model_loaded_timestamp_seconds ${latest.loadedAt / 1000}`);
  out.push(
    '# HELP oncoclear_model_reloads_total Hot reload attempts of the model file, by result.',
    '# TYPE oncoclear_model_reloads_total counter',
    `oncoclear_model_reloads_total{result="success"} ${state.reloads.success}`,
    `oncoclear_model_reloads_total{result="failure"} ${state.reloads.failure}`,
  );
  if (state.stale !== null) {
    out.push(
      '# HELP oncoclear_model_stale 1 while the served version is not the registry production version.',
      '# TYPE oncoclear_model_stale gauge',
      `oncoclear_model_stale ${state.stale ? 1 : 0}`,
    );
  }
  return out.join('\n');
}

/** One request's part in the request metrics, from {@link trackRequest}. */
export interface TrackedRequest {
  /** Out of flight, and counted by method, route pattern and status, timed from its start. */
  done(method: string, route: string, status: number): void;
  /** Out of flight, not counted: whoever it is handed to counts it. */
  handOff(): void;
}

/**
 * Puts a request in flight from `startedAt` (the clock's monotonic ms). The one definition of a
 * request's part in the metrics, for the app's middleware (middleware/request-metrics.ts) and for
 * the node:http listeners that answer in front of the app (start-app.ts, node/fast-predict.ts).
 */
export function trackRequest(
  metrics: ServiceMetrics,
  clock: Clock,
  startedAt: number,
): TrackedRequest {
  metrics.requestStarted();
  return {
    done(method, route, status) {
      metrics.requestFinished();
      metrics.observeRequest(method, route, status, (clock.monotonic() - startedAt) / 1000);
    },
    handOff: () => metrics.requestFinished(),
  };
}

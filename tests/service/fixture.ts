import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../service/app.js';
import { memorySink } from '../../service/audit.js';
import type { Clock } from '../../service/clock.js';
import { createLogger } from '../../service/log.js';
import { createMetrics } from '../../service/metrics.js';
import { createModelHolder, fileSource, type ServedModel } from '../../service/served-model.js';
import { loadConfig } from '../../src/config/config.js';
import { type Artifact, saveArtifact } from '../../src/model/artifact.js';
import { trainFromConfig } from '../../src/pipeline/train.js';

export const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** A trained artifact (~100 ms) plus some real rows from the data set, for one test file. */
export interface Fixture {
  dir: string;
  file: string;
  artifact: Artifact;
  /** Real rows in feature order, with their true labels. */
  rows: number[][];
  /** Row `i` keyed by feature name. */
  named(i?: number): Record<string, number>;
  cleanup(): void;
}

export function trainFixture(seed = 42): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'oncoclear-service-'));
  const config = loadConfig('oncoclear.config.json');
  const result = trainFromConfig(
    { ...config, split: { ...config.split, seed } },
    { commit: COMMIT, now: () => new Date('2025-01-02T03:04:05Z'), packageVersion: '0.1.0' },
  );
  const file = join(dir, 'model.json');
  saveArtifact(file, result.artifact);
  const p = result.artifact.features.length;
  const rows = Array.from({ length: 5 }, (_, i) =>
    Array.from(result.data.x.subarray(i * p, i * p + p)),
  );
  return {
    dir,
    file,
    artifact: result.artifact,
    rows,
    named: (i = 0) => Object.fromEntries(result.artifact.features.map((f, j) => [f, rows[i]![j]!])),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A clock that only moves when told to. */
export function fakeClock(
  start = Date.parse('2025-06-01T12:00:00Z'),
): Clock & { advance(ms: number): void } {
  let wall = start;
  let mono = 1000;
  return {
    now: () => wall,
    monotonic: () => mono,
    advance(ms) {
      wall += ms;
      mono += ms;
    },
  };
}

/** An app over `model` with every side effect captured in memory. */
/** The audit key testApp fingerprints with, so tests can compute the same fingerprints. */
export const TEST_AUDIT_KEY = Buffer.from('0123456789abcdef0123456789abcdef');

export function testApp(
  model: ServedModel | null,
  options: { logInputs?: boolean; maxBatchRows?: number; maxBodyBytes?: number } = {},
) {
  const audit = memorySink();
  const logLines: string[] = [];
  const metrics = createMetrics();
  const holder = createModelHolder(model);
  let next = 0;
  const clock = fakeClock();
  const app = createApp({
    holder,
    audit,
    metrics,
    clock,
    newId: () => `id-${++next}`,
    logger: createLogger((line) => logLines.push(line)),
    auditKey: TEST_AUDIT_KEY,
    ...options,
  });
  return { app, audit, logLines, metrics, holder, clock };
}

export const loadFile = (file: string) => fileSource(file).load();

/** POSTs JSON (or a raw string) to the app. */
export function post(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  path: string,
  body: unknown,
  contentType = 'application/json',
) {
  return app.request(path, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': contentType },
  });
}

/** A response's JSON body, untyped: tests check its shape with assertions. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
export async function json(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}

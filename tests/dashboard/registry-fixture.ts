// A registry with the lifecycle a dashboard must show: four versions (the first from before model
// cards), three promotions, a rollback and a release, each event a day apart. Built with the
// registry's own operations on a real temp directory, from one small trained model.
import { join } from 'node:path';
import type { Artifact } from '../../src/model/artifact.js';
import { artifactBytes } from '../../src/model/artifact.js';
import { trainFromConfig } from '../../src/pipeline/train.js';
import { DecisionSchema, type PromotionDecision } from '../../src/promotion/policy.js';
import {
  type EventMeta,
  promote,
  recordRelease,
  registerVersion,
  rollback,
} from '../../src/registry/operations.js';
import type { Registry } from '../../src/registry/schema.js';
import { createRegistryStore } from '../../src/registry/store.js';
import { modelCardFiles } from '../../src/report/model-card.js';
import { projectConfig, TRAIN_CONTEXT } from '../support/fixtures.js';

export const MODEL = 'oncoclear';
export const DIGEST = `sha256:${'d'.repeat(64)}`;
export const ROLLBACK_PR = 'https://github.com/acme/oncoclear/pull/12';
export const RELEASE_URL = 'https://github.com/acme/oncoclear/releases/tag/oncoclear-v2';
const DAY = 86_400_000;
export const START = Date.parse('2026-02-01T09:00:00.000Z');
/** The moment of the `day`-th step (day 0 is the first registration). */
export const dayAt = (day: number) => new Date(START + day * DAY);

function decisionFor(artifact: Artifact, version: number, promoteIt: boolean): PromotionDecision {
  const value = artifact.metrics.test.accuracy;
  return DecisionSchema.parse({
    promote: promoteIt,
    outcome: promoteIt ? 'promote' : 'keep',
    metric: 'accuracy',
    comparedOn: 'accuracy',
    candidate: { version, value },
    production: version > 1 ? { version: version - 1, value: value - 0.01 } : null,
    alpha: 0.05,
    evaluatedOn: {
      rows: artifact.metrics.test.rows,
      testRowsHash: artifact.lineage.split.testRowsHash,
      dataSha256: artifact.lineage.dataSha256,
    },
    checks: [
      {
        name: 'minimum',
        passed: true,
        metric: 'accuracy',
        candidate: value,
        production: null,
        delta: null,
        direction: 'higher',
        threshold: 0.8,
        pValue: null,
        interval: artifact.metrics.test.intervals?.accuracy ?? null,
        test: null,
        note: null,
        rows: null,
        missing: null,
      },
      {
        name: 'beats-production',
        passed: promoteIt,
        metric: 'accuracy',
        candidate: value,
        production: version > 1 ? value - 0.01 : null,
        delta: version > 1 ? 0.01 : null,
        direction: 'higher',
        threshold: 0,
        pValue: null,
        interval: null,
        test: null,
        note: version > 1 ? null : 'no-production',
        rows: null,
        missing: null,
      },
    ],
  });
}

/** One trained artifact, with its held-out accuracy and sensitivity nudged per version. */
function variant(base: Artifact, version: number): Artifact {
  const shift = (version - 2) * 0.005;
  const test = base.metrics.test;
  return {
    ...base,
    lineage: { ...base.lineage, commit: `c0ffee${version}`.padEnd(40, '0') },
    metrics: {
      ...base.metrics,
      test: {
        ...test,
        accuracy: Math.min(1, test.accuracy + shift),
        recall: Math.min(1, test.recall + shift),
      },
    },
  };
}

export interface LifecycleRegistry {
  dir: string;
  registry: Registry;
  artifact: Artifact;
}

/**
 * Builds, in `dir`: v1 (no card) promoted on day 1; v2 promoted on day 3; v3 promoted on day 5;
 * a rollback to v2 on day 6 (with a PR link); v2 released on day 7; v4 registered on day 8.
 */
export async function buildLifecycleRegistry(root: string): Promise<LifecycleRegistry> {
  const dir = join(root, 'registry');
  const store = createRegistryStore(dir);
  const config = projectConfig();
  const base = trainFromConfig(config, TRAIN_CONTEXT).artifact;
  const meta = (day: number, reason: string, link: string | null = null): EventMeta => ({
    actor: 'octocat',
    reason,
    link,
    now: () => dayAt(day),
  });
  const register = async (version: number, day: number) => {
    const artifact = variant(base, version);
    await registerVersion(store, artifactBytes(artifact), {
      ...meta(day, `trained v${version}`),
      runUrl: `https://github.com/acme/oncoclear/actions/runs/${1000 + version}`,
      versionFiles:
        version === 1
          ? undefined
          : (n) =>
              modelCardFiles({
                artifact,
                version: n,
                decision: decisionFor(artifact, n, version !== 4),
                data: { source: 'UCI', licence: 'CC BY 4.0' },
              }),
    });
  };
  const move = (change: (r: Registry) => Registry) =>
    store.update((r) => ({ registry: change(r), result: undefined }));

  await register(1, 0);
  await move((r) => promote(r, MODEL, 1, meta(1, 'first production')));
  await register(2, 2);
  await move((r) =>
    promote(r, MODEL, 2, meta(3, 'beats v1', 'https://github.com/acme/oncoclear/pull/10')),
  );
  await register(3, 4);
  await move((r) =>
    promote(r, MODEL, 3, meta(5, 'beats v2', 'https://github.com/acme/oncoclear/pull/11')),
  );
  await move((r) => rollback(r, MODEL, 2, meta(6, 'v3 misses positives', ROLLBACK_PR)));
  await move((r) =>
    recordRelease(
      r,
      MODEL,
      2,
      { digest: DIGEST, tags: ['oncoclear-v2', 'production'] },
      meta(7, 'released', RELEASE_URL),
    ),
  );
  await register(4, 8);
  return { dir, registry: store.read(), artifact: base };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { saveArtifact } from '../model/artifact.js';
import { type EventMeta, promote, registerVersion } from '../registry/operations.js';
import type { RegistryVersion } from '../registry/schema.js';
import type { RegistryStore } from '../registry/store.js';
import { type Comparison, compareWithProduction, loadProduction } from './compare.js';
import { type TrainContext, type TrainResult, trainFromConfig } from './train.js';

export interface PipelineOptions extends TrainContext {
  config: Config;
  store: RegistryStore;
  /** Apply a positive decision by promoting at once (local runs); CI opens a PR instead. */
  apply: boolean;
  actor: string;
  runUrl?: string | null;
  dataPath?: string;
}

export interface PipelineResult {
  train: TrainResult;
  registered: RegistryVersion;
  comparison: Comparison;
  promoted: boolean;
}

/** train → score production on the candidate's test rows → register → promotion decision. */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const { config, store } = options;
  const log = options.log ?? (() => {});
  const train = trainFromConfig(config, options, options.dataPath ?? config.data.path);
  const model = config.model.name;

  const production = loadProduction(store, model);
  log(
    production
      ? `Scoring production v${production.version} on the candidate's test rows`
      : 'No production model yet',
  );
  const comparison = compareWithProduction(
    train.artifact,
    null,
    train.test,
    production,
    config.promotion,
  );

  const work = mkdtempSync(join(tmpdir(), 'oncoclear-'));
  let registered: RegistryVersion;
  try {
    const file = join(work, 'model.json');
    saveArtifact(file, train.artifact);
    const meta: EventMeta = {
      actor: options.actor,
      reason: 'trained by oncoclear pipeline',
      now: options.now,
      link: options.runUrl ?? null,
    };
    registered = await registerVersion(store, file, { ...meta, runUrl: options.runUrl ?? null });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const decision = {
    ...comparison.decision,
    candidate: { ...comparison.decision.candidate, version: registered.version },
  };
  decision.summary = decision.summary.replace(/^Promote:/, `Promote v${registered.version}:`);
  log(`Registered ${model} v${registered.version}`);

  let promoted = false;
  if (options.apply && decision.promote) {
    await store.update((registry) => ({
      registry: promote(registry, model, registered.version, {
        actor: options.actor,
        reason: decision.summary,
        link: options.runUrl ?? null,
        now: options.now,
      }),
      result: undefined,
    }));
    promoted = true;
    log(`Promoted ${model} v${registered.version} to production`);
  }
  return { train, registered, comparison: { ...comparison, decision }, promoted };
}

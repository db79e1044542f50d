import type { Config } from '../config/config.js';
import { artifactBytes } from '../model/artifact.js';
import { decisionForVersion } from '../promotion/policy.js';
import { type EventMeta, promote, registerVersion } from '../registry/operations.js';
import type { RegistryVersion } from '../registry/schema.js';
import type { RegistryStore } from '../registry/store.js';
import { decisionHeadline } from '../report/decision.js';
import { cardInputFromConfig, modelCardFiles } from '../report/model-card.js';
import { type Comparison, trainAgainstProduction } from './compare.js';
import type { TrainContext, TrainResult } from './train.js';

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
  const model = config.model.name;
  const { train, comparison } = trainAgainstProduction(config, store, options, options.dataPath);

  const meta: EventMeta = {
    actor: options.actor,
    reason: 'trained by oncoclear pipeline',
    now: options.now,
    link: options.runUrl ?? null,
  };
  const registered: RegistryVersion = await registerVersion(store, artifactBytes(train.artifact), {
    ...meta,
    runUrl: options.runUrl ?? null,
    versionFiles: (version) =>
      modelCardFiles({
        artifact: train.artifact,
        version,
        decision: decisionForVersion(comparison.decision, version),
        ...cardInputFromConfig(config),
      }),
  });
  const decision = decisionForVersion(comparison.decision, registered.version);
  log(`Registered ${model} v${registered.version}`);

  let promoted = false;
  if (options.apply && decision.promote) {
    await store.update((registry) => ({
      registry: promote(registry, model, registered.version, {
        actor: options.actor,
        reason: decisionHeadline(decision),
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

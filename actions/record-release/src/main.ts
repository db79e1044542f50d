import { join } from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from '../../../src/config/config.js';
import { commitAndPushWithRetry, createGit } from '../../../src/github/git.js';
import { registryAt } from '../../../src/github/registry-at.js';
import { modelReleaseTag, publishRelease } from '../../../src/github/release.js';
import { assertOnDefaultBranch } from '../../../src/github/release-guard.js';
import { productionVersion, recordRelease } from '../../../src/registry/operations.js';
import { createRegistryStore } from '../../../src/registry/store.js';
import { releaseNotes, releasePlan } from '../../../src/release/plan.js';
import { actionGitHubClient } from '../../shared/github-client.js';
import { readRunnerContext, requireRepository } from '../../shared/github-context.js';
import { packageVersionFromWorkspace } from '../../shared/package-version.js';
import { readActionToken } from '../../shared/tokens.js';

/** Inputs, read in one place; defaults live in action.yml only. */
function getInputs() {
  const version = Number(core.getInput('version', { required: true }).replace(/^v/, ''));
  if (!Number.isInteger(version) || version < 1)
    throw new Error(`Input 'version' is '${core.getInput('version')}'; expected a version number.`);
  const digest = core.getInput('digest', { required: true });
  if (!/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new Error(
      `Input 'digest' is '${digest}'; expected sha256:<64 hex> from docker/build-push-action.`,
    );
  const { token } = readActionToken();
  return {
    version,
    digest,
    image: core.getInput('image', { required: true }),
    tags: core
      .getInput('tags', { required: true })
      .split(/[\n,]/)
      .map((t) => t.trim())
      .filter(Boolean),
    config: core.getInput('config', { required: true }),
    registry: core.getInput('registry') || null,
    branch: core.getInput('branch', { required: true }),
    /** The released commit; empty means the checked-out one. */
    ref: core.getInput('ref') || null,
    token,
  };
}

export async function run(): Promise<void> {
  const inputs = getInputs();
  const context = readRunnerContext();
  const { owner, repo } = requireRepository(context);
  const config = loadConfig(inputs.config);
  const model = config.model.name;
  const registryDir = inputs.registry ?? config.registry.path;
  const git = createGit(context.workspace, { token: inputs.token });
  const store = () => createRegistryStore(join(context.workspace, registryDir));

  // Everything is checked before anything is written: a refused release records nothing.
  const released = inputs.ref ?? (await git.revParse('HEAD'));
  await assertOnDefaultBranch(git, released, inputs.branch);
  const atRelease = await registryAt(git, released, registryDir);
  const productionThen = productionVersion(atRelease, model)?.version ?? null;
  if (productionThen !== inputs.version)
    throw new Error(
      `Refusing to record a release of ${model} v${inputs.version}: at the released commit ${released.slice(0, 7)} production is v${productionThen ?? 'none'}. Nothing was written.`,
    );

  const pushed = await commitAndPushWithRetry(git, {
    branch: inputs.branch,
    paths: [registryDir],
    log: (m) => core.warning(m),
    apply: async () => {
      await store().update((registry) => {
        // Production may have moved on since the build; the image still serves this version, so
        // the event is recorded, but only for a version that was released from production.
        if (
          !registry.models[model]?.history.some(
            (e) =>
              (e.type === 'promoted' || e.type === 'rolled_back') && e.version === inputs.version,
          )
        )
          throw new Error(
            `Refusing to record a release of ${model} v${inputs.version}: it was never in production.`,
          );
        return {
          registry: recordRelease(
            registry,
            model,
            inputs.version,
            { digest: inputs.digest, tags: inputs.tags },
            {
              actor: context.actor,
              reason: `image ${inputs.image}@${inputs.digest}`,
              link: context.runUrl,
              now: () => new Date(),
            },
          ),
          result: undefined,
        };
      });
    },
    message: () =>
      `registry: record release of ${model} v${inputs.version}\n\n${inputs.image}@${inputs.digest}`,
  });
  const plan = releasePlan({
    store: store(),
    model,
    repository: context.repository,
    serverUrl: context.serverUrl,
    sha: released,
    packageVersion: packageVersionFromWorkspace(),
    version: inputs.version,
  });
  const gh = actionGitHubClient(inputs.token, context);
  const release = await publishRelease(gh, {
    owner,
    repo,
    tag: modelReleaseTag(model, inputs.version),
    target: pushed.sha,
    name: `${model} v${inputs.version}`,
    body: releaseNotes(
      { ...plan, tags: inputs.tags, image: inputs.image },
      inputs.digest,
      store().read(),
    ),
  });
  core.setOutput('release-url', release.url);
  core.setOutput('commit', pushed.changed ? pushed.sha : '');
  await core.summary
    .addHeading(`Released ${model} v${inputs.version}`, 3)
    .addRaw(
      `\`${inputs.image}@${inputs.digest}\` (${inputs.tags.map((t) => `\`${t}\``).join(', ')}). ${pushed.changed ? 'Recorded in the registry history.' : 'Already recorded in the registry history (re-run).'} [GitHub release](${release.url}).\n`,
    )
    .write();
}

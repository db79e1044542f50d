import { join } from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from '../../../src/config/config.js';
import { createGit } from '../../../src/github/git.js';
import { registryAt } from '../../../src/github/registry-at.js';
import { assertOnDefaultBranch } from '../../../src/github/release-guard.js';
import { createRegistryStore } from '../../../src/registry/store.js';
import { writeModelImageContext } from '../../../src/release/model-image.js';
import { productionChanged, releasePlan } from '../../../src/release/plan.js';
import {
  defaultBranchFromEvent,
  readRunnerContext,
  requireRepository,
} from '../../shared/github-context.js';
import { packageVersionFromWorkspace } from '../../shared/package-version.js';

/** Inputs, read in one place; defaults live in action.yml only. */
function getInputs() {
  const version = core.getInput('version').replace(/^v/, '');
  if (version && !/^\d+$/.test(version))
    throw new Error(
      `Input 'version' is '${version}'; expected a version number such as 3, or empty.`,
    );
  return {
    config: core.getInput('config', { required: true }),
    registry: core.getInput('registry') || null,
    version: version ? Number(version) : null,
    before: core.getInput('before') || null,
    defaultBranch: core.getInput('default-branch') || null,
    token: core.getInput('github-token') || null,
    baseImage: core.getInput('base-image') || null,
    imageContext: core.getInput('image-context') || null,
  };
}

export async function run(): Promise<void> {
  const inputs = getInputs();
  const context = readRunnerContext();
  requireRepository(context);
  const config = loadConfig(inputs.config);
  const registryDir = inputs.registry ?? config.registry.path;
  const store = createRegistryStore(join(context.workspace, registryDir));
  const model = config.model.name;

  if (inputs.token) core.setSecret(inputs.token);
  const git = createGit(context.workspace, inputs.token ? { token: inputs.token } : {});
  const sha = await releasedCommit(context.workspace, context.sha);
  // A `production` image is built only from reviewed code: a commit on the default branch,
  // checked against the remote, not against whatever ref the run was started on.
  const defaultBranch = inputs.defaultBranch ?? defaultBranchFromEvent(context.eventPath);
  if (!defaultBranch)
    throw new Error(
      "Input 'default-branch' is empty and the event names no repository default branch; pass default-branch: ${{ github.event.repository.default_branch }}.",
    );
  await assertOnDefaultBranch(git, sha, defaultBranch);
  if (inputs.before && !/^0+$/.test(inputs.before)) {
    let before = null;
    try {
      before = await registryAt(git, inputs.before, registryDir);
    } catch {
      before = null; // a registry in the old layout or none: treat production as changed
    }
    if (!productionChanged(before, store.read(), model)) {
      core.setOutput('release', 'false');
      core.notice('Production did not change in this push; nothing to release.');
      return;
    }
  }
  const plan = releasePlan({
    store,
    model,
    repository: context.repository,
    serverUrl: context.serverUrl,
    sha,
    packageVersion: packageVersionFromWorkspace(),
    version: inputs.version,
  });
  core.setOutput('release', 'true');
  core.setOutput('model', plan.model);
  core.setOutput('version', String(plan.version));
  core.setOutput('image', plan.image);
  core.setOutput('tags', plan.tags.join('\n'));
  core.setOutput(
    'labels',
    Object.entries(plan.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  core.setOutput('artifact', plan.artifact);
  core.setOutput('sha256', plan.sha256);
  if (inputs.imageContext) {
    if (!inputs.baseImage)
      throw new Error(
        "Input 'image-context' is set but 'base-image' is empty; expected the serving base image to build FROM, e.g. ghcr.io/owner/repo/oncoclear-base@sha256:<digest>.",
      );
    const context = writeModelImageContext({
      store,
      model,
      version: plan.version,
      baseImage: inputs.baseImage,
      labels: {
        source: plan.labels['org.opencontainers.image.source'],
        revision: sha,
        version: plan.labels['org.opencontainers.image.version'],
      },
      outDir: inputs.imageContext,
    });
    core.setOutput('context', context.dir);
  }
  await core.summary
    .addHeading(`Release plan: ${plan.model} v${plan.version}`, 3)
    .addTable([
      [
        { data: 'image', header: true },
        { data: 'tags', header: true },
        { data: 'artifact sha256', header: true },
      ],
      [plan.image, plan.tags.join(', '), plan.sha256],
    ])
    .write();
}

/**
 * The commit being released is the one checked out, which is what the build job builds: under
 * workflow_call from promote.yml, GITHUB_SHA is the review event's commit, not the merge commit
 * the release job checked out. GITHUB_SHA only when the workspace is not a git checkout.
 */
async function releasedCommit(workspace: string, fallback: string): Promise<string> {
  try {
    return await createGit(workspace).revParse('HEAD');
  } catch {
    if (!fallback)
      throw new Error('Cannot tell which commit is released: no git checkout and no GITHUB_SHA.');
    return fallback;
  }
}

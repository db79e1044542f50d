import { join } from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from '../../../src/config/config.js';
import { createGit } from '../../../src/github/git.js';
import { parseRegistry } from '../../../src/registry/schema.js';
import { createRegistryStore } from '../../../src/registry/store.js';
import { productionChanged, releasePlan } from '../../../src/release/plan.js';
import { readRunnerContext, requireRepository } from '../../shared/github-context.js';
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

  if (inputs.before && !/^0+$/.test(inputs.before)) {
    const git = createGit(context.workspace);
    const text = await git.show(inputs.before, `${registryDir}/registry.json`);
    const before = text
      ? parseRegistry(JSON.parse(text), `registry.json@${inputs.before.slice(0, 7)}`)
      : null;
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
    sha: await releasedCommit(context.workspace, context.sha),
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

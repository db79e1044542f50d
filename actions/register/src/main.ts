import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from '../../../src/config/config.js';
import { commitAndPushWithRetry, createGit } from '../../../src/github/git.js';
import { loadArtifact } from '../../../src/model/artifact.js';
import { readComparison } from '../../../src/pipeline/comparison-file.js';
import { decisionForVersion } from '../../../src/promotion/policy.js';
import { registerVersion } from '../../../src/registry/operations.js';
import type { RegistryVersion } from '../../../src/registry/schema.js';
import { createRegistryStore } from '../../../src/registry/store.js';
import { cardInputFromConfig, modelCardFiles } from '../../../src/report/model-card.js';
import { defaultBranchFromEvent, readRunnerContext } from '../../shared/github-context.js';
import { getInputs } from './inputs.js';

export async function run(): Promise<void> {
  const inputs = getInputs();
  const context = readRunnerContext();
  const config = loadConfig(inputs.config);
  // Only the default branch registers: a manual run from any other branch trains with code and
  // config nobody reviewed, and its registration would still land on main.
  const defaultBranch = defaultBranchFromEvent(context.eventPath);
  if (defaultBranch && context.ref && context.ref !== `refs/heads/${defaultBranch}`)
    throw new Error(
      `This run is on ${context.ref}, not on the default branch ${defaultBranch}; only runs on ${defaultBranch} register models. Nothing was registered.`,
    );
  const registryDir = inputs.registry ?? config.registry.path;
  // The checkout is reset between attempts, so keep the artifact outside the work tree.
  const artifact = join(mkdtempSync(join(tmpdir(), 'oncoclear-register-')), 'model.json');
  copyFileSync(inputs.artifact, artifact);
  // The sidecar travels with it, so registration verifies the bytes the train job produced.
  if (existsSync(`${inputs.artifact}.sha256`))
    copyFileSync(`${inputs.artifact}.sha256`, `${artifact}.sha256`);

  // The train job's comparison, when it travelled with the artifact, goes into the model card.
  const comparisonFile = join(dirname(inputs.artifact), 'comparison.json');
  const comparison = existsSync(comparisonFile) ? readComparison(comparisonFile) : null;
  const loaded = loadArtifact(artifact);
  const git = createGit(context.workspace, { token: inputs.token });
  let registered: RegistryVersion | undefined;
  const pushed = await commitAndPushWithRetry(git, {
    branch: inputs.branch,
    paths: [registryDir],
    maxAttempts: inputs.maxAttempts,
    log: (m) => core.warning(m),
    apply: async () => {
      registered = await registerVersion(
        createRegistryStore(join(context.workspace, registryDir)),
        artifact,
        {
          actor: context.actor,
          reason: `trained on ${context.sha.slice(0, 7) || 'an unknown commit'} by ${context.runUrl ? 'CI' : 'oncoclear'}`,
          link: context.runUrl,
          runUrl: context.runUrl,
          now: () => new Date(),
          versionFiles: (version) =>
            modelCardFiles({
              artifact: loaded.artifact,
              version,
              decision: comparison ? decisionForVersion(comparison.decision, version) : null,
              ...cardInputFromConfig(config),
            }),
        },
      );
    },
    message: () =>
      `registry: register ${config.model.name} v${registered!.version}\n\nRun: ${context.runUrl ?? 'local'}`,
  });
  const version = registered!;
  core.setOutput('version', String(version.version));
  core.setOutput('model', config.model.name);
  core.setOutput('sha256', version.sha256);
  core.setOutput('commit', pushed.sha);
  core.setOutput('attempts', String(pushed.attempts));
  core.info(
    `Registered ${config.model.name} v${version.version} and pushed ${pushed.sha.slice(0, 7)} to ${inputs.branch} (${pushed.attempts} attempt${pushed.attempts > 1 ? 's' : ''})`,
  );
  await core.summary
    .addHeading(`Registered ${config.model.name} v${version.version}`, 3)
    .addRaw(
      `Committed \`${registryDir}/\` as \`${pushed.sha.slice(0, 7)}\` on \`${inputs.branch}\` after ${pushed.attempts} push attempt(s). Stage: \`staging\`. Artifact \`${version.artifact}\` (\`${version.sha256}\`); model card \`${registryDir}/${version.artifact.replace(/model\.json$/, 'model-card.md')}\`.\n\n` +
        'A push made with GITHUB_TOKEN starts no workflows; the train workflow also ignores registry-only commits by its `paths` filter, so this commit does not retrain.\n',
    )
    .write();
}

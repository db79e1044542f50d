import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from '../../../src/config/config.js';
import { createGit } from '../../../src/github/git.js';
import { reviewPromotion } from '../../../src/github/review.js';
import { createRegistryStore } from '../../../src/registry/store.js';
import { actionGitHubClient } from '../../shared/github-client.js';
import { readRunnerContext, requireRepository } from '../../shared/github-context.js';
import { getInputs } from './inputs.js';

export async function run(): Promise<void> {
  const inputs = getInputs();
  const context = readRunnerContext();
  const { owner, repo } = requireRepository(context);
  if (!context.eventPath)
    throw new Error(
      'GITHUB_EVENT_PATH is not set; this action runs on pull_request_review events.',
    );
  const payload: unknown = JSON.parse(readFileSync(context.eventPath, 'utf8'));
  const configFile = join(context.workspace, inputs.config);
  const registryDir = (inputs.registry ?? loadConfig(configFile).registry.path).replace(/\/$/, '');
  const outcome = await reviewPromotion(
    {
      gh: actionGitHubClient(inputs.token, context),
      git: createGit(context.workspace, { token: inputs.token }),
      owner,
      repo,
      loadConfig: () => loadConfig(configFile),
      store: createRegistryStore(join(context.workspace, registryDir)),
      registryDir,
      runUrl: context.runUrl,
      log: (m) => core.info(m),
    },
    payload,
  );
  core.setOutput('merged', String(outcome.status === 'merged'));
  switch (outcome.status) {
    case 'ignored':
      core.notice(`Nothing to do: ${outcome.reason}.`);
      await core.summary.addRaw(`Nothing to do: ${outcome.reason}.\n`).write();
      return;
    case 'refreshed':
      core.notice(
        `Refreshed the PR onto the default branch (${outcome.reasons[0]}); it needs a fresh approval.`,
      );
      await core.summary
        .addHeading('Promotion refreshed: approve again', 3)
        .addList(outcome.reasons)
        .write();
      return;
    case 'refused':
      await core.summary.addHeading('Promotion not merged', 3).addList(outcome.reasons).write();
      throw new Error(
        `Promotion not merged: ${outcome.reasons[0]}${outcome.reasons.length > 1 ? ` (and ${outcome.reasons.length - 1} more; see the PR comment)` : ''}`,
      );
    case 'merged':
      core.setOutput('model', outcome.model);
      core.setOutput('version', String(outcome.version));
      core.setOutput('kind', outcome.kind);
      core.setOutput('merge-sha', outcome.mergeSha);
      core.setOutput('release-by-push', String(!inputs.usingGithubToken));
      await core.summary
        .addHeading(`Merged: ${outcome.model} v${outcome.version} is in production`, 3)
        .addRaw(
          `Squash-merged as \`${outcome.mergeSha.slice(0, 7)}\`. The release job builds and pushes the image next.\n`,
        )
        .write();
  }
}

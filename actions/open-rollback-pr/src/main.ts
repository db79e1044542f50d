import { join } from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from '../../../src/config/config.js';
import { markdownTable } from '../../../src/evaluate/report.js';
import { createGit } from '../../../src/github/git.js';
import { ensureLabel, PROMOTION_LABEL } from '../../../src/github/promotion-pr.js';
import { productionVersion, rollback } from '../../../src/registry/operations.js';
import { createRegistryStore } from '../../../src/registry/store.js';
import { actionGitHubClient } from '../../shared/github-client.js';
import {
  readRunnerContext,
  requireRepository,
  tokenLimitNote,
} from '../../shared/github-context.js';
import { readActionToken } from '../../shared/tokens.js';

/** Inputs, read in one place; defaults live in action.yml only. */
function getInputs() {
  const raw = core.getInput('version').replace(/^v/, '');
  if (raw && !/^\d+$/.test(raw))
    throw new Error(
      `Input 'version' is '${raw}'; expected a version number such as 2, or empty for the previous production version.`,
    );
  const { token, usingGithubToken } = readActionToken();
  return {
    version: raw ? Number(raw) : null,
    reason: core.getInput('reason', { required: true }),
    config: core.getInput('config', { required: true }),
    registry: core.getInput('registry') || null,
    base: core.getInput('base', { required: true }),
    token,
    usingGithubToken,
  };
}

export async function run(): Promise<void> {
  const inputs = getInputs();
  const context = readRunnerContext();
  const { owner, repo } = requireRepository(context);
  const config = loadConfig(inputs.config);
  const model = config.model.name;
  const store = createRegistryStore(
    join(context.workspace, inputs.registry ?? config.registry.path),
  );
  const git = createGit(context.workspace, { token: inputs.token });
  await git.fetch('origin', inputs.base);
  await git.run(['checkout', '-q', '-B', 'oncoclear-rollback', 'FETCH_HEAD']);
  const from = productionVersion(store.read(), model);
  const target = await store.update((registry) => {
    const next = rollback(registry, model, inputs.version, {
      actor: context.actor,
      reason: inputs.reason,
      link: context.runUrl,
      now: () => new Date(),
    });
    return { registry: next, result: productionVersion(next, model)!.version };
  });
  const branch = `promote/${model}/rollback-v${target}`;
  await git.commit([store.dir], `Roll back ${model} to v${target}`);
  await git.run(['branch', '-M', branch]);
  if ((await git.push('origin', branch, { force: true })) === 'rejected')
    throw new Error(`Could not push ${branch}.`);

  const gh = actionGitHubClient(inputs.token, context);
  const v = store.read().models[model]!.versions.find((x) => x.version === target)!;
  const note = tokenLimitNote(inputs.usingGithubToken, 'This PR');
  const body = [
    `## Roll back \`${model}\` from v${from?.version} to v${target}`,
    '',
    `Reason: ${inputs.reason}`,
    '',
    markdownTable(
      ['', `v${target}`],
      [
        ['test accuracy', v.metrics.test.accuracy.toFixed(4)],
        ['test ROC AUC', v.metrics.test.rocAuc.toFixed(4)],
        ['commit', v.lineage.commit ?? '—'],
      ],
    ),
    '',
    'Approving this PR merges it and releases the image for this version, exactly like a promotion. The promotion policy is not re-applied: a rollback is a deliberate choice.',
    note ? `\n> [!NOTE]\n> ${note}` : '',
  ].join('\n');
  const existing = await gh.rest.pulls.list({
    owner,
    repo,
    state: 'open',
    head: `${owner}:${branch}`,
  });
  const pr = existing.data[0]
    ? (await gh.rest.pulls.update({ owner, repo, pull_number: existing.data[0].number, body })).data
    : (
        await gh.rest.pulls.create({
          owner,
          repo,
          head: branch,
          base: inputs.base,
          title: `Roll back ${model} to v${target}`,
          body,
        })
      ).data;
  await ensureLabel(gh, owner, repo, PROMOTION_LABEL);
  await gh.rest.issues.addLabels({
    owner,
    repo,
    issue_number: pr.number,
    labels: [PROMOTION_LABEL],
  });
  core.setOutput('pull-request-number', String(pr.number));
  core.setOutput('pull-request-url', pr.html_url);
  core.setOutput('version', String(target));
  await core.summary
    .addRaw(
      `Opened [rollback PR #${pr.number}](${pr.html_url}) to v${target}.${note ? `\n\n> [!WARNING]\n> ${note}` : ''}\n`,
    )
    .write();
}

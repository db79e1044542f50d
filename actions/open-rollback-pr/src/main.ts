import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from '../../../src/config/config.js';
import { ensureDataFile } from '../../../src/data/remote.js';
import { createGit } from '../../../src/github/git.js';
import { rollbackBody } from '../../../src/github/promotion-body.js';
import { ensureLabel, PROMOTION_LABEL } from '../../../src/github/promotion-pr.js';
import { pushStageMove, writeRecord } from '../../../src/github/stage-move.js';
import type { Comparison } from '../../../src/pipeline/compare.js';
import { RescoreError, rescoreCandidate } from '../../../src/pipeline/rescore.js';
import { wasInProduction } from '../../../src/promotion/registry-change.js';
import { stageMoveTitlePrefix } from '../../../src/promotion/review-rules.js';
import {
  findVersion,
  loadRegisteredArtifact,
  productionVersion,
  rollback,
} from '../../../src/registry/operations.js';
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
  await git.run(['checkout', '-q', '--detach', 'FETCH_HEAD']);
  const registry = store.read();
  const from = productionVersion(registry, model);
  // Resolve the target the way the registry does; rollback() also holds it to the rule the review
  // enforces: a rollback returns only to a version that was in production before.
  const target = productionVersion(
    rollback(registry, model, inputs.version, {
      actor: context.actor,
      reason: inputs.reason,
      link: context.runUrl,
      now: () => new Date(),
    }),
    model,
  )!.version;
  // rollback() refused a target that never served; this is when it did.
  const was = wasInProduction(registry, model, target)!;
  await ensureDataFile(config, { log: (m) => core.info(m) });
  let comparison: Comparison | null = null;
  let cannotCompare: string | undefined;
  try {
    comparison = rescoreCandidate(
      config,
      {
        version: target,
        artifact: loadRegisteredArtifact(store, model, target, registry).artifact,
      },
      from
        ? {
            version: from.version,
            artifact: loadRegisteredArtifact(store, model, from.version, registry).artifact,
          }
        : null,
    );
  } catch (error) {
    if (!(error instanceof RescoreError)) throw error;
    cannotCompare = error.message;
  }

  // A fresh branch per request: re-using one would need a force-push over whatever is there, which
  // GitHub refuses when workflow files changed in between (GITHUB_TOKEN never has `workflows`).
  const request = context.runId ?? randomBytes(4).toString('hex');
  const branch = `rollback/${model}/v${target}-${request}`;
  const pushed = await pushStageMove(git, {
    kind: 'rollback',
    model,
    version: target,
    base: inputs.base,
    branch,
    store,
    meta: {
      actor: context.actor,
      reason: inputs.reason,
      link: context.runUrl,
      now: () => new Date(),
    },
  });
  const gh = actionGitHubClient(inputs.token, context);
  await writeRecord(gh, { owner, repo }, pushed.sha, pushed.record, context.runUrl);
  const note = tokenLimitNote(inputs.usingGithubToken, 'This PR');
  const body = rollbackBody({
    model,
    target: findVersion(registry, model, target),
    from: from?.version ?? null,
    reason: inputs.reason,
    wasInProduction: was,
    comparison,
    cannotCompare,
    runUrl: context.runUrl,
    tokenNote: note,
  });
  const pr = (
    await gh.rest.pulls.create({
      owner,
      repo,
      head: branch,
      base: inputs.base,
      title: `${stageMoveTitlePrefix('rollback', model, target)} (from v${from?.version ?? 'none'})`,
      body,
      maintainer_can_modify: false,
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
  core.setOutput('branch', branch);
  await core.summary
    .addRaw(
      `Opened [rollback PR #${pr.number}](${pr.html_url}) to v${target} from \`${branch}\`.${note ? `\n\n> [!WARNING]\n> ${note}` : ''}\n`,
    )
    .write();
}

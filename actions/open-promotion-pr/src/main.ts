import { join } from 'node:path';
import * as core from '@actions/core';
import { loadConfig } from '../../../src/config/config.js';
import { createGit } from '../../../src/github/git.js';
import { promotionBody } from '../../../src/github/promotion-body.js';
import { openOrUpdatePromotionPr, promotionBranch } from '../../../src/github/promotion-pr.js';
import { pushStageMove, writeRecord } from '../../../src/github/stage-move.js';
import { readComparison } from '../../../src/pipeline/comparison-file.js';
import { decisionForVersion } from '../../../src/promotion/policy.js';
import { stageMoveTitlePrefix } from '../../../src/promotion/review-rules.js';
import { findVersion } from '../../../src/registry/operations.js';
import { createRegistryStore } from '../../../src/registry/store.js';
import { decisionHeadline } from '../../../src/report/decision.js';
import { actionGitHubClient } from '../../shared/github-client.js';
import {
  readRunnerContext,
  requireRepository,
  tokenLimitNote,
} from '../../shared/github-context.js';
import { getInputs } from './inputs.js';

export async function run(): Promise<void> {
  const inputs = getInputs();
  const context = readRunnerContext();
  const { owner, repo } = requireRepository(context);
  const config = loadConfig(inputs.config);
  const model = config.model.name;
  const comparison = readComparison(inputs.comparison);
  // A candidate production cannot be compared with (its columns are gone from the data) is offered
  // as an explicit replacement, if it meets the bar on its own rows; never silently.
  const replacement =
    comparison.decision.outcome === 'not-comparable' &&
    comparison.decision.checks.every((c) => c.passed || c.name === 'comparable');
  const kind = replacement ? 'replacement' : 'promotion';
  if (!comparison.decision.promote && !replacement) {
    throw new Error(
      `The comparison in ${inputs.comparison} does not recommend promotion (${decisionHeadline(comparison.decision)}); refusing to open a promotion PR.`,
    );
  }
  const registryDir = join(context.workspace, inputs.registry ?? config.registry.path);
  const branch = promotionBranch(model, inputs.version);

  // The PR branch is main plus exactly one commit by the bot: the registry's stage move.
  const git = createGit(context.workspace, { token: inputs.token });
  const store = createRegistryStore(registryDir);
  // The train job did not know the version yet; the evidence names it from here on.
  const decision = decisionForVersion(comparison.decision, inputs.version);
  const pushed = await pushStageMove(git, {
    kind,
    model,
    version: inputs.version,
    base: inputs.base,
    branch,
    store,
    meta: {
      actor: context.actor,
      reason: decisionHeadline(decision),
      link: context.runUrl,
      now: () => new Date(),
    },
  });

  const version = findVersion(store.read(), model, inputs.version);
  const tokenNote = tokenLimitNote(inputs.usingGithubToken, 'This PR');
  const gh = actionGitHubClient(inputs.token, context);
  // The review trusts the branch only with this record, written by the PR's author.
  await writeRecord(gh, { owner, repo }, pushed.sha, pushed.record, context.runUrl);
  const pr = await openOrUpdatePromotionPr(gh, {
    owner,
    repo,
    base: inputs.base,
    branch,
    model,
    version: inputs.version,
    label: inputs.label,
    title: replacement
      ? `${stageMoveTitlePrefix('replacement', model, inputs.version)} (not compared on the same rows)`
      : `${stageMoveTitlePrefix('promotion', model, inputs.version)} (${decision.metric} ${decision.candidate.value.toFixed(4)}${decision.production?.value != null ? ` vs v${decision.production.version} ${decision.production.value.toFixed(4)}` : ''})`,
    body: promotionBody({
      model,
      version,
      comparison: { ...comparison, decision },
      runUrl: context.runUrl,
      tokenNote,
      production: decision.production
        ? findVersion(store.read(), model, decision.production.version)
        : null,
    }),
  });

  core.setOutput('pull-request-number', String(pr.number));
  core.setOutput('pull-request-url', pr.url);
  core.setOutput('branch', branch);
  core.setOutput('created', String(pr.created));
  core.setOutput('superseded', pr.superseded.join(','));
  core.info(`${pr.created ? 'Opened' : 'Updated'} promotion PR #${pr.number}: ${pr.url}`);
  const lines = [
    `${pr.created ? 'Opened' : 'Updated'} [promotion PR #${pr.number}](${pr.url}) from \`${branch}\`.`,
    pr.superseded.length
      ? `Superseded and closed: ${pr.superseded.map((n) => `#${n}`).join(', ')}.`
      : '',
    tokenNote
      ? `> [!WARNING]\n> ${tokenNote}`
      : 'Opened with the provided token: PR workflows start normally.',
  ];
  await core.summary
    .addHeading(`Promotion PR for ${model} v${inputs.version}`, 3)
    .addRaw(`${lines.filter(Boolean).join('\n\n')}\n`)
    .write();
}

/**
 * The approval flow's GitHub side: collect the facts about an approval, let the pure guard in
 * `src/promotion/review-rules.ts` decide, and apply the decision (comment, close, refresh, merge).
 * Nothing here decides; an unexpected error is thrown and fails the job without closing anything.
 */
import { z } from 'zod';
import type { Config } from '../config/config.js';
import { ensureDataFile } from '../data/remote.js';
import type { Comparison } from '../pipeline/compare.js';
import { RescoreError, rescoreCandidate } from '../pipeline/rescore.js';
import {
  classifyRegistryChange,
  disallowedFiles,
  type StageMoveKind,
  wasInProduction,
} from '../promotion/registry-change.js';
import {
  decideReview,
  type Reason,
  type ReviewDecision,
  type ReviewFacts,
  stageMoveTitlePrefix,
} from '../promotion/review-rules.js';
import { findVersion, loadRegisteredArtifact, productionVersion } from '../registry/operations.js';
import type { RegistryStore } from '../registry/store.js';
import { decisionHeadline, decisionMarkdown } from '../report/decision.js';
import type { GitHubClient } from './client.js';
import { type GitClient, PushDeclinedError } from './git.js';
import { promotionBody, rollbackBody } from './promotion-body.js';
import { registryAt } from './registry-at.js';
import { pushStageMove, readRecord, writeRecord } from './stage-move.js';

/** The parts of a `pull_request_review` webhook payload the review relies on. */
export const ReviewEventSchema = z.object({
  action: z.string(),
  review: z.object({
    state: z.string(),
    commit_id: z.string(),
    user: z.object({ login: z.string() }).nullable(),
  }),
  pull_request: z.object({ number: z.number().int() }),
});

export interface ReviewDeps {
  gh: GitHubClient;
  git: GitClient;
  owner: string;
  repo: string;
  /** Loads the project config from the default-branch checkout (after it is brought up to date). */
  loadConfig: () => Config;
  /** The registry in the default-branch checkout the action runs from. */
  store: RegistryStore;
  /** The registry directory relative to the repository root. */
  registryDir: string;
  runUrl: string | null;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

export type ReviewOutcome =
  | { status: 'ignored'; reason: string }
  | { status: 'refused'; reasons: string[]; closed: boolean }
  | { status: 'refreshed'; reasons: string[]; headSha: string }
  | {
      status: 'merged';
      model: string;
      version: number;
      kind: StageMoveKind;
      mergeSha: string;
    };

/** Decides what an approval on a promotion PR does, then does it. */
export async function reviewPromotion(deps: ReviewDeps, payload: unknown): Promise<ReviewOutcome> {
  const parsed = ReviewEventSchema.safeParse(payload);
  if (!parsed.success)
    return { status: 'ignored', reason: 'the event is not a pull_request_review payload' };
  const event = parsed.data;
  if (event.action !== 'submitted' || event.review.state.toLowerCase() !== 'approved') {
    return {
      status: 'ignored',
      reason: `review is '${event.review.state}' (${event.action}); only an approval merges a promotion PR`,
    };
  }
  const collected = await collectFacts(deps, event);
  const decision = decideReview(collected.facts);
  deps.log?.(`Decision: ${decision.action}`);
  return applyDecision(deps, collected, decision);
}

interface Collected {
  facts: ReviewFacts;
  config: Config;
  comparison: Comparison | null;
}

async function collectFacts(
  deps: ReviewDeps,
  event: z.infer<typeof ReviewEventSchema>,
): Promise<Collected> {
  const { gh, git, owner, repo } = deps;
  const sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const number = event.pull_request.number;
  const defaultBranch = (await gh.rest.repos.get({ owner, repo })).data.default_branch;

  let pr = (await gh.rest.pulls.get({ owner, repo, pull_number: number })).data;
  for (let i = 0; pr.state === 'open' && pr.mergeable === null && i < 5; i++) {
    await sleep(1000 * (i + 1)); // GitHub computes mergeability lazily after a push
    pr = (await gh.rest.pulls.get({ owner, repo, pull_number: number })).data;
  }
  const reviews = (
    await gh.paginate(gh.rest.pulls.listReviews, {
      owner,
      repo,
      pull_number: number,
      per_page: 100,
    })
  ).map((r) => ({ user: r.user?.login ?? '(ghost)', state: r.state, commitId: r.commit_id ?? '' }));
  const reviewer = event.review.user?.login ?? '(unknown)';
  const permissions: Record<string, string> = {};
  for (const login of new Set([reviewer, ...reviews.map((r) => r.user)])) {
    permissions[login.toLowerCase()] = await permissionOf(gh, owner, repo, login);
  }
  const files = await gh.paginate(gh.rest.pulls.listFiles, {
    owner,
    repo,
    pull_number: number,
    per_page: 100,
  });
  const record = await readRecord(gh, { owner, repo }, pr.head.sha, pr.user.login);

  // The checkout the action runs from is brought to the newest default branch: the policy is
  // re-checked against production as it is now, with the default branch's config.
  await git.fetch('origin', defaultBranch);
  await git.run(['checkout', '-q', '--detach', 'FETCH_HEAD']);
  const mainSha = await git.revParse('HEAD');
  await git.fetch('origin', pr.head.sha);
  const mergeBase = (await git.run(['merge-base', pr.head.sha, mainSha])).trim();
  const before = await registryAt(git, mergeBase, deps.registryDir);
  const after = await registryAt(git, pr.head.sha, deps.registryDir);
  const change = classifyRegistryChange(before, after);
  const config = deps.loadConfig();
  // Data named by URL is not in the checkout: fetch and verify it before re-scoring.
  await ensureDataFile(config, { log: deps.log });
  const current = deps.store.read();

  let policy: ReviewFacts['policy'] = { cannotCompare: 'the change is not a stage move' };
  let comparison: Comparison | null = null;
  if (change.kind !== 'invalid' && current.models[change.model]) {
    const production = productionVersion(current, change.model);
    try {
      findVersion(current, change.model, change.version);
      comparison = rescoreCandidate(
        config,
        {
          version: change.version,
          artifact: loadRegisteredArtifact(deps.store, change.model, change.version, current)
            .artifact,
        },
        production && production.version !== change.version
          ? {
              version: production.version,
              artifact: loadRegisteredArtifact(
                deps.store,
                change.model,
                production.version,
                current,
              ).artifact,
            }
          : null,
      );
      policy = { decision: comparison.decision };
    } catch (error) {
      // Only "these rows cannot be rebuilt" is a policy outcome; anything else is a bug or an
      // outage and must fail the job without closing a good PR.
      if (!(error instanceof RescoreError)) throw error;
      policy = { cannotCompare: error.message };
    }
  }
  const facts: ReviewFacts = {
    event: {
      action: event.action,
      state: event.review.state,
      reviewer,
      commitId: event.review.commit_id,
    },
    repository: `${owner}/${repo}`,
    defaultBranch,
    registryDir: deps.registryDir,
    pr: {
      number,
      state: pr.state,
      merged: pr.merged,
      title: pr.title,
      author: pr.user.login,
      headRef: pr.head.ref,
      headSha: pr.head.sha,
      headRepo: pr.head.repo?.full_name ?? null,
      baseRef: pr.base.ref,
      labels: pr.labels.map((l) => l.name),
      mergeable: pr.mergeable,
      mergeableState: pr.mergeable_state ?? null,
    },
    permissions,
    reviews,
    record,
    disallowedFiles: disallowedFiles(files, deps.registryDir),
    change,
    before,
    currentProduction:
      change.kind === 'invalid'
        ? null
        : (productionVersion(current, change.model)?.version ?? null),
    policy,
  };
  return { facts, config, comparison };
}

async function permissionOf(gh: GitHubClient, owner: string, repo: string, username: string) {
  try {
    const { data } = await gh.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
    // role_name distinguishes maintain/triage, which `permission` folds into write/read.
    const role = (data as { role_name?: string }).role_name;
    return role && ['admin', 'maintain', 'write'].includes(role) ? role : data.permission;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return 'none';
    throw error;
  }
}

const bullet = (reasons: Reason[]) => reasons.map((r) => `- ${r.message}`);

async function applyDecision(
  deps: ReviewDeps,
  { facts, comparison }: Collected,
  decision: ReviewDecision,
): Promise<ReviewOutcome> {
  const { gh, owner, repo } = deps;
  const number = facts.pr.number;
  const checkedBy = deps.runUrl ? `\n\n_Checked by [this run](${deps.runUrl})._` : '';
  const comment = (body: string) =>
    gh.rest.issues.createComment({
      owner,
      repo,
      issue_number: number,
      body: `${body}${checkedBy}`,
    });

  switch (decision.action) {
    case 'ignore':
      return { status: 'ignored', reason: decision.reason };
    case 'refuse':
    case 'close': {
      const close = decision.action === 'close';
      const evidence =
        close && 'decision' in facts.policy ? ['', decisionMarkdown(facts.policy.decision)] : [];
      await comment(
        [
          '### ⛔ Promotion not merged',
          '',
          ...bullet(decision.reasons),
          ...evidence,
          '',
          close
            ? 'The candidate does not pass the policy, so this PR is closed. The next training run opens a fresh one if a candidate qualifies.'
            : 'Nothing was merged or released. Fix the above and approve again.',
        ].join('\n'),
      );
      if (close) await gh.rest.pulls.update({ owner, repo, pull_number: number, state: 'closed' });
      return { status: 'refused', reasons: decision.reasons.map((r) => r.message), closed: close };
    }
    case 'refresh':
      return refresh(deps, facts, comparison, decision, comment);
    case 'merge':
      return merge(deps, facts, decision, comment);
  }
}

async function refresh(
  deps: ReviewDeps,
  facts: ReviewFacts,
  comparison: Comparison | null,
  decision: Extract<ReviewDecision, { action: 'refresh' }>,
  comment: (body: string) => Promise<unknown>,
): Promise<ReviewOutcome> {
  const { gh, owner, repo } = deps;
  const reason =
    decision.kind !== 'rollback' && comparison
      ? decisionHeadline(comparison.decision)
      : `rollback re-applied on ${facts.defaultBranch}`;
  let pushed: Awaited<ReturnType<typeof pushStageMove>>;
  try {
    pushed = await pushStageMove(deps.git, {
      kind: decision.kind,
      model: decision.model,
      version: decision.version,
      base: facts.defaultBranch,
      branch: facts.pr.headRef,
      store: deps.store,
      meta: { actor: facts.event.reviewer, reason, link: deps.runUrl, now: () => new Date() },
    });
  } catch (error) {
    if (error instanceof PushDeclinedError)
      await comment(`### ⛔ Could not refresh this PR\n\n- ${error.message}`);
    throw error;
  }
  await writeRecord(gh, { owner, repo }, pushed.sha, pushed.record, deps.runUrl);
  const registry = deps.store.read();
  const version = findVersion(registry, decision.model, decision.version);
  const body =
    decision.kind !== 'rollback' && comparison
      ? promotionBody({ model: decision.model, version, comparison, runUrl: deps.runUrl })
      : rollbackBody({
          model: decision.model,
          target: version,
          from: pushed.record.from,
          reason,
          wasInProduction: wasInProduction(facts.before, decision.model, decision.version) ?? {
            since: '?',
            until: null,
          },
          comparison,
          runUrl: deps.runUrl,
        });
  await gh.rest.pulls.update({
    owner,
    repo,
    pull_number: facts.pr.number,
    title: `${stageMoveTitlePrefix(decision.kind, decision.model, decision.version)}${decision.kind !== 'rollback' && comparison?.decision.production ? ` (was against v${comparison.decision.production.version})` : ''}`,
    body,
  });
  await comment(
    [
      '### 🔄 Refreshed: approve again',
      '',
      `- ${decision.why}.`,
      `- The ${decision.kind} was re-applied on the newest \`${facts.defaultBranch}\` as \`${pushed.sha.slice(0, 7)}\`, and the policy was re-checked against production v${pushed.record.from ?? 'none'} on the same rows: it still passes. The evidence in the PR body is updated.`,
      '- Nothing was merged. Review the new commit and approve again to merge it.',
    ].join('\n'),
  );
  return { status: 'refreshed', reasons: [decision.why], headSha: pushed.sha };
}

/** GitHub's own refusal, said plainly with what to do next. */
function mergeRefusal(status: number | undefined, message: string): string {
  if (status === 405)
    return `GitHub refused the merge (405): "${message}". Branch protection or a ruleset is blocking it: a required status check has not passed on the head (a PR opened with GITHUB_TOKEN gets no CI runs; pass a GitHub App token as \`ONCOCLEAR_BOT_TOKEN\`), or a required review is missing. Satisfy it and approve again.`;
  if (status === 409)
    return `GitHub refused the merge (409): "${message}". The branch moved while it was checked; review the new head and approve again.`;
  return `GitHub refused the merge (${status ?? 'error'}): "${message}". Nothing was merged; fix the above and approve again.`;
}

async function merge(
  deps: ReviewDeps,
  facts: ReviewFacts,
  decision: Extract<ReviewDecision, { action: 'merge' }>,
  comment: (body: string) => Promise<unknown>,
): Promise<ReviewOutcome> {
  const { gh, owner, repo } = deps;
  const number = facts.pr.number;
  let mergeSha: string;
  try {
    const merged = await gh.rest.pulls.merge({
      owner,
      repo,
      pull_number: number,
      merge_method: 'squash',
      sha: facts.pr.headSha,
      commit_title: `${stageMoveTitlePrefix(decision.kind, decision.model, decision.version)} (#${number})`,
      commit_message: `Approved by ${decision.approvers.map((a) => `@${a}`).join(', ')}.`,
    });
    mergeSha = merged.data.sha;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status !== 405 && status !== 409 && status !== 422) throw error;
    const message =
      (error as { response?: { data?: { message?: string } } }).response?.data?.message ??
      String((error as Error).message);
    const text = mergeRefusal(status, message);
    await comment(`### ⛔ Promotion not merged\n\n- ${text}`);
    return { status: 'refused', reasons: [text], closed: false };
  }
  await comment(
    `✅ Merged as \`${mergeSha.slice(0, 7)}\` after the checks passed (approved by ${decision.approvers.map((a) => `@${a}`).join(', ')}; only a stage move; policy re-checked against production v${facts.currentProduction ?? 'none'}). The release of \`${decision.model}-v${decision.version}\` starts now${deps.runUrl ? `: ${deps.runUrl}` : ''}.`,
  );
  return {
    status: 'merged',
    model: decision.model,
    version: decision.version,
    kind: decision.kind,
    mergeSha,
  };
}

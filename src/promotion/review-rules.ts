/**
 * The promotion guard as a pure function: given the facts about an approval (the event, the PR as
 * GitHub reports it now, the reviews, the permissions, the files, the registry change and the
 * policy re-check), decide what happens. No GitHub or git code lives here; `src/github/review.ts`
 * collects the facts and applies the decision.
 *
 * Promise to the approver: production changes only through an approved PR on the default branch;
 * the approver is a writer other than whoever last changed the PR; the change is exactly the stage
 * move the bot made; the candidate passes the policy against the current production on the rows
 * the default branch's config holds out.
 */
import type { PromotionDecision } from '../promotion/policy.js';
import type { Registry } from '../registry/schema.js';
import { checkSentence } from '../report/decision.js';
import {
  type RegistryChange,
  registryMoveOf,
  type StageMoveKind,
  wasInProduction,
} from './registry-change.js';

export const PROMOTION_LABEL = 'model-promotion';
const WRITERS = new Set(['admin', 'maintain', 'write']);

/** What the bot recorded when it pushed a stage-move branch (a commit status it created). */
export interface StageMoveRecord {
  kind: StageMoveKind;
  model: string;
  version: number;
  from: number | null;
}

export interface ReviewFacts {
  event: { action: string; state: string; reviewer: string; commitId: string };
  /** `owner/repo`. */
  repository: string;
  /** The repository's default branch, as the API reports it. */
  defaultBranch: string;
  registryDir: string;
  pr: {
    number: number;
    state: string;
    merged: boolean;
    title: string;
    /** Who opened it: the bot. */
    author: string;
    headRef: string;
    headSha: string;
    /** `owner/repo` of the head, or null for a deleted fork. */
    headRepo: string | null;
    baseRef: string;
    labels: string[];
    mergeable: boolean | null;
    mergeableState: string | null;
  };
  /** Repository permission (role) of every login in `reviews` and of the event's reviewer. */
  permissions: Record<string, string>;
  /** The PR's reviews from the API, oldest first. */
  reviews: Array<{ user: string; state: string; commitId: string }>;
  /** The bot's record for the current head commit, or null when the bot made no record there. */
  record: StageMoveRecord | null;
  /** Files the PR changes, from the API. */
  disallowedFiles: string[];
  /** The registry change at the merge base, and the registry there. */
  change: RegistryChange;
  before: Registry;
  /** Production on the default branch now. */
  currentProduction: number | null;
  /** The policy re-checked against current production, or why the rows cannot be rebuilt. */
  policy: { decision: PromotionDecision } | { cannotCompare: string };
}

/** One reason, with the setting or step that fixes it where there is one. */
export interface Reason {
  rule: string;
  message: string;
}

export type ReviewDecision =
  | { action: 'ignore'; reason: string }
  /** Comment and keep the PR open: a person can fix it. */
  | { action: 'refuse'; reasons: Reason[] }
  /** Comment and close: the candidate fails the policy. Only a policy failure closes a PR. */
  | { action: 'close'; reasons: Reason[] }
  /** Production moved or main moved on: re-apply the stage move on the newest main, ask again. */
  | { action: 'refresh'; kind: StageMoveKind; model: string; version: number; why: string }
  | { action: 'merge'; kind: StageMoveKind; model: string; version: number; approvers: string[] };

/** The title the bot gives a stage-move PR; a PR whose title says something else is refused. */
export function stageMoveTitlePrefix(kind: StageMoveKind, model: string, version: number): string {
  if (kind === 'replacement') return `Replace production with ${model} v${version}`;
  return kind === 'promotion'
    ? `Promote ${model} v${version} to production`
    : `Roll back ${model} to v${version}`;
}

/** `promote/<model>/v<N>`, or `rollback/<model>/v<N>-<request>` (a fresh branch per request). */
export function branchMatches(kind: StageMoveKind, model: string, version: number, ref: string) {
  return kind === 'rollback'
    ? ref.startsWith(`rollback/${model}/v${version}-`)
    : ref === `promote/${model}/v${version}`;
}

/** The latest review of each reviewer, ignoring comments, as GitHub counts them. */
export function latestReviews(reviews: ReviewFacts['reviews']) {
  const latest = new Map<string, { state: string; commitId: string }>();
  for (const r of reviews) {
    const state = r.state.toUpperCase();
    if (state === 'COMMENTED' || state === 'PENDING') continue;
    latest.set(r.user.toLowerCase(), { state, commitId: r.commitId });
  }
  return latest;
}

export function decideReview(f: ReviewFacts): ReviewDecision {
  const { pr } = f;
  if (f.event.action !== 'submitted' || f.event.state.toLowerCase() !== 'approved') {
    return {
      action: 'ignore',
      reason: `review is '${f.event.state}' (${f.event.action}); only an approval merges a promotion PR`,
    };
  }

  // 1. Shape: our label, the bot's branch, not a fork, and based on the default branch.
  const shape: Reason[] = [];
  if (!pr.labels.includes(PROMOTION_LABEL))
    shape.push({ rule: 'label', message: `the PR lacks the \`${PROMOTION_LABEL}\` label` });
  if (pr.headRepo !== f.repository)
    shape.push({
      rule: 'fork',
      message: `its head is in \`${pr.headRepo ?? '(deleted fork)'}\`, not in \`${f.repository}\`; promotions from forks are never merged`,
    });
  if (pr.baseRef !== f.defaultBranch)
    shape.push({
      rule: 'base',
      message: `its base is \`${pr.baseRef}\`, not the default branch \`${f.defaultBranch}\`; production changes only on \`${f.defaultBranch}\`. Close it; the bot opens stage moves against \`${f.defaultBranch}\` only`,
    });
  if (pr.state !== 'open')
    shape.push({ rule: 'state', message: `the PR is ${pr.merged ? 'already merged' : pr.state}` });
  if (shape.length) return { action: 'refuse', reasons: shape };

  // 2. Provenance: the head is the bot's own commit, and branch, title and change all agree with
  //    what the bot recorded it pushed there.
  const record = f.record;
  if (!record) {
    return refuse(
      'provenance',
      `the head commit \`${pr.headSha.slice(0, 7)}\` carries no record by @${pr.author} that it made it; a stage-move branch may hold only the bot's commit. Close this PR and run the workflow again`,
    );
  }
  if (!branchMatches(record.kind, record.model, record.version, pr.headRef))
    return refuse(
      'provenance',
      `the bot recorded a ${record.kind} of ${record.model} v${record.version}, which does not belong on branch \`${pr.headRef}\``,
    );
  const prefix = stageMoveTitlePrefix(record.kind, record.model, record.version);
  if (!pr.title.startsWith(prefix))
    return refuse(
      'provenance',
      `the title "${pr.title}" does not say what the change is: the bot recorded "${prefix}"`,
    );
  if (f.disallowedFiles.length)
    return refuse(
      'files',
      `a stage move may change only \`${f.registryDir}/<model>/production.json\` and add history events; this PR also changes ${f.disallowedFiles.map((x) => `\`${x}\``).join(', ')}`,
    );
  const change = f.change;
  if (change.kind === 'invalid')
    return refuse('change', `the registry change is not a single stage move: ${change.reason}`);
  if (
    change.kind !== registryMoveOf(record.kind) ||
    change.model !== record.model ||
    change.version !== record.version ||
    change.from !== record.from
  )
    return refuse(
      'provenance',
      `the registry change is a ${change.kind} of ${change.model} v${change.version} from v${change.from ?? 'none'}, but the bot recorded a ${record.kind} of ${record.model} v${record.version} from v${record.from ?? 'none'}`,
    );

  // 3. Reviews, read from the API at decision time: no standing change request by a writer, and
  //    an approval of the current head by a writer who did not make the last push.
  const latest = latestReviews(f.reviews);
  const isWriter = (login: string) => WRITERS.has(f.permissions[login.toLowerCase()] ?? 'none');
  const blocking = [...latest].filter(([u, r]) => r.state === 'CHANGES_REQUESTED' && isWriter(u));
  if (blocking.length)
    return refuse(
      'changes-requested',
      `${blocking.map(([u]) => `@${u}`).join(', ')} requested changes; a promotion merges only when no writer's latest review requests changes`,
    );
  const lastPusher = pr.author.toLowerCase(); // the provenance check proved the bot made the head
  const approvals = [...latest].filter(([, r]) => r.state === 'APPROVED');
  const valid = approvals.filter(
    ([u, r]) => r.commitId === pr.headSha && isWriter(u) && u !== lastPusher,
  );
  if (valid.length === 0) {
    const reviewer = f.event.reviewer.toLowerCase();
    const mine = latest.get(reviewer);
    let why = `no writer has approved the current head \`${pr.headSha.slice(0, 7)}\``;
    if (reviewer === lastPusher)
      why = `@${f.event.reviewer} made the last push, so cannot approve it`;
    else if (!isWriter(reviewer))
      why = `@${f.event.reviewer} has \`${f.permissions[reviewer] ?? 'none'}\` permission; approving a promotion needs write, maintain or admin`;
    else if (mine?.state !== 'APPROVED')
      why = `@${f.event.reviewer}'s approval is no longer their latest review (it was dismissed or superseded)`;
    else if (mine.commitId !== pr.headSha)
      why = `the approval is for \`${mine.commitId.slice(0, 7)}\` but the PR head is now \`${pr.headSha.slice(0, 7)}\`; review the new commits and approve again`;
    return refuse('approval', why);
  }

  // 4. Policy, against production as it is now.
  if (change.kind === 'rollback') {
    const was = wasInProduction(f.before, change.model, change.version);
    if (!was)
      return close(
        'rollback-target',
        `v${change.version} was never in production; a rollback may only return to a version that was`,
      );
  }
  if ('cannotCompare' in f.policy) return close('policy', f.policy.cannotCompare);
  const decision = f.policy.decision;
  const failed = decision.checks.filter((c) => !c.passed);
  const basics = failed.every((c) => c.name !== 'minimum' && c.name !== 'test-rows');
  // A replacement stands when production still cannot be scored on these rows and the candidate
  // meets the bar; once the two can be compared, it is judged like any promotion.
  const passes =
    change.kind === 'rollback'
      ? basics
      : record.kind === 'replacement' && decision.outcome === 'not-comparable'
        ? basics
        : decision.promote;
  if (!passes)
    return close(
      'policy',
      `v${change.version} does not pass the promotion policy against production v${f.currentProduction ?? 'none'}: ${failed.map((c) => checkSentence(c, decision)).join('; ')}`,
    );

  // 5. Production or main moved while the PR was open: re-apply instead of stranding it.
  if (f.currentProduction !== change.from)
    return {
      action: 'refresh',
      kind: record.kind,
      model: change.model,
      version: change.version,
      why: `production is now v${f.currentProduction ?? 'none'}, but this PR moved it from v${change.from ?? 'none'}`,
    };
  if (pr.mergeableState === 'dirty' || pr.mergeableState === 'behind' || pr.mergeable === false)
    return {
      action: 'refresh',
      kind: record.kind,
      model: change.model,
      version: change.version,
      why: `GitHub reports the branch as ${pr.mergeableState === 'behind' ? 'behind' : 'conflicting with'} \`${f.defaultBranch}\``,
    };
  if (pr.mergeable === null)
    return refuse(
      'mergeable',
      'GitHub is still computing whether the PR can be merged; approve again in a minute',
    );
  if (pr.mergeableState === 'blocked')
    return refuse(
      'blocked',
      `GitHub reports the merge as blocked by branch protection (required checks or reviews). A PR opened with GITHUB_TOKEN gets no CI runs, so a required check never reports: pass a GitHub App token as \`ONCOCLEAR_BOT_TOKEN\`, or run the required checks on \`${pr.headRef}\`, then approve again`,
    );
  if (pr.mergeableState === 'unstable')
    return refuse(
      'unstable',
      'a status check on the head is failing; fix or re-run it, then approve again',
    );
  return {
    action: 'merge',
    kind: record.kind,
    model: change.model,
    version: change.version,
    approvers: valid.map(([u]) => u),
  };
}

const refuse = (rule: string, message: string): ReviewDecision => ({
  action: 'refuse',
  reasons: [{ rule, message }],
});
const close = (rule: string, message: string): ReviewDecision => ({
  action: 'close',
  reasons: [{ rule, message }],
});

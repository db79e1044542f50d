/**
 * Branch protection rules and how GitHub applies them: what blocks a pull request from being
 * merged (required checks, required reviews, an out-of-date head), what makes a direct push to
 * a protected branch fail (GH006), and which approvals a new push dismisses.
 *
 * Messages are GitHub's own wording, so code under test can be checked against what it would
 * really print or match on.
 */
import type { BareRepo } from './git.js';
import type {
  MergeableState,
  PullRequestRecord,
  RepoState,
  ReviewRecord,
  StatusRecord,
} from './state.js';

/** Rules for one protected branch, as a test configures them with `protectBranch`. */
export interface BranchProtectionRules {
  /** Statuses or check runs that must succeed on the head; `strict` also requires it up to date. */
  requiredStatusChecks?: { contexts: string[]; strict?: boolean };
  /** Approvals by users with write access a pull request needs; setting it requires PRs. */
  requiredApprovingReviewCount?: number;
  /** An approval by whoever pushed the head last does not count. */
  requireLastPushApproval?: boolean;
  /** A push to the head branch dismisses approvals of earlier commits. */
  dismissStaleReviews?: boolean;
  /** Changes must come through a pull request; `bypass` logins may still push directly. */
  restrictPushes?: { bypass: string[] };
  /** Admins are held to the rules too (otherwise they bypass them, as on GitHub). */
  enforceAdmins?: boolean;
}

/** Where GitHub's branch-protection refusals point. */
export const PROTECTED_BRANCHES_DOCS = 'https://docs.github.com/articles/about-protected-branches';

/** The login the workflow `GITHUB_TOKEN` acts as; it can never bypass branch protection. */
export const GITHUB_TOKEN_LOGIN = 'github-actions[bot]';

/** GitHub's sha for "no commit" in ref updates (creations and deletions). */
export const ZERO_SHA = '0'.repeat(40);

export const MESSAGES = {
  pullRequestRequired: 'Changes must be made through a pull request.',
  forcePush: 'Cannot force-push to this branch',
  deletion: 'Cannot delete this branch',
  changesRequested: 'Changes requested by reviewers with write access.',
  lastPusher: 'New changes require approval from someone other than the last pusher.',
  behind: 'Head branch is out of date. Review and try the merge again.',
  approvals: (n: number) =>
    `At least ${n} approving review${n === 1 ? ' is' : 's are'} required by reviewers with write access.`,
  checkExpected: (context: string) => `Required status check "${context}" is expected.`,
  checkFailing: (context: string) => `Required status check "${context}" is failing.`,
  checksExpected: (missing: number, total: number) =>
    `${missing} of ${total} required status checks are expected.`,
  gh006: (ref: string) => `GH006: Protected branch update failed for ${ref}.`,
} as const;

type Outcome = 'success' | 'pending' | 'failure';

const WRITE_ROLES = new Set(['admin', 'maintain', 'write']);

function statusOutcome(state: StatusRecord['state']): Outcome {
  if (state === 'success') return 'success';
  return state === 'pending' ? 'pending' : 'failure';
}

function checkOutcome(conclusion: string | null): Outcome {
  if (conclusion === null) return 'pending';
  // GitHub lets neutral and skipped runs satisfy a required check.
  return ['success', 'neutral', 'skipped'].includes(conclusion) ? 'success' : 'failure';
}

/** The latest outcome of a status context or check run name on a commit, if it was reported. */
export function contextOutcome(
  state: RepoState,
  sha: string,
  context: string,
): Outcome | undefined {
  const status = state.statuses.findLast((s) => s.sha === sha && s.context === context);
  const check = state.checkRuns.findLast((c) => c.head_sha === sha && c.name === context);
  const outcomes: Outcome[] = [];
  if (status) outcomes.push(statusOutcome(status.state));
  if (check) outcomes.push(checkOutcome(check.conclusion));
  if (outcomes.includes('success')) return 'success';
  if (outcomes.includes('failure')) return 'failure';
  return outcomes[0];
}

/** Why required contexts do not pass on `sha` (empty when they all succeeded). */
export function requiredCheckProblems(state: RepoState, sha: string, contexts: string[]): string[] {
  const outcomes = contexts.map((c) => [c, contextOutcome(state, sha, c)] as const);
  const failing = outcomes.filter(([, o]) => o === 'failure').map(([c]) => c);
  const expected = outcomes.filter(([, o]) => o === undefined || o === 'pending').map(([c]) => c);
  const problems = failing.map(MESSAGES.checkFailing);
  if (expected.length === 1) problems.push(MESSAGES.checkExpected(expected[0]));
  if (expected.length > 1) problems.push(MESSAGES.checksExpected(expected.length, contexts.length));
  return problems;
}

/** Whether a status or check run that is not required has not passed (`unstable`). */
function optionalChecksNotPassing(state: RepoState, sha: string, required: string[]): boolean {
  const contexts = new Set([
    ...state.statuses.filter((s) => s.sha === sha).map((s) => s.context),
    ...state.checkRuns.filter((c) => c.head_sha === sha).map((c) => c.name),
  ]);
  return [...contexts].some(
    (c) => !required.includes(c) && contextOutcome(state, sha, c) !== 'success',
  );
}

function hasWriteAccess(state: RepoState, login: string): boolean {
  return WRITE_ROLES.has(state.permissions.get(login) ?? 'none');
}

/**
 * Why reviews block a pull request: each writer's latest approving, change-requesting or
 * dismissed review counts (comments do not change a reviewer's verdict).
 */
export function reviewProblems(
  state: RepoState,
  pull: PullRequestRecord,
  rules: BranchProtectionRules,
): string[] {
  const required = rules.requiredApprovingReviewCount;
  if (required === undefined) return [];
  const verdicts = new Map<string, ReviewRecord>();
  for (const review of state.reviewsOn(pull.number)) {
    if (review.state === 'COMMENTED' || review.state === 'PENDING') continue;
    verdicts.set(review.user.login.toLowerCase(), review);
  }
  const writers = [...verdicts.values()].filter((r) => hasWriteAccess(state, r.user.login));
  const problems: string[] = [];
  const approvers = writers.filter((r) => r.state === 'APPROVED').map((r) => r.user.login);
  const pusher = rules.requireLastPushApproval
    ? state.lastPusher(pull.head.ref, pull.head.sha)?.toLowerCase()
    : undefined;
  const counted = approvers.filter((login) => login.toLowerCase() !== pusher);
  if (counted.length < required) {
    problems.push(
      approvers.length >= required ? MESSAGES.lastPusher : MESSAGES.approvals(required),
    );
  }
  if (writers.some((r) => r.state === 'CHANGES_REQUESTED'))
    problems.push(MESSAGES.changesRequested);
  return problems;
}

/** What protection says about merging a pull request now. */
export interface PullProtection {
  /** Messages for requirements that are not met; merging is refused with them joined. */
  blockers: string[];
  /** Strict status checks are on and the head does not contain the base tip. */
  behind: boolean;
  /** A status or check that is not required has not passed. */
  unstable: boolean;
}

/** Evaluates the base branch's protection for a pull request's current head. */
export async function evaluatePull(
  state: RepoState,
  git: BareRepo,
  pull: PullRequestRecord,
): Promise<PullProtection> {
  const rules = state.protections.get(pull.base.ref);
  const contexts = rules?.requiredStatusChecks?.contexts ?? [];
  const blockers = rules
    ? [
        ...reviewProblems(state, pull, rules),
        ...requiredCheckProblems(state, pull.head.sha, contexts),
      ]
    : [];
  const behind =
    rules?.requiredStatusChecks?.strict === true &&
    !(await git.isAncestor(pull.base.sha, pull.head.sha));
  return { blockers, behind, unstable: optionalChecksNotPassing(state, pull.head.sha, contexts) };
}

/** GitHub's `mergeable_state` for a pull request that has no conflicts (or has). */
export function mergeableState(conflict: boolean, protection: PullProtection): MergeableState {
  if (conflict) return 'dirty';
  if (protection.blockers.length > 0) return 'blocked';
  if (protection.behind) return 'behind';
  return protection.unstable ? 'unstable' : 'clean';
}

/** Whether `login` is exempt from a branch's rules: admins are, unless admins are enforced. */
export function bypassesAsAdmin(
  state: RepoState,
  rules: BranchProtectionRules,
  login: string,
): boolean {
  return (
    login !== GITHUB_TOKEN_LOGIN && !rules.enforceAdmins && state.permissions.get(login) === 'admin'
  );
}

/** One ref update a push asks for. */
export interface RefUpdate {
  ref: string;
  before: string;
  after: string;
}

/**
 * Why GitHub's protected-branch hook declines a direct push of `update` by `login` (empty when
 * it accepts it). Pushes to unprotected refs are always accepted.
 */
export async function pushProblems(
  state: RepoState,
  git: BareRepo,
  update: RefUpdate,
  login: string,
): Promise<string[]> {
  if (!update.ref.startsWith('refs/heads/')) return [];
  const rules = state.protections.get(update.ref.slice('refs/heads/'.length));
  if (!rules || bypassesAsAdmin(state, rules, login)) return [];
  if (update.after === ZERO_SHA) return [MESSAGES.deletion];
  const problems: string[] = [];
  if (update.before !== ZERO_SHA && !(await git.isAncestor(update.before, update.after))) {
    problems.push(MESSAGES.forcePush);
  }
  const pullRequestRequired =
    rules.restrictPushes !== undefined || rules.requiredApprovingReviewCount !== undefined;
  const bypass = (rules.restrictPushes?.bypass ?? []).map((l) => l.toLowerCase());
  if (
    pullRequestRequired &&
    (login === GITHUB_TOKEN_LOGIN || !bypass.includes(login.toLowerCase()))
  ) {
    problems.push(MESSAGES.pullRequestRequired);
  }
  const contexts = rules.requiredStatusChecks?.contexts ?? [];
  problems.push(...requiredCheckProblems(state, update.after, contexts));
  return problems;
}

/** The `remote:` lines GitHub prints when its protected-branch hook declines a ref. */
export function gh006Lines(ref: string, problems: string[]): string[] {
  return [`error: ${MESSAGES.gh006(ref)}`, ...problems.flatMap((p) => ['', `- ${p}`])];
}

/**
 * With `dismissStaleReviews` on the base branch, a new head dismisses approvals of other
 * commits, as GitHub does when new commits are pushed. Returns the dismissed reviews.
 */
export function dismissStaleApprovals(
  state: RepoState,
  pull: PullRequestRecord,
  newHead: string,
): ReviewRecord[] {
  if (!state.protections.get(pull.base.ref)?.dismissStaleReviews) return [];
  const stale = state
    .reviewsOn(pull.number)
    .filter((r) => r.state === 'APPROVED' && r.commit_id !== newHead);
  for (const review of stale) review.state = 'DISMISSED';
  return stale;
}

/**
 * Pull request operations, backed by real git in the bare repository: branches must exist,
 * file lists are real diffs, and merging really moves the base branch.
 */
import type { BareRepo, GitIdentity } from './git.js';
import {
  type Handler,
  type HandlerResult,
  HttpError,
  paginate,
  type RequestContext,
  validationFailed,
} from './http.js';
import {
  bypassesAsAdmin,
  dismissStaleApprovals,
  evaluatePull,
  MESSAGES,
  mergeableState,
  PROTECTED_BRANCHES_DOCS,
} from './protection.js';
import type { PullStats } from './shapes.js';
import type { PullRequestRecord, RepoState, ReviewRecord, ReviewState } from './state.js';
import { nodeId, timestamp } from './state.js';

/** Who GitHub says committed merge, squash and rebase commits. */
const GITHUB_COMMITTER: GitIdentity = { name: 'GitHub', email: 'noreply@github.com' };

const NOT_MERGEABLE = 'Pull Request is not mergeable';

/** The noreply identity GitHub uses as author of squash/merge commits made for a user. */
function userIdentity(login: string): GitIdentity {
  return { name: login, email: `${login}@users.noreply.github.com` };
}

/**
 * Makes open pull requests follow their branches, as on GitHub, where pushing to the head
 * branch updates `head.sha`. Closed pull requests keep the shas they had when closed, so their
 * file list still shows what was merged.
 */
export async function syncPulls(state: RepoState, git: BareRepo): Promise<void> {
  const open = state.pulls.filter((p) => p.state === 'open');
  if (open.length === 0) return;
  const heads = await git.listRefs('refs/heads/');
  for (const pull of open) {
    const head = heads.get(`refs/heads/${pull.head.ref}`);
    const base = heads.get(`refs/heads/${pull.base.ref}`);
    if ((head && head !== pull.head.sha) || (base && base !== pull.base.sha)) {
      // GitHub recomputes mergeability in the background after a push.
      pull.mergeable = null;
      pull.mergeable_state = 'unknown';
    }
    if (head && head !== pull.head.sha) dismissStaleApprovals(state, pull, head);
    if (head) pull.head.sha = head;
    if (base) pull.base.sha = base;
  }
}

/**
 * Recomputes `mergeable` with a real trial merge (unless a test forced a value) and
 * `mergeable_state` from that and the base branch's protection.
 */
async function refreshMergeable(ctx: RequestContext, pull: PullRequestRecord): Promise<void> {
  const forced = pull.forcedMergeable;
  if (forced === null || (forced === undefined && pull.state === 'closed')) {
    pull.mergeable = null;
    pull.mergeable_state = 'unknown';
    return;
  }
  const conflict =
    forced === undefined
      ? !(await ctx.git.mergeTrees(pull.base.sha, pull.head.sha)).clean
      : !forced;
  pull.mergeable = !conflict;
  pull.mergeable_state = mergeableState(conflict, await evaluatePull(ctx.state, ctx.git, pull));
}

async function statsOf(ctx: RequestContext, pull: PullRequestRecord): Promise<PullStats> {
  const [diff, commits] = await Promise.all([
    ctx.git.diffStat(pull.base.sha, pull.head.sha),
    ctx.git.countCommits(pull.base.sha, pull.head.sha),
  ]);
  return {
    commits: pull.merged ? Math.max(commits, pull.mergedCommits.length) : commits,
    additions: diff.additions,
    deletions: diff.deletions,
    changed_files: diff.files,
  };
}

async function fullPull(
  ctx: RequestContext,
  pull: PullRequestRecord,
  status = 200,
): Promise<HandlerResult> {
  await refreshMergeable(ctx, pull);
  return { status, body: ctx.render.pull(pull, await statsOf(ctx, pull)) };
}

function pullNumber(ctx: RequestContext): PullRequestRecord {
  return ctx.state.pull(Number(ctx.params.pull_number));
}

/** Splits `owner:branch` (or a bare branch) as GitHub's `head` parameter allows. */
function parseHead(state: RepoState, head: string): string {
  const colon = head.indexOf(':');
  if (colon < 0) return head;
  if (head.slice(0, colon).toLowerCase() !== state.owner.toLowerCase()) {
    // Cross-repository (fork) pull requests are not emulated.
    throw validationFailed({ resource: 'PullRequest', field: 'head', code: 'invalid' });
  }
  return head.slice(colon + 1);
}

const create: Handler = async (ctx) => {
  const { state, git, body } = ctx;
  let title: string | undefined = body.title;
  let text: string | null = body.body ?? null;
  let number: number | undefined;
  if (body.issue !== undefined) {
    // Converting an issue into a pull request keeps its number, title and body.
    const issue = state.issue(Number(body.issue));
    if (issue.kind === 'pull') {
      throw validationFailed({ resource: 'PullRequest', field: 'issue', code: 'invalid' });
    }
    ({ title, number } = issue);
    text = issue.body;
  }
  if (!title) {
    throw validationFailed({ resource: 'PullRequest', field: 'title', code: 'missing_field' });
  }
  const headRef = parseHead(state, body.head);
  const baseRef: string = body.base;
  const baseSha = await git.resolveCommit(`refs/heads/${baseRef}`);
  if (!baseSha) throw validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' });
  const headSha = await git.resolveCommit(`refs/heads/${headRef}`);
  if (!headSha) throw validationFailed({ resource: 'PullRequest', field: 'head', code: 'invalid' });
  const duplicate = state.pulls.find(
    (p) => p.state === 'open' && p.head.ref === headRef && p.base.ref === baseRef,
  );
  if (duplicate) {
    throw validationFailed({
      resource: 'PullRequest',
      code: 'custom',
      message: `A pull request already exists for ${state.owner}:${headRef}.`,
    });
  }
  if ((await git.commitsBetween(baseSha, headSha)).length === 0) {
    throw validationFailed({
      resource: 'PullRequest',
      code: 'custom',
      message: `No commits between ${baseRef} and ${headRef}`,
    });
  }

  const now = timestamp();
  number ??= state.nextNumber();
  const id = state.nextId();
  const pointer = (ref: string, sha: string) => ({
    ref,
    sha,
    label: `${state.owner}:${ref}`,
    repo: { full_name: state.fullName, fork: false },
  });
  const previous = state.issues.get(number);
  const pull: PullRequestRecord = {
    kind: 'pull',
    id,
    node_id: nodeId('PullRequest', id),
    number,
    title,
    body: text,
    state: 'open',
    state_reason: null,
    user: { login: ctx.actor },
    labels: previous?.labels ?? [],
    locked: false,
    html_url: `${state.htmlUrl}/pull/${number}`,
    created_at: previous?.created_at ?? now,
    updated_at: now,
    closed_at: null,
    head: pointer(headRef, headSha),
    base: pointer(baseRef, baseSha),
    draft: body.draft ?? false,
    merged: false,
    merged_at: null,
    merged_by: null,
    merge_commit_sha: null,
    mergeable: null,
    mergeable_state: 'unknown',
    maintainer_can_modify: body.maintainer_can_modify ?? false,
    mergedCommits: [],
  };
  state.issues.set(number, pull);
  return fullPull(ctx, pull, 201);
};

const list: Handler = async (ctx) => {
  const { state, query } = ctx;
  const wantedState = query.get('state') ?? 'open';
  let pulls = state.pulls.filter((p) => wantedState === 'all' || p.state === wantedState);
  const head = query.get('head');
  if (head) {
    // `user:branch` filters by branch; a bare `user` filters by head owner only.
    const [owner, ref] = head.includes(':') ? head.split(/:(.*)/s) : [head, undefined];
    pulls = pulls.filter(
      (p) =>
        owner.toLowerCase() === state.owner.toLowerCase() &&
        (ref === undefined || p.head.ref === ref),
    );
  }
  const base = query.get('base');
  if (base) pulls = pulls.filter((p) => p.base.ref === base);
  const sort = query.get('sort') ?? 'created';
  const direction = query.get('direction') ?? (sort === 'created' ? 'desc' : 'asc');
  const key = (p: PullRequestRecord) =>
    sort === 'updated'
      ? `${p.updated_at}|${String(p.number).padStart(9, '0')}`
      : sort === 'popularity'
        ? String(state.commentsOn(p.number).length).padStart(9, '0')
        : String(p.number).padStart(9, '0');
  pulls.sort((a, b) => key(a).localeCompare(key(b)) * (direction === 'desc' ? -1 : 1));
  const page = paginate(pulls, query, ctx.requestUrl);
  return {
    status: 200,
    body: page.body.map((p) => ctx.render.pullSimple(p)),
    headers: page.headers,
  };
};

const get: Handler = async (ctx) => {
  const pull = pullNumber(ctx);
  // Octokit's `mediaType: { format: 'diff' | 'patch' }` asks for text instead of JSON.
  if (/\.(diff|patch)\b/.test(ctx.accept)) {
    const text = await ctx.git.diffText(pull.base.sha, pull.head.sha);
    const type = ctx.accept.includes('.patch') ? 'patch' : 'diff';
    return { status: 200, text, contentType: `text/x-${type}; charset=utf-8` };
  }
  return fullPull(ctx, pull);
};

const update: Handler = async (ctx) => {
  const { state, git, body } = ctx;
  const pull = pullNumber(ctx);
  if (body.base !== undefined && body.base !== pull.base.ref) {
    const sha = await git.resolveCommit(`refs/heads/${body.base}`);
    if (!sha) throw validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' });
    pull.base = { ...pull.base, ref: body.base, sha, label: `${state.owner}:${body.base}` };
  }
  if (body.title !== undefined) pull.title = body.title;
  if (body.body !== undefined) pull.body = body.body;
  if (body.maintainer_can_modify !== undefined) {
    pull.maintainer_can_modify = body.maintainer_can_modify;
  }
  if (body.state !== undefined && body.state !== pull.state) {
    if (pull.merged) {
      throw validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        field: 'state',
        message: 'state cannot be changed. The pull request cannot be reopened.',
      });
    }
    if (body.state === 'open' && !(await git.resolveCommit(`refs/heads/${pull.head.ref}`))) {
      throw validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        field: 'state',
        message: 'state cannot be changed. The head branch has been deleted.',
      });
    }
    pull.state = body.state;
    pull.closed_at = body.state === 'closed' ? timestamp() : null;
  }
  state.touch(pull);
  await syncPulls(state, git);
  return fullPull(ctx, pull);
};

const listFiles: Handler = async (ctx) => {
  const pull = pullNumber(ctx);
  const files = await ctx.git.diffFiles(pull.base.sha, pull.head.sha);
  const page = paginate(files, ctx.query, ctx.requestUrl);
  return {
    status: 200,
    body: page.body.map((f) => ctx.render.diffEntry(f, pull.head.sha)),
    headers: page.headers,
  };
};

const listCommits: Handler = async (ctx) => {
  const pull = pullNumber(ctx);
  const shas = await ctx.git.commitsBetween(pull.base.sha, pull.head.sha);
  const page = paginate(shas, ctx.query, ctx.requestUrl);
  const body = [];
  for (const sha of page.body) body.push(ctx.render.commit(await ctx.git.commitInfo(sha)));
  return { status: 200, body, headers: page.headers };
};

/** Builds the commit(s) a merge method produces; returns the new base tip. */
async function mergeCommit(
  ctx: RequestContext,
  pull: PullRequestRecord,
  method: 'merge' | 'squash' | 'rebase',
  commits: string[],
): Promise<string> {
  const { git, body } = ctx;
  if (method === 'rebase') {
    let tip = pull.base.sha;
    for (const commit of commits) {
      const next = await git.cherryPick(commit, tip, GITHUB_COMMITTER);
      if (!next) throw new HttpError(405, "This branch can't be rebased");
      tip = next;
    }
    return tip;
  }
  const merged = await git.mergeTrees(pull.base.sha, pull.head.sha);
  if (!merged.clean || !merged.tree) {
    pull.mergeable = false;
    pull.mergeable_state = 'dirty';
    throw new HttpError(405, NOT_MERGEABLE);
  }
  let title: string;
  let detail: string;
  if (method === 'squash') {
    // GitHub's default squash message lists the squashed commits' subjects.
    const subjects: string[] = [];
    for (const c of commits) subjects.push((await git.commitInfo(c)).message.split('\n')[0]);
    title = body.commit_title ?? `${pull.title} (#${pull.number})`;
    detail = body.commit_message ?? subjects.map((s) => `* ${s}`).join('\n\n');
  } else {
    title =
      body.commit_title ??
      `Merge pull request #${pull.number} from ${ctx.state.owner}/${pull.head.ref}`;
    detail = body.commit_message ?? pull.title;
  }
  const message = detail ? `${title}\n\n${detail}` : title;
  const parents = method === 'merge' ? [pull.base.sha, pull.head.sha] : [pull.base.sha];
  return git.commitTree(
    merged.tree,
    parents,
    message,
    userIdentity(pull.user.login),
    GITHUB_COMMITTER,
  );
}

/**
 * Refuses a merge the base branch's protection does not allow, with GitHub's messages: unmet
 * requirements are 405s (all of them in one message), an out-of-date head under strict checks
 * a 409. Conflicts are reported as such first. Admins bypass unless admins are enforced.
 */
async function assertProtectionAllowsMerge(
  ctx: RequestContext,
  pull: PullRequestRecord,
): Promise<void> {
  const rules = ctx.state.protections.get(pull.base.ref);
  if (!rules || bypassesAsAdmin(ctx.state, rules, ctx.actor)) return;
  if (
    pull.forcedMergeable !== true &&
    !(await ctx.git.mergeTrees(pull.base.sha, pull.head.sha)).clean
  ) {
    pull.mergeable = false;
    pull.mergeable_state = 'dirty';
    throw new HttpError(405, NOT_MERGEABLE);
  }
  const protection = await evaluatePull(ctx.state, ctx.git, pull);
  if (protection.blockers.length > 0) {
    throw new HttpError(405, protection.blockers.join(' '), undefined, PROTECTED_BRANCHES_DOCS);
  }
  if (protection.behind) throw new HttpError(409, MESSAGES.behind);
}

const merge: Handler = async (ctx) => {
  const { git, body } = ctx;
  const pull = pullNumber(ctx);
  if (pull.state !== 'open') throw new HttpError(405, NOT_MERGEABLE);
  if (body.sha !== undefined && body.sha !== pull.head.sha) {
    throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
  }
  if (pull.forcedMergeable === false) throw new HttpError(405, NOT_MERGEABLE);
  await assertProtectionAllowsMerge(ctx, pull);
  const method = body.merge_method ?? 'merge';
  const commits = await git.commitsBetween(pull.base.sha, pull.head.sha);
  const tip = await mergeCommit(ctx, pull, method, commits);
  try {
    // Compare-and-swap: fails if the base branch moved since the PR was read.
    await git.updateRef(`refs/heads/${pull.base.ref}`, tip, pull.base.sha);
  } catch {
    throw new HttpError(409, 'Base branch was modified. Review and try the merge again.');
  }
  ctx.state.pushes.push({
    ref: `refs/heads/${pull.base.ref}`,
    before: pull.base.sha,
    after: tip,
    login: ctx.actor,
    via: 'api',
    pushed_at: timestamp(),
  });
  const now = timestamp();
  Object.assign(pull, {
    state: 'closed',
    closed_at: now,
    updated_at: now,
    merged: true,
    merged_at: now,
    merged_by: { login: ctx.actor },
    merge_commit_sha: tip,
    mergeable: null,
    mergeable_state: 'unknown',
    mergedCommits: commits,
  });
  return {
    status: 200,
    body: { sha: tip, merged: true, message: 'Pull Request successfully merged' },
  };
};

const listReviews: Handler = async (ctx) => {
  const pull = pullNumber(ctx);
  const page = paginate(ctx.state.reviewsOn(pull.number), ctx.query, ctx.requestUrl);
  return { status: 200, body: page.body.map((r) => ctx.render.review(r)), headers: page.headers };
};

function reviewOf(ctx: RequestContext): ReviewRecord {
  const pull = pullNumber(ctx);
  const review = ctx.state
    .reviewsOn(pull.number)
    .find((r) => r.id === Number(ctx.params.review_id));
  if (!review) throw new HttpError(404, 'Not Found');
  return review;
}

const getReview: Handler = async (ctx) => {
  return { status: 200, body: ctx.render.review(reviewOf(ctx)) };
};

const dismissReview: Handler = async (ctx) => {
  const review = reviewOf(ctx);
  if (review.state === 'PENDING' || review.state === 'COMMENTED') {
    const what = review.state === 'PENDING' ? 'a pending' : 'a commented pull request';
    throw new HttpError(422, 'Unprocessable Entity', [
      { code: 'custom', message: `Can not dismiss ${what} review` },
    ]);
  }
  review.state = 'DISMISSED';
  return { status: 200, body: ctx.render.review(review) };
};

const EVENT_STATES: Record<string, ReviewState> = {
  APPROVE: 'APPROVED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
  COMMENT: 'COMMENTED',
};

const createReview: Handler = async (ctx) => {
  const pull = pullNumber(ctx);
  const { body } = ctx;
  const state = body.event ? EVENT_STATES[body.event] : 'PENDING';
  if (
    (state === 'APPROVED' || state === 'CHANGES_REQUESTED') &&
    ctx.actor.toLowerCase() === pull.user.login.toLowerCase()
  ) {
    const verb = state === 'APPROVED' ? 'approve' : 'request changes on';
    throw new HttpError(422, 'Unprocessable Entity', [
      { code: 'custom', message: `Can not ${verb} your own pull request` },
    ]);
  }
  if ((state === 'CHANGES_REQUESTED' || state === 'COMMENTED') && !body.body) {
    throw new HttpError(422, 'Unprocessable Entity', [
      { code: 'custom', message: `Review Body is required for ${body.event}` },
    ]);
  }
  const review = ctx.state.addReview(pull, {
    user: ctx.actor,
    state,
    body: body.body,
    commit_id: body.commit_id,
  });
  return { status: 200, body: ctx.render.review(review) };
};

const pullsForCommit: Handler = async (ctx) => {
  const sha = await ctx.git.resolveCommit(ctx.params.commit_sha);
  if (!sha) throw new HttpError(422, `No commit found for SHA: ${ctx.params.commit_sha}`);
  const matches: PullRequestRecord[] = [];
  for (const pull of ctx.state.pulls) {
    const contains =
      pull.head.sha === sha ||
      pull.merge_commit_sha === sha ||
      pull.mergedCommits.includes(sha) ||
      (pull.state === 'open' &&
        (await ctx.git.commitsBetween(pull.base.sha, pull.head.sha)).includes(sha));
    if (contains) matches.push(pull);
  }
  const page = paginate(matches, ctx.query, ctx.requestUrl);
  return {
    status: 200,
    body: page.body.map((p) => ctx.render.pullSimple(p)),
    headers: page.headers,
  };
};

const checkMerged: Handler = async (ctx) => {
  // 204 when merged, 404 otherwise: the status code is the answer.
  if (!pullNumber(ctx).merged) throw new HttpError(404, 'Not Found');
  return { status: 204 };
};

/** Handlers for pull request operations, by operationId. */
export const pullHandlers: Record<string, Handler> = {
  'pulls/create': create,
  'pulls/list': list,
  'pulls/get': get,
  'pulls/update': update,
  'pulls/list-files': listFiles,
  'pulls/list-commits': listCommits,
  'pulls/merge': merge,
  'pulls/check-if-merged': checkMerged,
  'pulls/list-reviews': listReviews,
  'pulls/get-review': getReview,
  'pulls/dismiss-review': dismissReview,
  'pulls/create-review': createReview,
  'repos/list-pull-requests-associated-with-commit': pullsForCommit,
};

/**
 * Commit statuses and check runs: what CI reported on a commit, which required status checks
 * and `mergeable_state` are computed from.
 */
import { type Handler, HttpError, paginate, type RequestContext } from './http.js';
import type { CheckConclusion, CheckRunRecord, RepoState, StatusRecord } from './state.js';
import { nodeId, timestamp } from './state.js';
import { checkRunBody, combinedStatusBody, statusBody } from './status-shapes.js';

/** Resolves a ref parameter (sha, branch, tag or `heads/x`) the way GitHub does, or a 422. */
async function commitOf(ctx: RequestContext, ref: string): Promise<string> {
  const sha = await ctx.git.resolveCommit(ref);
  if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`);
  return sha;
}

/** The latest status of each context on a commit, newest context first. */
function latestStatuses(state: RepoState, sha: string): StatusRecord[] {
  const latest = new Map<string, StatusRecord>();
  for (const status of state.statuses) if (status.sha === sha) latest.set(status.context, status);
  return [...latest.values()].reverse();
}

const createStatus: Handler = async (ctx) => {
  const { body, state } = ctx;
  const sha = await commitOf(ctx, ctx.params.sha);
  const id = state.nextId();
  const now = timestamp();
  const status: StatusRecord = {
    id,
    node_id: nodeId('StatusContext', id),
    sha,
    state: body.state,
    context: body.context ?? 'default',
    description: body.description ?? null,
    target_url: body.target_url ?? null,
    creator: { login: ctx.actor },
    created_at: now,
    updated_at: now,
  };
  state.statuses.push(status);
  return { status: 201, body: statusBody(ctx.render, status) };
};

const combinedStatus: Handler = async (ctx) => {
  const sha = await commitOf(ctx, ctx.params.ref);
  const latest = latestStatuses(ctx.state, sha);
  const page = paginate(latest, ctx.query, ctx.requestUrl);
  const body = combinedStatusBody(ctx.render, sha, page.body);
  // `state` and `total_count` describe every context, not just this page.
  body.state = combinedStatusBody(ctx.render, sha, latest).state;
  body.total_count = latest.length;
  return { status: 200, body, headers: page.headers };
};

const listStatuses: Handler = async (ctx) => {
  const sha = await commitOf(ctx, ctx.params.ref);
  const newestFirst = ctx.state.statuses.filter((s) => s.sha === sha).reverse();
  const page = paginate(newestFirst, ctx.query, ctx.requestUrl);
  return {
    status: 200,
    body: page.body.map((s) => statusBody(ctx.render, s)),
    headers: page.headers,
  };
};

const listCheckRuns: Handler = async (ctx) => {
  const { query, state } = ctx;
  const sha = await commitOf(ctx, ctx.params.ref);
  let runs = state.checkRuns.filter((c) => c.head_sha === sha);
  // `filter=latest` (the default) keeps the most recent run of each name.
  if ((query.get('filter') ?? 'latest') === 'latest') {
    runs = [...new Map(runs.map((r) => [r.name, r] as const)).values()];
  }
  const name = query.get('check_name');
  if (name) runs = runs.filter((r) => r.name === name);
  const status = query.get('status');
  if (status) {
    runs = runs.filter((r) => (r.conclusion === null ? 'in_progress' : 'completed') === status);
  }
  const page = paginate(runs, query, ctx.requestUrl);
  const pulls = state.pulls.filter((p) => p.state === 'open' && p.head.sha === sha);
  return {
    status: 200,
    body: {
      total_count: runs.length,
      check_runs: page.body.map((r) => checkRunBody(ctx.render, r, pulls)),
    },
    headers: page.headers,
  };
};

/** Records a check run as if a GitHub App (GitHub Actions) had reported it on `sha`. */
export function recordCheckRun(
  state: RepoState,
  sha: string,
  name: string,
  conclusion: CheckConclusion | null,
): CheckRunRecord {
  const id = state.nextId();
  const now = timestamp();
  const run: CheckRunRecord = {
    id,
    node_id: nodeId('CheckRun', id),
    head_sha: sha,
    name,
    conclusion,
    started_at: now,
    completed_at: conclusion === null ? null : now,
  };
  state.checkRuns.push(run);
  return run;
}

/** Handlers for status and check operations, by operationId. */
export const statusHandlers: Record<string, Handler> = {
  'repos/create-commit-status': createStatus,
  'repos/get-combined-status-for-ref': combinedStatus,
  'repos/list-commit-statuses-for-ref': listStatuses,
  'checks/list-for-ref': listCheckRuns,
};

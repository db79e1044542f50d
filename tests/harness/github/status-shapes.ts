/**
 * Response bodies for commit statuses, check runs and branch protection, built like the rest
 * of the emulator's shapes: from GitHub's published example, with tracked state written over it.
 */
import type { BranchProtectionRules } from './protection.js';
import type { Renderer } from './shapes.js';
import type { CheckRunRecord, PullRequestRecord, StatusRecord } from './state.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are open-ended JSON built from examples
type Body = Record<string, any>;

/** The avatar GitHub shows for statuses posted through the API by a login. */
function avatar(render: Renderer, login: string): string {
  return render.user(login).avatar_url;
}

/** A `status` (`repos/create-commit-status`, `repos/list-commit-statuses-for-ref`). */
export function statusBody(render: Renderer, status: StatusRecord): Body {
  return Object.assign(render.template('repos/create-commit-status', 201), {
    url: `${render.repoApi}/statuses/${status.sha}`,
    avatar_url: avatar(render, status.creator.login),
    id: status.id,
    node_id: status.node_id,
    state: status.state,
    description: status.description,
    target_url: status.target_url,
    context: status.context,
    created_at: status.created_at,
    updated_at: status.updated_at,
    creator: render.user(status.creator.login),
  });
}

/**
 * A `combined-commit-status`: the latest status per context, and `failure` if any failed,
 * `pending` if any is pending or none was reported, else `success`, as GitHub combines them.
 */
export function combinedStatusBody(render: Renderer, sha: string, latest: StatusRecord[]): Body {
  const states = latest.map((s) => s.state);
  const state = states.some((s) => s === 'failure' || s === 'error')
    ? 'failure'
    : states.length === 0 || states.includes('pending')
      ? 'pending'
      : 'success';
  const body = render.template('repos/get-combined-status-for-ref', 200);
  return Object.assign(body, {
    state,
    statuses: latest.map((s) => {
      const { creator: _creator, ...simple } = statusBody(render, s);
      return simple;
    }),
    sha,
    total_count: latest.length,
    repository: Object.assign(body.repository, render.repository(false)),
    commit_url: `${render.repoApi}/commits/${sha}`,
    url: `${render.repoApi}/commits/${sha}/status`,
  });
}

/** A `check-run`, as reported by the GitHub Actions app. */
export function checkRunBody(
  render: Renderer,
  run: CheckRunRecord,
  pulls: PullRequestRecord[],
): Body {
  const body = render.template('checks/list-for-ref', 200).check_runs[0] as Body;
  const repo = render.repository(false);
  const side = (p: PullRequestRecord['head']) => ({
    ref: p.ref,
    sha: p.sha,
    repo: { id: repo.id, url: render.repoApi, name: repo.name },
  });
  return Object.assign(body, {
    id: run.id,
    head_sha: run.head_sha,
    node_id: run.node_id,
    external_id: '',
    url: `${render.repoApi}/check-runs/${run.id}`,
    html_url: `${repo.html_url}/runs/${run.id}`,
    details_url: null,
    status: run.conclusion === null ? 'in_progress' : 'completed',
    conclusion: run.conclusion,
    started_at: run.started_at,
    completed_at: run.completed_at,
    output: {
      title: null,
      summary: null,
      text: null,
      annotations_count: 0,
      annotations_url: `${render.repoApi}/check-runs/${run.id}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.id + 1 },
    app: Object.assign(body.app, {
      id: 15368,
      slug: 'github-actions',
      node_id: 'MDM6QXBwMTUzNjg=',
      owner: Object.assign(body.app.owner, {
        login: 'github',
        html_url: 'https://github.com/github',
      }),
      name: 'GitHub Actions',
      description: 'Automate your workflow from idea to production',
      external_url: 'https://help.github.com/en/actions',
      html_url: 'https://github.com/apps/github-actions',
    }),
    pull_requests: pulls.map((p) => ({
      url: `${render.repoApi}/pulls/${p.number}`,
      id: p.id,
      number: p.number,
      head: side(p.head),
      base: side(p.base),
    })),
  });
}

/** A `branch-protection` for the rules `protectBranch` configured on `branch`. */
export function branchProtectionBody(
  render: Renderer,
  branch: string,
  rules: BranchProtectionRules,
): Body {
  const api = `${render.repoApi}/branches/${encodeURIComponent(branch)}/protection`;
  const body = render.template('repos/get-branch-protection', 200);
  const checks = rules.requiredStatusChecks;
  const reviewsRequired =
    rules.requiredApprovingReviewCount !== undefined || rules.restrictPushes !== undefined;
  const result: Body = {
    url: api,
    required_status_checks: checks && {
      url: `${api}/required_status_checks`,
      strict: checks.strict ?? false,
      contexts: checks.contexts,
      contexts_url: `${api}/required_status_checks/contexts`,
      checks: checks.contexts.map((context) => ({ context, app_id: null })),
    },
    enforce_admins: { url: `${api}/enforce_admins`, enabled: rules.enforceAdmins ?? false },
    required_pull_request_reviews: reviewsRequired && {
      url: `${api}/required_pull_request_reviews`,
      dismiss_stale_reviews: rules.dismissStaleReviews ?? false,
      require_code_owner_reviews: false,
      required_approving_review_count: rules.requiredApprovingReviewCount ?? 0,
      require_last_push_approval: rules.requireLastPushApproval ?? false,
      bypass_pull_request_allowances: {
        users: (rules.restrictPushes?.bypass ?? []).map((login) => render.user(login)),
        teams: [],
        apps: [],
      },
    },
  };
  for (const key of ['required_status_checks', 'required_pull_request_reviews']) {
    if (!result[key]) delete result[key];
  }
  // Linear history, force pushes, deletions etc. keep their example shape but GitHub's
  // defaults for a new rule: force pushes and deletions are not allowed.
  for (const key of Object.keys(body)) {
    if (key in result || key === 'restrictions') continue;
    result[key] = { ...body[key], enabled: false };
  }
  return result;
}

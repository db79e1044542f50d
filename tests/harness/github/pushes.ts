/**
 * What GitHub does with the ref updates of a `git push` over HTTP: refuse those its
 * protected-branch hook or the token's permissions do not allow, move the rest, remember who
 * pushed, and let open pull requests follow their branches.
 */
import type { BareRepo } from './git.js';
import type { PushOutcome, RefResult } from './git-http.js';
import {
  dismissStaleApprovals,
  gh006Lines,
  pushProblems,
  type RefUpdate,
  ZERO_SHA,
} from './protection.js';
import type { RepoState } from './state.js';
import { timestamp } from './state.js';

/** The pusher, and whether their token may change workflow files. */
export interface Pusher {
  login: string;
  /** GitHub Apps (and the workflow `GITHUB_TOKEN`) need the `workflows` permission. */
  canUpdateWorkflows: boolean;
}

const WORKFLOWS_DIR = '.github/workflows/';

/** Why a ref update is refused, with the `remote:` lines to print, or undefined to accept it. */
async function refusal(
  state: RepoState,
  git: BareRepo,
  pusher: Pusher,
  update: RefUpdate,
): Promise<{ reason: string; messages: string[] } | undefined> {
  const problems = await pushProblems(state, git, update, pusher.login);
  if (problems.length > 0) {
    return { reason: 'protected branch hook declined', messages: gh006Lines(update.ref, problems) };
  }
  if (!pusher.canUpdateWorkflows && update.after !== ZERO_SHA) {
    const workflow = (await git.introducedPaths(update.after)).find((p) =>
      p.startsWith(WORKFLOWS_DIR),
    );
    if (workflow) {
      return {
        reason: `refusing to allow a GitHub App to create or update workflow \`${workflow}\` without \`workflows\` permission`,
        messages: [],
      };
    }
  }
  return undefined;
}

/** Open pull requests follow a pushed branch; a deleted head branch closes them, as on GitHub. */
function followBranch(state: RepoState, branch: string, after: string): void {
  for (const pull of state.pulls) {
    if (pull.state !== 'open') continue;
    if (pull.head.ref === branch) {
      if (after === ZERO_SHA) {
        pull.state = 'closed';
        pull.closed_at = timestamp();
        state.touch(pull);
        continue;
      }
      dismissStaleApprovals(state, pull, after);
      pull.head.sha = after;
    } else if (pull.base.ref === branch && after !== ZERO_SHA) {
      pull.base.sha = after;
    } else {
      continue;
    }
    pull.mergeable = null;
    pull.mergeable_state = 'unknown';
  }
}

/**
 * Decides on every update of one push against the repository as it was before the push, then
 * applies the accepted ones (compare-and-swap, like receive-pack) and records who pushed.
 */
export async function receivePush(
  state: RepoState,
  git: BareRepo,
  pusher: Pusher,
  updates: RefUpdate[],
): Promise<PushOutcome> {
  const refusals = [];
  for (const update of updates) refusals.push(await refusal(state, git, pusher, update));
  const results: RefResult[] = [];
  const messages: string[] = [];
  for (const [i, update] of updates.entries()) {
    const refused = refusals[i];
    if (refused) {
      results.push({ ref: update.ref, ok: false, reason: refused.reason });
      messages.push(...refused.messages);
      continue;
    }
    try {
      if (update.after === ZERO_SHA) await git.deleteRef(update.ref, update.before);
      else await git.updateRef(update.ref, update.after, update.before);
    } catch {
      // receive-pack's own wording when the ref moved under the push.
      results.push({ ref: update.ref, ok: false, reason: 'failed to update ref' });
      continue;
    }
    state.pushes.push({ ...update, login: pusher.login, via: 'git', pushed_at: timestamp() });
    if (update.ref.startsWith('refs/heads/')) {
      followBranch(state, update.ref.slice('refs/heads/'.length), update.after);
    }
    results.push({ ref: update.ref, ok: true });
  }
  return { results, messages };
}

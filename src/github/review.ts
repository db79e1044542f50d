import { z } from 'zod';
import type { Config } from '../config/config.js';
import { decisionMarkdown } from '../evaluate/report.js';
import { rescoreCandidate } from '../pipeline/rescore.js';
import { loadRegisteredArtifact, productionVersion } from '../registry/operations.js';
import { parseRegistry, type Registry } from '../registry/schema.js';
import type { RegistryStore } from '../registry/store.js';
import type { GitHubClient } from './client.js';
import type { GitClient } from './git.js';
import { PROMOTION_LABEL } from './promotion-pr.js';
import { classifyRegistryChange } from './registry-change.js';

/** The parts of a `pull_request_review` webhook payload the review relies on. */
export const ReviewEventSchema = z.object({
  action: z.string(),
  review: z.object({
    state: z.string(),
    commit_id: z.string(),
    user: z.object({ login: z.string() }).nullable(),
    html_url: z.string().optional(),
  }),
  pull_request: z.object({
    number: z.number().int(),
    head: z.object({
      ref: z.string(),
      sha: z.string(),
      repo: z.object({ full_name: z.string() }).nullable(),
    }),
    base: z.object({ ref: z.string(), repo: z.object({ full_name: z.string() }) }),
    labels: z.array(z.object({ name: z.string() })),
  }),
});
export type ReviewEvent = z.infer<typeof ReviewEventSchema>;

export interface ReviewDeps {
  gh: GitHubClient;
  git: GitClient;
  owner: string;
  repo: string;
  config: Config;
  /** The registry in the base-branch checkout the action runs from. */
  store: RegistryStore;
  /** Path of registry.json relative to the repository root. */
  registryFile: string;
  runUrl: string | null;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

export type ReviewOutcome =
  | { status: 'ignored'; reason: string }
  | { status: 'refused'; reasons: string[]; closed: boolean }
  | {
      status: 'merged';
      model: string;
      version: number;
      kind: 'promotion' | 'rollback';
      mergeSha: string;
    };

const WRITERS = new Set(['admin', 'maintain', 'write']);

/**
 * Decides what an approval on a promotion PR does. Every check must pass before the squash-merge;
 * any failure is explained in a PR comment and nothing is merged.
 */
export async function reviewPromotion(deps: ReviewDeps, payload: unknown): Promise<ReviewOutcome> {
  const parsed = ReviewEventSchema.safeParse(payload);
  if (!parsed.success) {
    return { status: 'ignored', reason: 'the event is not a pull_request_review payload' };
  }
  const event = parsed.data;
  const { gh, owner, repo } = deps;
  const number = event.pull_request.number;
  const log = deps.log ?? (() => {});
  const sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  if (event.action !== 'submitted' || event.review.state.toLowerCase() !== 'approved') {
    return {
      status: 'ignored',
      reason: `review is '${event.review.state}' (${event.action}); only an approval merges a promotion PR`,
    };
  }
  const refuse = async (reasons: string[], close = false): Promise<ReviewOutcome> => {
    const body = [
      '### ⛔ Promotion not merged',
      '',
      ...reasons.map((r) => `- ${r}`),
      '',
      close
        ? 'This PR is closed; the next training run will open a fresh one if a candidate qualifies.'
        : 'Nothing was merged or released. Fix the above and approve again.',
      deps.runUrl ? `\n_Checked by [this run](${deps.runUrl})._` : '',
    ].join('\n');
    await gh.rest.issues.createComment({ owner, repo, issue_number: number, body });
    if (close) await gh.rest.pulls.update({ owner, repo, pull_number: number, state: 'closed' });
    return { status: 'refused', reasons, closed: close };
  };

  // 1. Shape: our label, our branch prefix, and not a fork.
  const reasons: string[] = [];
  const labels = event.pull_request.labels.map((l) => l.name);
  if (!labels.includes(PROMOTION_LABEL))
    reasons.push(`the PR lacks the \`${PROMOTION_LABEL}\` label`);
  if (!event.pull_request.head.ref.startsWith('promote/'))
    reasons.push(`its head branch \`${event.pull_request.head.ref}\` is not a \`promote/\` branch`);
  const headRepo = event.pull_request.head.repo?.full_name ?? '(deleted fork)';
  if (headRepo !== `${owner}/${repo}`)
    reasons.push(
      `its head is in \`${headRepo}\`, not in \`${owner}/${repo}\`; promotions from forks are never merged`,
    );
  if (reasons.length) return refuse(reasons);

  // 2. The reviewer may write — asked of the API, not inferred from author_association.
  const reviewer = event.review.user?.login ?? '(unknown)';
  const permission = await reviewerPermission(gh, owner, repo, reviewer);
  if (!WRITERS.has(permission)) {
    return refuse([
      `@${reviewer} has \`${permission}\` permission; approving a promotion needs write, maintain or admin`,
    ]);
  }

  // 3. The PR is open, approved at its current head, and mergeable.
  let pr = (await gh.rest.pulls.get({ owner, repo, pull_number: number })).data;
  for (let i = 0; pr.mergeable === null && i < 5; i++) {
    await sleep(1000 * (i + 1)); // GitHub computes mergeability lazily after a push
    pr = (await gh.rest.pulls.get({ owner, repo, pull_number: number })).data;
  }
  if (pr.state !== 'open') return refuse([`the PR is ${pr.merged ? 'already merged' : pr.state}`]);
  if (pr.head.sha !== event.review.commit_id) {
    return refuse([
      `the approval is for \`${event.review.commit_id.slice(0, 7)}\` but the PR head is now \`${pr.head.sha.slice(0, 7)}\`; review the new commits and approve again`,
    ]);
  }
  if (pr.mergeable !== true) {
    return refuse([
      `GitHub reports the PR as not mergeable (${pr.mergeable_state ?? 'unknown'}); it is stale. Close it and let the next training run open a fresh one`,
    ]);
  }

  // 4. It changes only the registry file, and only a stage move.
  const files = await gh.paginate(gh.rest.pulls.listFiles, {
    owner,
    repo,
    pull_number: number,
    per_page: 100,
  });
  const others = files.map((f) => f.filename).filter((f) => f !== deps.registryFile);
  if (others.length || files.length === 0) {
    return refuse([
      `a promotion PR may change only \`${deps.registryFile}\`; this one also changes ${others.map((f) => `\`${f}\``).join(', ') || 'nothing'}`,
    ]);
  }
  await deps.git.fetch('origin', pr.head.sha);
  await deps.git.fetch('origin', pr.base.ref);
  const mergeBase = (await deps.git.run(['merge-base', pr.head.sha, 'FETCH_HEAD'])).trim();
  const before = await readRegistryAt(deps.git, mergeBase, deps.registryFile);
  const after = await readRegistryAt(deps.git, pr.head.sha, deps.registryFile);
  const change = classifyRegistryChange(before, after);
  if (change.kind === 'invalid')
    return refuse([`the registry change is not a single stage move: ${change.reason}`]);

  // 5. Production may have moved since the PR opened: re-apply the policy against it now.
  const current = productionVersion(deps.store.read(), change.model);
  if (change.kind === 'promotion') {
    const candidate = loadRegisteredArtifact(deps.store, change.model, change.version);
    const production =
      current && current.version !== change.version
        ? {
            version: current.version,
            artifact: loadRegisteredArtifact(deps.store, change.model, current.version).artifact,
          }
        : null;
    let comparison: ReturnType<typeof rescoreCandidate>;
    try {
      comparison = rescoreCandidate(
        deps.config,
        { version: change.version, artifact: candidate.artifact },
        production,
      );
    } catch (error) {
      return refuse([(error as Error).message], true);
    }
    log(comparison.decision.summary);
    if (!comparison.decision.promote) {
      const moved =
        current?.version !== change.from
          ? ` Production is now v${current?.version ?? 'none'} (the PR expected v${change.from ?? 'none'}).`
          : '';
      return refuse(
        [
          `v${change.version} no longer passes the promotion policy.${moved}`,
          decisionMarkdown(comparison.decision).replace(/\n/g, '\n  '),
        ],
        true,
      );
    }
  }
  if ((current?.version ?? null) !== change.from) {
    return refuse(
      [
        `production is v${current?.version ?? 'none'} but this PR was made against v${change.from ?? 'none'}; it is stale. The next training run will open an up-to-date PR`,
      ],
      true,
    );
  }

  // 6. Merge exactly the approved commit.
  const title =
    change.kind === 'promotion'
      ? `Promote ${change.model} v${change.version} to production (#${number})`
      : `Roll back ${change.model} to v${change.version} (#${number})`;
  const merged = await gh.rest.pulls.merge({
    owner,
    repo,
    pull_number: number,
    merge_method: 'squash',
    sha: pr.head.sha,
    commit_title: title,
    commit_message: `Approved by @${reviewer}.`,
  });
  await gh.rest.issues.createComment({
    owner,
    repo,
    issue_number: number,
    body: `✅ Merged as \`${merged.data.sha.slice(0, 7)}\` after the checks passed (reviewer @${reviewer} has ${permission} permission, registry-only diff, policy re-checked against production v${current?.version ?? 'none'}). The release of \`${change.model}-v${change.version}\` starts now${deps.runUrl ? `: ${deps.runUrl}` : ''}.`,
  });
  return {
    status: 'merged',
    model: change.model,
    version: change.version,
    kind: change.kind,
    mergeSha: merged.data.sha,
  };
}

async function reviewerPermission(
  gh: GitHubClient,
  owner: string,
  repo: string,
  username: string,
): Promise<string> {
  try {
    const { data } = await gh.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
    // role_name distinguishes maintain/triage, which `permission` folds into write/read.
    const role = (data as { role_name?: string }).role_name;
    return role && WRITERS.has(role) ? role : data.permission;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return 'none';
    throw error;
  }
}

async function readRegistryAt(git: GitClient, ref: string, file: string): Promise<Registry> {
  const text = await git.show(ref, file);
  if (text === null) throw new Error(`${file} does not exist at ${ref.slice(0, 7)}.`);
  return parseRegistry(JSON.parse(text), `${file}@${ref.slice(0, 7)}`);
}

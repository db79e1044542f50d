import { PROMOTION_LABEL } from '../promotion/review-rules.js';
import type { GitHubClient } from './client.js';

export { PROMOTION_LABEL };

/** `promote/<model>/v<N>`: the branch name is the contract between the train and promote workflows. */
export function promotionBranch(model: string, version: number): string {
  return `promote/${model}/v${version}`;
}

export interface PromotionPrInput {
  owner: string;
  repo: string;
  base: string;
  branch: string;
  model: string;
  version: number;
  title: string;
  body: string;
  label?: string;
}

export interface PromotionPrResult {
  number: number;
  url: string;
  created: boolean;
  superseded: number[];
}

/**
 * Opens the promotion PR for an already-pushed branch, or updates it if one is open. Labels it,
 * and closes older open promotion PRs for the same model with a comment that links the new one.
 */
export async function openOrUpdatePromotionPr(
  gh: GitHubClient,
  input: PromotionPrInput,
): Promise<PromotionPrResult> {
  const { owner, repo } = input;
  const label = input.label ?? PROMOTION_LABEL;
  const existing = await gh.rest.pulls.list({
    owner,
    repo,
    state: 'open',
    head: `${owner}:${input.branch}`,
    base: input.base,
  });
  let number: number;
  let url: string;
  let created = false;
  if (existing.data.length > 0) {
    const pr = existing.data[0]!;
    await gh.rest.pulls.update({
      owner,
      repo,
      pull_number: pr.number,
      title: input.title,
      body: input.body,
    });
    number = pr.number;
    url = pr.html_url;
  } else {
    const pr = await gh.rest.pulls.create({
      owner,
      repo,
      head: input.branch,
      base: input.base,
      title: input.title,
      body: input.body,
      maintainer_can_modify: false,
    });
    number = pr.data.number;
    url = pr.data.html_url;
    created = true;
  }
  await ensureLabel(gh, owner, repo, label);
  await gh.rest.issues.addLabels({ owner, repo, issue_number: number, labels: [label] });

  const superseded: number[] = [];
  const open = await gh.paginate(gh.rest.pulls.list, {
    owner,
    repo,
    state: 'open',
    base: input.base,
    per_page: 100,
  });
  const prefix = `promote/${input.model}/`;
  for (const pr of open) {
    if (pr.number === number || !pr.head.ref.startsWith(prefix)) continue;
    // Only older candidates are superseded; a late run must not close a newer PR.
    const other = Number(pr.head.ref.slice(prefix.length).replace(/^v/, ''));
    if (!Number.isInteger(other) || other >= input.version) continue;
    await gh.rest.issues.createComment({
      owner,
      repo,
      issue_number: pr.number,
      body: `Superseded by #${number} (\`${input.branch}\`), which promotes a newer candidate. Closing this one; its branch is left in place.`,
    });
    await gh.rest.pulls.update({ owner, repo, pull_number: pr.number, state: 'closed' });
    superseded.push(pr.number);
  }
  return { number, url, created, superseded };
}

/** Creates the label on first use, so a fresh repository needs no manual set-up. */
export async function ensureLabel(
  gh: GitHubClient,
  owner: string,
  repo: string,
  name: string,
): Promise<void> {
  try {
    await gh.rest.issues.getLabel({ owner, repo, name });
  } catch (error) {
    if ((error as { status?: number }).status !== 404) throw error;
    try {
      await gh.rest.issues.createLabel({
        owner,
        repo,
        name,
        color: '0e8a16',
        description: 'Moves a model version to production',
      });
    } catch (createError) {
      // Another run created it between our two calls.
      if ((createError as { status?: number }).status !== 422) throw createError;
    }
  }
}

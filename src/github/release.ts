import type { GitHubClient } from './client.js';

export interface PublishReleaseInput {
  owner: string;
  repo: string;
  tag: string;
  target: string;
  name: string;
  body: string;
}

/** Creates the GitHub release for a tag, or updates its notes when a re-run finds it already there. */
export async function publishRelease(
  gh: GitHubClient,
  input: PublishReleaseInput,
): Promise<{ url: string; created: boolean }> {
  const { owner, repo, tag } = input;
  try {
    const existing = await gh.rest.repos.getReleaseByTag({ owner, repo, tag });
    const updated = await gh.rest.repos.updateRelease({
      owner,
      repo,
      release_id: existing.data.id,
      name: input.name,
      body: input.body,
    });
    return { url: updated.data.html_url, created: false };
  } catch (error) {
    if ((error as { status?: number }).status !== 404) throw error;
  }
  const created = await gh.rest.repos.createRelease({
    owner,
    repo,
    tag_name: tag,
    target_commitish: input.target,
    name: input.name,
    body: input.body,
  });
  return { url: created.data.html_url, created: true };
}

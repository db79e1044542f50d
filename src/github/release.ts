import type { GitHubClient } from './client.js';

export interface PublishReleaseInput {
  owner: string;
  repo: string;
  /** A model release tag, `<model>-v<N>` (see {@link modelReleaseTag}). */
  tag: string;
  target: string;
  name: string;
  body: string;
}

// The config's model name (src/config/config.ts) and a registry version, a positive integer.
const MODEL_TAG = /^[a-z0-9][a-z0-9-]{0,62}-v[1-9]\d*$/;

/**
 * The tag of a model's GitHub release: `oncoclear-v3`. Model releases keep this prefix so that
 * they never collide with OncoClear's own tool releases, which are `vX.Y.Z` (docs/releasing.md).
 */
export function modelReleaseTag(model: string, version: number): string {
  const tag = `${model}-v${version}`;
  if (!MODEL_TAG.test(tag))
    throw new RangeError(
      `Model release tag '${tag}' is not <model>-v<N>; expected a lower-case model name and a positive version.`,
    );
  return tag;
}

/**
 * Creates the GitHub release of a model version, or updates its notes when a re-run finds it
 * already there. It is never marked "latest": that badge (and /releases/latest, which consumers
 * and Dependabot read) belongs to the tool's own releases, so `make_latest` is always 'false'.
 */
export async function publishRelease(
  gh: GitHubClient,
  input: PublishReleaseInput,
): Promise<{ url: string; created: boolean }> {
  const { owner, repo, tag } = input;
  if (!MODEL_TAG.test(tag))
    throw new RangeError(
      `Release tag '${tag}' is not a model release tag; expected <model>-v<N>, e.g. oncoclear-v3 (vX.Y.Z is OncoClear's own).`,
    );
  try {
    const existing = await gh.rest.repos.getReleaseByTag({ owner, repo, tag });
    const updated = await gh.rest.repos.updateRelease({
      owner,
      repo,
      release_id: existing.data.id,
      name: input.name,
      body: input.body,
      make_latest: 'false',
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
    make_latest: 'false',
  });
  return { url: created.data.html_url, created: true };
}

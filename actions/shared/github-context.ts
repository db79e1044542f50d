import { readFileSync } from 'node:fs';

/** The runner's GITHUB_* variables an action needs, read in one place. */
export interface RunnerContext {
  repository: string;
  owner: string;
  repo: string;
  sha: string;
  serverUrl: string;
  apiUrl: string;
  runId: string | null;
  /** Link to this workflow run, or null outside Actions. */
  runUrl: string | null;
  actor: string;
  eventName: string;
  eventPath: string | null;
  workspace: string;
  /** `GITHUB_REF`, e.g. `refs/heads/main`. */
  ref: string;
  refName: string;
}

export function readRunnerContext(env: NodeJS.ProcessEnv = process.env): RunnerContext {
  const repository = env.GITHUB_REPOSITORY ?? '';
  const [owner = '', repo = ''] = repository.split('/');
  const serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const runId = env.GITHUB_RUN_ID ?? null;
  return {
    repository,
    owner,
    repo,
    sha: env.GITHUB_SHA ?? '',
    serverUrl,
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    runId,
    runUrl: runId && repository ? `${serverUrl}/${repository}/actions/runs/${runId}` : null,
    actor: env.GITHUB_ACTOR ?? 'github-actions[bot]',
    eventName: env.GITHUB_EVENT_NAME ?? '',
    eventPath: env.GITHUB_EVENT_PATH ?? null,
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    ref: env.GITHUB_REF ?? '',
    refName: env.GITHUB_REF_NAME ?? '',
  };
}

/** The event payload's `repository.default_branch`, or null when the event has none. */
export function defaultBranchFromEvent(eventPath: string | null): string | null {
  if (!eventPath) return null;
  try {
    const event = JSON.parse(readFileSync(eventPath, 'utf8')) as {
      repository?: { default_branch?: unknown };
    };
    return typeof event.repository?.default_branch === 'string'
      ? event.repository.default_branch
      : null;
  } catch {
    return null;
  }
}

/** Requires GITHUB_REPOSITORY, naming what is missing. */
export function requireRepository(context: RunnerContext): { owner: string; repo: string } {
  if (!context.owner || !context.repo) {
    throw new Error(
      `GITHUB_REPOSITORY is '${context.repository}'; expected {owner}/{repo}. Run this inside GitHub Actions.`,
    );
  }
  return { owner: context.owner, repo: context.repo };
}

/**
 * What GITHUB_TOKEN cannot do, said plainly in summaries: events it causes start no workflows
 * (except workflow_dispatch and repository_dispatch), so a PR it opens runs no CI until a person acts.
 */
export function tokenLimitNote(usedGithubToken: boolean, what: string): string | null {
  if (!usedGithubToken) return null;
  return `${what} was made with GITHUB_TOKEN, so GitHub starts no workflows for it: no CI runs on the PR until someone pushes to it or closes and reopens it. Pass a GitHub App token or a PAT as the \`token\` input to lift this.`;
}

import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';

const OncoOctokit = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof OncoOctokit>;

export interface ClientOptions {
  token: string;
  /** REST base URL: `GITHUB_API_URL` in Actions, so GitHub Enterprise Server works too. */
  baseUrl: string;
  userAgent?: string;
  /** Where retry/throttle notices go. */
  warn?: (message: string) => void;
}

/**
 * Octokit with GitHub's recommended retry and throttling behaviour: retries 5xx and secondary
 * rate limits a few times, then gives up with the API's own message.
 */
export function createGitHubClient(options: ClientOptions): GitHubClient {
  const warn = options.warn ?? (() => {});
  return new OncoOctokit({
    auth: options.token,
    baseUrl: options.baseUrl.replace(/\/$/, ''),
    userAgent: options.userAgent ?? 'oncoclear',
    retry: { doNotRetry: [400, 401, 403, 404, 405, 409, 422, 451] },
    throttle: {
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        warn(`GitHub rate limit on ${request.method} ${request.url}; retrying in ${retryAfter} s`);
        return retryCount < 2;
      },
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        warn(
          `GitHub secondary rate limit on ${request.method} ${request.url}; retrying in ${retryAfter} s`,
        );
        return retryCount < 2;
      },
    },
  });
}

/** Splits `owner/repo`, as in GITHUB_REPOSITORY. */
export function parseRepository(value: string): { owner: string; repo: string } {
  const [owner, repo, ...rest] = value.split('/');
  if (!owner || !repo || rest.length) {
    throw new Error(`Invalid repository '${value}'. Expected format {owner}/{repo}.`);
  }
  return { owner, repo };
}

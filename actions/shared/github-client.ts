import * as core from '@actions/core';
import { createGitHubClient, type GitHubClient } from '../../src/github/client.js';
import type { RunnerContext } from './github-context.js';

/** Octokit for an action: the runner's API URL (GHES too), retry/throttle notices as warnings. */
export function actionGitHubClient(token: string, context: RunnerContext): GitHubClient {
  return createGitHubClient({ token, baseUrl: context.apiUrl, warn: (m) => core.warning(m) });
}

import * as core from '@actions/core';

/** The token an action uses, and whether it is the workflow's own GITHUB_TOKEN. */
export interface ActionToken {
  token: string;
  /** True when no App token or PAT was given: events it causes start no workflows. */
  usingGithubToken: boolean;
}

/**
 * Reads the `token` (optional App token or PAT) and `github-token` (the workflow's GITHUB_TOKEN)
 * inputs, masks both, and prefers the App token because it lifts GITHUB_TOKEN's limits.
 */
export function readActionToken(): ActionToken {
  const appToken = core.getInput('token');
  const githubToken = core.getInput('github-token', { required: true });
  core.setSecret(githubToken);
  if (appToken) core.setSecret(appToken);
  return { token: appToken || githubToken, usingGithubToken: !appToken };
}

import * as core from '@actions/core';

/** The review-promotion action's settings; defaults live in action.yml only. */
export interface ReviewInputs {
  /** Project config file. */
  config: string;
  /** Registry directory, or null for the config's registry.path. */
  registry: string | null;
  /** Token for git and the API. */
  token: string;
}

export function getInputs(): ReviewInputs {
  const appToken = core.getInput('token');
  const githubToken = core.getInput('github-token', { required: true });
  core.setSecret(githubToken);
  if (appToken) core.setSecret(appToken);
  return {
    config: core.getInput('config', { required: true }),
    registry: core.getInput('registry') || null,
    token: appToken || githubToken,
  };
}

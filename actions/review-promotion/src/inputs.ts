import * as core from '@actions/core';
import { readActionToken } from '../../shared/tokens.js';

/** The review-promotion action's settings; defaults live in action.yml only. */
export interface ReviewInputs {
  /** Project config file. */
  config: string;
  /** Registry directory, or null for the config's registry.path. */
  registry: string | null;
  /** Token for git and the API. */
  token: string;
  /** True when only GITHUB_TOKEN was given: the merge's push starts no workflow. */
  usingGithubToken: boolean;
}

export function getInputs(): ReviewInputs {
  const { token, usingGithubToken } = readActionToken();
  return {
    config: core.getInput('config', { required: true }),
    registry: core.getInput('registry') || null,
    token,
    usingGithubToken,
  };
}

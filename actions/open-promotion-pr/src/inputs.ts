import * as core from '@actions/core';
import { readActionToken } from '../../shared/tokens.js';

/** The open-promotion-pr action's settings; defaults live in action.yml only. */
export interface PromotionInputs {
  /** Registered version to promote. */
  version: number;
  /** comparison.json from the train action. */
  comparison: string;
  /** Project config file. */
  config: string;
  /** Registry directory, or null for the config's registry.path. */
  registry: string | null;
  /** PR base branch. */
  base: string;
  /** Label for promotion PRs. */
  label: string;
  /** The token used for git and the API. */
  token: string;
  /** True when only GITHUB_TOKEN was given, so events it causes start no workflows. */
  usingGithubToken: boolean;
}

export function getInputs(): PromotionInputs {
  const raw = core.getInput('version', { required: true });
  const version = Number(raw.replace(/^v/, ''));
  if (!Number.isInteger(version) || version < 1) {
    throw new Error(`Input 'version' is '${raw}'; expected a registered version number such as 3.`);
  }
  const { token, usingGithubToken } = readActionToken();
  return {
    version,
    comparison: core.getInput('comparison', { required: true }),
    config: core.getInput('config', { required: true }),
    registry: core.getInput('registry') || null,
    base: core.getInput('base', { required: true }),
    label: core.getInput('label', { required: true }),
    token,
    usingGithubToken,
  };
}

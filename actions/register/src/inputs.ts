import * as core from '@actions/core';
import { readActionToken } from '../../shared/tokens.js';

/** The register action's settings; defaults live in action.yml only. */
export interface RegisterInputs {
  /** Model artifact to register. */
  artifact: string;
  /** Project config file. */
  config: string;
  /** Registry directory, or null for the config's registry.path. */
  registry: string | null;
  /** Token for the push. */
  token: string;
  /** Branch to push the registry commit to. */
  branch: string;
  /** Push attempts before giving up. */
  maxAttempts: number;
}

export function getInputs(): RegisterInputs {
  const attempts = Number(core.getInput('max-attempts', { required: true }));
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 20) {
    throw new Error(
      `Input 'max-attempts' is '${core.getInput('max-attempts')}'; expected a whole number from 1 to 20.`,
    );
  }
  const { token } = readActionToken();
  return {
    artifact: core.getInput('artifact', { required: true }),
    config: core.getInput('config', { required: true }),
    registry: core.getInput('registry') || null,
    token,
    branch: core.getInput('branch', { required: true }),
    maxAttempts: attempts,
  };
}

import * as core from '@actions/core';

/** The train action's settings; defaults live in action.yml only. */
export interface TrainInputs {
  /** Project config file. */
  config: string;
  /** Training CSV, or null for the config's data.path. */
  data: string | null;
  /** Registry with the production model, or null for the config's registry.path. */
  registry: string | null;
  /** Output directory for model.json, comparison.json and report.md. */
  outDir: string;
  /** Whether to upload the out-dir as a workflow artifact. */
  upload: boolean;
  /** Workflow artifact name. */
  artifactName: string;
  /** Days to keep the artifact. */
  retentionDays: number;
}

export function getInputs(): TrainInputs {
  const retention = Number(core.getInput('retention-days', { required: true }));
  if (!Number.isInteger(retention) || retention < 1 || retention > 90) {
    throw new Error(
      `Input 'retention-days' is '${core.getInput('retention-days')}'; expected a whole number of days from 1 to 90.`,
    );
  }
  return {
    config: core.getInput('config', { required: true }),
    data: core.getInput('data') || null,
    registry: core.getInput('registry') || null,
    outDir: core.getInput('out-dir', { required: true }),
    upload: core.getBooleanInput('upload', { required: true }),
    artifactName: core.getInput('artifact-name', { required: true }),
    retentionDays: retention,
  };
}

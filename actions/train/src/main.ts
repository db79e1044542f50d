import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';
import { loadConfig } from '../../../src/config/config.js';
import { ensureDataFile } from '../../../src/data/remote.js';
import { trainCandidate } from '../../../src/pipeline/candidate.js';
import { createRegistryStore } from '../../../src/registry/store.js';
import { decisionHeadline } from '../../../src/report/decision.js';
import { readRunnerContext } from '../../shared/github-context.js';
import { packageVersionFromWorkspace } from '../../shared/package-version.js';
import { getInputs } from './inputs.js';
import { replaceArtifact } from './upload.js';

export async function run(): Promise<void> {
  const inputs = getInputs();
  const context = readRunnerContext();
  const config = loadConfig(inputs.config);
  const store = createRegistryStore(inputs.registry ?? config.registry.path);
  if (!inputs.data) await ensureDataFile(config, { log: (m) => core.info(m) });
  const result = trainCandidate(config, store, inputs.outDir, {
    commit: context.sha || null,
    now: () => new Date(),
    packageVersion: packageVersionFromWorkspace(),
    log: (m) => core.info(m),
    warn: (m) => core.warning(m),
    dataPath: inputs.data ?? undefined,
  });
  const { decision } = result.comparison;
  const test = result.train.artifact.metrics.test;

  core.setOutput('artifact', result.artifactFile);
  core.setOutput('sha256', result.sha256);
  core.setOutput('accuracy', String(test.accuracy));
  core.setOutput('roc-auc', String(test.rocAuc));
  core.setOutput('promote', String(decision.promote));
  core.setOutput(
    'replace',
    String(
      decision.outcome === 'not-comparable' &&
        decision.checks.every((c) => c.passed || c.name === 'comparable'),
    ),
  );
  core.setOutput('decision', decisionHeadline(decision));
  core.setOutput(
    'production-version',
    decision.production ? String(decision.production.version) : '',
  );
  core.setOutput('comparison', result.comparisonFile);
  core.setOutput('report', result.reportFile);

  let footer = '';
  if (inputs.upload) {
    if (process.env.ACTIONS_RUNTIME_TOKEN) {
      const files = readdirSync(inputs.outDir).map((f) => resolve(join(inputs.outDir, f)));
      try {
        const { id, replaced } = await replaceArtifact(new DefaultArtifactClient(), {
          name: inputs.artifactName,
          files,
          rootDirectory: resolve(inputs.outDir),
          retentionDays: inputs.retentionDays,
          warn: (m) => core.warning(m),
        });
        footer = `Uploaded the model and report as workflow artifact \`${inputs.artifactName}\` (id ${id}).`;
        if (replaced !== null)
          footer += ` It replaces artifact ${replaced}, which an earlier attempt of this run uploaded.`;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof Error && error.name === 'GHESNotSupportedError') {
          // GitHub Enterprise Server has no v4 artifact backend; the files are still on disk.
          core.warning(
            `Artifact upload is not supported on this GitHub Enterprise Server: ${message}`,
          );
          footer = `Artifact upload skipped (GitHub Enterprise Server). Files are in \`${inputs.outDir}\`.`;
        } else {
          // Keep the report even when the upload fails: training itself succeeded.
          await core.summary
            .addRaw(result.report)
            .addRaw(`\nArtifact upload failed: ${message} Files are in \`${inputs.outDir}\`.\n`)
            .write();
          throw new Error(
            `Uploading workflow artifact '${inputs.artifactName}' failed: ${message}`,
          );
        }
      }
    } else {
      core.warning(
        'Not running inside GitHub Actions (no ACTIONS_RUNTIME_TOKEN): skipped the artifact upload.',
      );
      footer = `Artifact upload skipped: not running inside GitHub Actions. Files are in \`${inputs.outDir}\`.`;
    }
  }
  core.info(decisionHeadline(decision));
  await core.summary.addRaw(result.report).addRaw(`\n${footer}\n`).write();
}

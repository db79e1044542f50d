import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runActionBundle } from './runner.js';
import { projectWorkspace } from './workspace.js';

const env = {
  GITHUB_REPOSITORY: 'octo/oncoclear',
  GITHUB_SHA: 'a'.repeat(40),
  GITHUB_RUN_ID: '42',
  GITHUB_SERVER_URL: 'https://github.com',
};

describe('train action', () => {
  it('trains, compares with production on the same rows and writes outputs and the job summary', async () => {
    const workspace = projectWorkspace();
    const run = await runActionBundle('train', { workspace, env });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(Number(run.outputs.accuracy)).toBeGreaterThan(0.95);
    expect(Number(run.outputs['roc-auc'])).toBeGreaterThan(0.99);
    expect(run.outputs['production-version']).toBe('1');
    // Same data and config as production v1: a tie, which never promotes.
    expect(run.outputs.promote).toBe('false');
    expect(run.outputs.decision).toContain('ties with production v1');
    expect(existsSync(join(workspace, run.outputs.artifact!))).toBe(true);
    expect(run.summary).toContain(
      '| metric (same test rows, 95% CI) | candidate | production v1 | candidate vs production |',
    );
    expect(run.summary).toContain('```mermaid\nxychart-beta');
    expect(run.summary).toContain('actual ＼ predicted');
    expect(run.warnings.join('\n')).toContain('skipped the artifact upload');
    const comparison = JSON.parse(readFileSync(join(workspace, run.outputs.comparison!), 'utf8'));
    expect(comparison.decision.evaluatedOn.rows).toBe(114);
  }, 30_000);

  it('fails the step with one clear message for a bad config', async () => {
    const workspace = projectWorkspace();
    writeFileSync(
      join(workspace, 'bad.json'),
      JSON.stringify({
        schemaVersion: 1,
        model: { name: 'x' },
        data: { path: 'data/wdbc.csv', target: 'diagnosis', positiveClass: 'malignant' },
        split: { testFraction: 2 },
      }),
    );
    const run = await runActionBundle('train', {
      workspace,
      env,
      inputs: { config: 'bad.json', upload: 'false' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      'Invalid config bad.json: split.testFraction is 2; expected a number < 1.',
    ]);
  }, 30_000);

  it('rejects a non-boolean upload input by name', async () => {
    const workspace = projectWorkspace();
    const run = await runActionBundle('train', { workspace, env, inputs: { upload: 'maybe' } });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toContain('upload');
  }, 30_000);
});

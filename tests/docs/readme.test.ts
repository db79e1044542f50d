import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { actionDocs, updateReadme } from '../../scripts/action-docs.js';

const readme = readFileSync('README.md', 'utf8');

describe('README', () => {
  it('documents every action input and output exactly as action.yml declares them', () => {
    // Regenerate with: npx tsx scripts/action-docs.ts
    expect(updateReadme(readme, actionDocs())).toBe(readme);
  });

  it('gives the two set-up commands the CI and users rely on', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toContain('oncoclear.js start');
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm test$/m);
  });

  it('shows a curl for every service endpoint', () => {
    for (const path of [
      '/health',
      '/ready',
      '/model',
      '/predict',
      '/predict/batch',
      '/metrics',
      '/openapi.json',
      '/docs',
      '/v2/health/live',
      '/v2/health/ready',
      '/v2/models/oncoclear',
      '/v2/models/oncoclear/ready',
      '/v2/models/oncoclear/infer',
    ]) {
      expect(readme, path).toContain(`localhost:8000${path}`);
    }
  });
});

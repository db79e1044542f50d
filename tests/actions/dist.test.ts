import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('committed action bundles', () => {
  it('match a fresh build of actions/*/src (check-dist)', () => {
    // Throws, and so fails, when a committed bundle is stale.
    const out = execFileSync(process.execPath, ['scripts/build.mjs', '--check-actions'], {
      encoding: 'utf8',
    });
    expect(out).toMatch(/checked \d+ actions/);
  });
});

import { describe, expect, it } from 'vitest';
import { adoptingRepo, cli } from './run-cli.js';

// An adopter's committed registry is empty until CI registers a version; local runs write to
// .local/registry. The dashboard reads the committed one by default and built an empty site with
// no word of where the versions were.
describe('oncoclear dashboard after local pipeline runs', () => {
  it('says the committed registry is empty and points at the local one', async () => {
    const repo = await adoptingRepo('oncoclear-dashboard-local-');
    const init = ['init', '--data', 'data/other.csv', '--target', 'outcome', '--positive', 'yes'];
    expect((await cli([...init, '--from', 'acme/oncoclear@v1'], repo)).code).toBe(0);
    expect((await cli(['pipeline'], repo)).code).toBe(0);

    const empty = await cli(['dashboard'], repo);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain(
      'warning: registry holds no models; local pipeline runs write to .local/registry: pass --registry .local/registry to show those.',
    );
    const local = await cli(['dashboard', '--registry', '.local/registry'], repo);
    expect(local.stdout).toMatch(/\(1 model, /);
    expect(local.stderr).not.toContain('holds no models');
  });
});

import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient, type GitHubClient } from '../../src/github/client.js';
import { modelReleaseTag, publishRelease } from '../../src/github/release.js';
import { type GitHubEmulator, startGitHubEmulator } from '../harness/github/emulator.js';
import { cleanupFixtures, createBareRepo } from '../harness/github/git-fixture.js';

const repo = { owner: 'acme', repo: 'widgets' };
let emulator: GitHubEmulator;
let gh: GitHubClient;

beforeEach(async () => {
  const bare = await createBareRepo({ initialFiles: { 'README.md': '# widgets\n' } });
  emulator = await startGitHubEmulator({ ...repo, bareRepoPath: bare });
  gh = createGitHubClient({ token: 't', baseUrl: emulator.url });
});
afterEach(async () => {
  expect(emulator.violations).toEqual([]);
  await emulator.close();
});
afterAll(cleanupFixtures);

describe('model releases', () => {
  it('are never marked latest: the tool release keeps the badge, on create and on re-run', async () => {
    // OncoClear's own release, as the tool-release workflow makes it.
    await gh.rest.repos.createRelease({ ...repo, tag_name: 'v1.0.0', make_latest: 'true' });
    const input = {
      ...repo,
      tag: modelReleaseTag('oncoclear', 3),
      target: 'main',
      name: 'oncoclear v3',
      body: 'notes',
    };

    const first = await publishRelease(gh, input);
    const again = await publishRelease(gh, { ...input, body: 'better notes' });

    expect([first.created, again.created]).toEqual([true, false]);
    expect(emulator.releases.map((r) => [r.tag_name, r.make_latest])).toEqual([
      ['v1.0.0', 'true'],
      ['oncoclear-v3', 'false'],
    ]);
    expect(emulator.releases[1]!.body).toBe('better notes');
    const latest = await gh.rest.repos.getLatestRelease(repo);
    expect(latest.data.tag_name).toBe('v1.0.0');
  });

  it('keep the <model>-v<N> prefix and refuse a tool-style tag', async () => {
    expect(modelReleaseTag('churn-model', 12)).toBe('churn-model-v12');
    expect(() => modelReleaseTag('Churn', 1)).toThrow(
      "Model release tag 'Churn-v1' is not <model>-v<N>",
    );
    expect(() => modelReleaseTag('churn', 0)).toThrow("'churn-v0'");
    await expect(
      publishRelease(gh, { ...repo, tag: 'v1.2.3', target: 'main', name: 'x', body: 'y' }),
    ).rejects.toThrow("Release tag 'v1.2.3' is not a model release tag");
    expect(emulator.releases).toEqual([]);
  });
});

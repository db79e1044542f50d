import { Octokit } from '@octokit/rest';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GitHubEmulator, startGitHubEmulator } from './github/emulator.js';
import { git, tryGit } from './github/git.js';
import {
  checkout,
  cleanupFixtures,
  cloneRepo,
  commitFiles,
  createBareRepo,
  push,
  readFileAt,
  revParse,
} from './github/git-fixture.js';
import { validateResponse } from './github/openapi.js';

// Real git processes (and a node hook per push) on a busy CI machine can take a while.
const SLOW = { timeout: 60_000 };

const repo = { owner: 'acme', repo: 'widgets' };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let emulator: GitHubEmulator;
let bare: string;
let work: string;
let octokit: Octokit;

function client(auth: string): Octokit {
  return new Octokit({ baseUrl: emulator.url, auth, log: quiet });
}

/** `git push` over the emulator's HTTP git server, authenticated like actions/checkout does. */
function httpPush(dir: string, branch: string, token?: string, extra: string[] = []) {
  const auth = token
    ? [
        '-c',
        `http.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
      ]
    : [];
  return tryGit([...auth, 'push', ...extra, emulator.gitUrl, `HEAD:refs/heads/${branch}`], {
    cwd: dir,
  });
}

beforeEach(async () => {
  bare = await createBareRepo({
    initialFiles: {
      'README.md': '# widgets\n',
      'src/app.txt': 'v1\n',
      '.github/workflows/ci.yml': 'on: push\n',
    },
  });
  work = await cloneRepo(bare);
  emulator = await startGitHubEmulator({
    ...repo,
    bareRepoPath: bare,
    users: { alice: 'admin', carol: 'write', dave: 'maintain', bob: 'triage' },
    tokens: {
      'runner-token': 'github-actions[bot]',
      'alice-token': 'alice',
      'carol-token': 'carol',
      'dave-token': 'dave',
      'app-token': 'promoter[bot]',
    },
    tokensWithoutWorkflowsPermission: ['app-token'],
  });
  octokit = client('observer');
});
afterEach(() => emulator.close());
afterAll(cleanupFixtures);

/** Pushes (over the file path) a branch that changes the app, and opens a PR for it. */
async function openFeaturePull(branch = 'feature'): Promise<{ number: number; head: string }> {
  await checkout(work, branch, true);
  const head = await commitFiles(work, { 'src/app.txt': 'v2\n' }, 'Change the app');
  await push(work, branch);
  const { data } = await client('carol-token').pulls.create({
    ...repo,
    head: branch,
    base: 'main',
    title: 'Change',
  });
  return { number: data.number, head };
}

async function mergeState(number: number) {
  const { data } = await octokit.pulls.get({ ...repo, pull_number: number });
  return [data.mergeable, data.mergeable_state];
}

describe('git over HTTP', SLOW, () => {
  it('clones anonymously and accepts authenticated pushes, recording the pusher', async () => {
    const dir = `${work}-http`;
    await git(['clone', '--quiet', emulator.gitUrl, dir]);
    expect(await readFileAt(dir, 'HEAD', 'src/app.txt')).toBe('v1\n');

    await git(['config', 'user.name', 'Carol'], { cwd: dir });
    await git(['config', 'user.email', 'carol@example.com'], { cwd: dir });
    const sha = await commitFiles(dir, { 'src/app.txt': 'v2\n' }, 'Carol changes it');
    const result = await httpPush(dir, 'topic', 'carol-token');
    expect(result.code, result.stderr).toBe(0);
    expect(await revParse(bare, 'topic')).toBe(sha);
    expect(emulator.pushes).toMatchObject([
      { ref: 'refs/heads/topic', before: '0'.repeat(40), after: sha, login: 'carol', via: 'git' },
    ]);
    expect(emulator.violations).toEqual([]);
  });

  it('answers an unauthenticated push with 401 and leaves the repository alone', async () => {
    const res = await fetch(`${emulator.gitUrl}/info/refs?service=git-receive-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="GitHub"');
    await commitFiles(work, { 'x.txt': 'x\n' }, 'x');
    const result = await httpPush(work, 'main');
    expect(result.code).not.toBe(0);
    expect(await revParse(bare, 'main')).not.toBe(await revParse(work, 'HEAD'));
  });

  it('serves only this repository', async () => {
    const res = await fetch(`${emulator.url}/acme/gadgets.git/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(404);
  });
});

describe('push restrictions', SLOW, () => {
  beforeEach(() => emulator.protectBranch('main', { restrictPushes: { bypass: ['carol'] } }));

  it('declines a direct push to a protected branch the way GitHub does (GH006)', async () => {
    const before = await revParse(bare, 'main');
    await commitFiles(work, { 'src/app.txt': 'direct\n' }, 'Direct push');
    const result = await httpPush(work, 'main', 'dave-token');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'remote: error: GH006: Protected branch update failed for refs/heads/main.',
    );
    expect(result.stderr).toContain('remote: - Changes must be made through a pull request.');
    expect(result.stderr).toContain(
      '! [remote rejected] HEAD -> main (protected branch hook declined)',
    );
    expect(await revParse(bare, 'main')).toBe(before);
    expect(emulator.pushes).toEqual([]);
  });

  it('lets bypass logins push, but never the GITHUB_TOKEN', async () => {
    emulator.protectBranch('main', {
      restrictPushes: { bypass: ['carol', 'github-actions[bot]'] },
    });
    const sha = await commitFiles(work, { 'src/app.txt': 'carol\n' }, 'Carol pushes');
    const bot = await httpPush(work, 'main', 'runner-token');
    expect(bot.stderr).toContain('(protected branch hook declined)');
    expect(await revParse(bare, 'main')).not.toBe(sha);

    const carol = await httpPush(work, 'main', 'carol-token');
    expect(carol.code, carol.stderr).toBe(0);
    expect(await revParse(bare, 'main')).toBe(sha);
    expect(emulator.pushes.map((p) => p.login)).toEqual(['carol']);
  });

  it('lets admins push unless admins are enforced', async () => {
    await commitFiles(work, { 'src/app.txt': 'admin\n' }, 'Admin pushes');
    expect((await httpPush(work, 'main', 'alice-token')).code).toBe(0);

    emulator.protectBranch('main', { restrictPushes: { bypass: [] }, enforceAdmins: true });
    await commitFiles(work, { 'src/app.txt': 'admin again\n' }, 'Admin pushes again');
    const refused = await httpPush(work, 'main', 'alice-token');
    expect(refused.stderr).toContain('(protected branch hook declined)');
  });

  it('declines force pushes and deletions even from bypass logins', async () => {
    await git(['reset', '--quiet', '--hard', 'HEAD'], { cwd: work });
    await commitFiles(work, { 'src/app.txt': 'a\n' }, 'a');
    expect((await httpPush(work, 'main', 'carol-token')).code).toBe(0);
    await git(['reset', '--quiet', '--hard', 'HEAD~1'], { cwd: work });
    await commitFiles(work, { 'src/app.txt': 'b\n' }, 'b');
    const forced = await httpPush(work, 'main', 'carol-token', ['--force']);
    expect(forced.stderr).toContain('remote: - Cannot force-push to this branch');
    const deleted = await tryGit(
      [
        '-c',
        `http.extraheader=AUTHORIZATION: basic ${Buffer.from('x-access-token:carol-token').toString('base64')}`,
        'push',
        emulator.gitUrl,
        ':refs/heads/main',
      ],
      { cwd: work },
    );
    expect(deleted.stderr).toContain('remote: - Cannot delete this branch');
    expect(await revParse(bare, 'main')).toBeDefined();
  });

  it('requires passing required checks on a pushed commit', async () => {
    emulator.protectBranch('main', {
      restrictPushes: { bypass: ['carol'] },
      requiredStatusChecks: { contexts: ['ci'] },
    });
    const sha = await commitFiles(work, { 'src/app.txt': 'tested\n' }, 'Tested elsewhere');
    const untested = await httpPush(work, 'main', 'carol-token');
    expect(untested.stderr).toContain('remote: - Required status check "ci" is expected.');

    // A commit already tested on another branch may be pushed.
    expect((await httpPush(work, 'tested', 'carol-token')).code).toBe(0);
    await client('carol-token').repos.createCommitStatus({
      ...repo,
      sha,
      state: 'success',
      context: 'ci',
    });
    expect((await httpPush(work, 'main', 'carol-token')).code).toBe(0);
    expect(await revParse(bare, 'main')).toBe(sha);
  });

  it('leaves pushes over the bare repository path unrestricted', async () => {
    const sha = await commitFiles(work, { 'src/app.txt': 'admin\n' }, 'Over the file path');
    await push(work, 'main');
    expect(await revParse(bare, 'main')).toBe(sha);
  });
});

describe('workflow files', SLOW, () => {
  const refusal =
    'refusing to allow a GitHub App to create or update workflow `.github/workflows/ci.yml` without `workflows` permission';

  it('refuses workflow changes from tokens without the workflows permission', async () => {
    await commitFiles(work, { '.github/workflows/ci.yml': 'on: [push]\n' }, 'Edit CI');
    const app = await httpPush(work, 'ci-change', 'app-token');
    expect(app.code).not.toBe(0);
    expect(app.stderr).toContain(`! [remote rejected] HEAD -> ci-change (${refusal})`);
    const runner = await httpPush(work, 'ci-change', 'runner-token');
    expect(runner.stderr).toContain(refusal);
    expect(await revParse(bare, 'ci-change')).toBeUndefined();

    expect((await httpPush(work, 'ci-change', 'carol-token')).code).toBe(0);
  });

  it('accepts other changes from the same tokens', async () => {
    await commitFiles(work, { 'src/app.txt': 'v2\n' }, 'Not a workflow');
    const result = await httpPush(work, 'app-change', 'app-token');
    expect(result.code, result.stderr).toBe(0);
    expect(emulator.pushes.map((p) => p.login)).toEqual(['promoter[bot]']);
  });
});

describe('mergeability', SLOW, () => {
  it('reports dirty for a real conflict and refuses the merge', async () => {
    const { number } = await openFeaturePull();
    expect(await mergeState(number)).toEqual([true, 'clean']);
    await checkout(work, 'main');
    await commitFiles(work, { 'src/app.txt': 'v3\n' }, 'Conflicting change');
    await push(work, 'main');
    expect(await mergeState(number)).toEqual([false, 'dirty']);
    await expect(octokit.pulls.merge({ ...repo, pull_number: number })).rejects.toMatchObject({
      status: 405,
      response: { data: { message: 'Pull Request is not mergeable' } },
    });
  });

  it('blocks on a missing or failing required check and merges once it passes', async () => {
    emulator.protectBranch('main', { requiredStatusChecks: { contexts: ['ci'] } });
    const { number, head } = await openFeaturePull();
    expect(await mergeState(number)).toEqual([true, 'blocked']);
    await expect(octokit.pulls.merge({ ...repo, pull_number: number })).rejects.toMatchObject({
      status: 405,
      response: {
        data: {
          message: 'Required status check "ci" is expected.',
          documentation_url: 'https://docs.github.com/articles/about-protected-branches',
        },
      },
    });
    emulator.setCheck(head, 'ci', 'failure');
    await expect(octokit.pulls.merge({ ...repo, pull_number: number })).rejects.toMatchObject({
      status: 405,
      response: { data: { message: 'Required status check "ci" is failing.' } },
    });
    emulator.setCheck(head, 'ci', 'success');
    expect(await mergeState(number)).toEqual([true, 'clean']);
    const merged = await octokit.pulls.merge({ ...repo, pull_number: number });
    expect(await revParse(bare, 'main')).toBe(merged.data.sha);
    const parents = await git(['--git-dir', bare, 'log', '-1', '--format=%P', 'main']);
    expect(parents.trim().split(' ')).toContain(head);
    expect(emulator.pushes.at(-1)).toMatchObject({
      ref: 'refs/heads/main',
      after: merged.data.sha,
      login: 'github-actions[bot]',
      via: 'api',
    });
  });

  it('counts missing required checks like GitHub when several are missing', async () => {
    emulator.protectBranch('main', { requiredStatusChecks: { contexts: ['ci', 'lint'] } });
    const { number } = await openFeaturePull();
    await expect(octokit.pulls.merge({ ...repo, pull_number: number })).rejects.toMatchObject({
      status: 405,
      response: { data: { message: '2 of 2 required status checks are expected.' } },
    });
  });

  it('reports unstable when only a check that is not required fails', async () => {
    emulator.protectBranch('main', { requiredStatusChecks: { contexts: ['ci'] } });
    const { number, head } = await openFeaturePull();
    const carol = client('carol-token');
    await carol.repos.createCommitStatus({ ...repo, sha: head, state: 'success', context: 'ci' });
    await carol.repos.createCommitStatus({ ...repo, sha: head, state: 'failure', context: 'docs' });
    expect(await mergeState(number)).toEqual([true, 'unstable']);
    expect((await octokit.pulls.merge({ ...repo, pull_number: number })).data.merged).toBe(true);
  });

  it('reports behind under strict checks when the head lacks the base tip', async () => {
    emulator.protectBranch('main', { requiredStatusChecks: { contexts: ['ci'], strict: true } });
    const { number, head } = await openFeaturePull();
    emulator.setCheck(head, 'ci', 'success');
    await checkout(work, 'main');
    await commitFiles(work, { 'other.txt': 'x\n' }, 'Unrelated change on main');
    await push(work, 'main');
    expect(await mergeState(number)).toEqual([true, 'behind']);
    await expect(octokit.pulls.merge({ ...repo, pull_number: number })).rejects.toMatchObject({
      status: 409,
      response: {
        data: { message: 'Head branch is out of date. Review and try the merge again.' },
      },
    });
  });

  it('lets admins merge past unmet requirements unless admins are enforced', async () => {
    emulator.protectBranch('main', { requiredApprovingReviewCount: 1 });
    const { number } = await openFeaturePull();
    expect((await client('alice-token').pulls.merge({ ...repo, pull_number: number })).status).toBe(
      200,
    );
    const second = await openFeaturePull('feature-2');
    emulator.protectBranch('main', { requiredApprovingReviewCount: 1, enforceAdmins: true });
    await expect(
      client('alice-token').pulls.merge({ ...repo, pull_number: second.number }),
    ).rejects.toMatchObject({ status: 405 });
  });

  it('keeps setMergeable working as an override', async () => {
    emulator.protectBranch('main', { requiredStatusChecks: { contexts: ['ci'] } });
    const { number } = await openFeaturePull();
    emulator.setMergeable(number, false);
    expect(await mergeState(number)).toEqual([false, 'dirty']);
    emulator.setMergeable(number, null);
    expect(await mergeState(number)).toEqual([null, 'unknown']);
    emulator.setMergeable(number, true);
    expect(await mergeState(number)).toEqual([true, 'blocked']);
  });

  it('still refuses a stale sha with 409', async () => {
    const { number } = await openFeaturePull();
    await expect(
      octokit.pulls.merge({ ...repo, pull_number: number, sha: 'f'.repeat(40) }),
    ).rejects.toMatchObject({
      status: 409,
      response: { data: { message: 'Head branch was modified. Review and try the merge again.' } },
    });
  });
});

describe('required reviews', SLOW, () => {
  const APPROVALS = 'At least 1 approving review is required by reviewers with write access.';

  it('needs an approval from someone with write access', async () => {
    emulator.protectBranch('main', { requiredApprovingReviewCount: 1 });
    const { number } = await openFeaturePull();
    expect(await mergeState(number)).toEqual([true, 'blocked']);
    await expect(octokit.pulls.merge({ ...repo, pull_number: number })).rejects.toMatchObject({
      status: 405,
      response: { data: { message: APPROVALS } },
    });
    emulator.addReview(number, { user: 'bob', state: 'APPROVED' });
    await expect(octokit.pulls.merge({ ...repo, pull_number: number })).rejects.toMatchObject({
      status: 405,
    });
    await client('dave-token').pulls.createReview({
      ...repo,
      pull_number: number,
      event: 'APPROVE',
    });
    expect(await mergeState(number)).toEqual([true, 'clean']);
    expect((await octokit.pulls.merge({ ...repo, pull_number: number })).data.merged).toBe(true);
  });

  it('joins every unmet requirement in one message', async () => {
    emulator.protectBranch('main', {
      requiredApprovingReviewCount: 2,
      requiredStatusChecks: { contexts: ['ci'] },
    });
    const { number } = await openFeaturePull();
    await expect(octokit.pulls.merge({ ...repo, pull_number: number })).rejects.toMatchObject({
      response: {
        data: {
          message:
            'At least 2 approving reviews are required by reviewers with write access. Required status check "ci" is expected.',
        },
      },
    });
  });

  it('is blocked while a writer requests changes, until that review is dismissed', async () => {
    emulator.protectBranch('main', { requiredApprovingReviewCount: 1 });
    const { number } = await openFeaturePull();
    emulator.addReview(number, { user: 'dave', state: 'APPROVED' });
    const change = emulator.addReview(number, { user: 'alice', state: 'CHANGES_REQUESTED' });
    expect(await mergeState(number)).toEqual([true, 'blocked']);
    await expect(octokit.pulls.merge({ ...repo, pull_number: number })).rejects.toMatchObject({
      response: { data: { message: 'Changes requested by reviewers with write access.' } },
    });
    const dismissed = await client('alice-token').pulls.dismissReview({
      ...repo,
      pull_number: number,
      review_id: change.id,
      message: 'Addressed',
    });
    expect(dismissed.data.state).toBe('DISMISSED');
    expect(validateResponse('pulls/dismiss-review', 200, dismissed.data)).toEqual([]);
    expect(await mergeState(number)).toEqual([true, 'clean']);
  });

  it("does not count the last pusher's approval when the last push must be approved", async () => {
    emulator.protectBranch('main', {
      requiredApprovingReviewCount: 1,
      requireLastPushApproval: true,
    });
    const { number } = await openFeaturePull();
    await emulator.recordPush('feature', 'dave');
    emulator.addReview(number, { user: 'dave', state: 'APPROVED' });
    await expect(octokit.pulls.merge({ ...repo, pull_number: number })).rejects.toMatchObject({
      status: 405,
      response: {
        data: { message: 'New changes require approval from someone other than the last pusher.' },
      },
    });
    emulator.addReview(number, { user: 'alice', state: 'APPROVED' });
    expect(await mergeState(number)).toEqual([true, 'clean']);
  });

  it('learns the last pusher from pushes over HTTP', async () => {
    emulator.protectBranch('main', {
      requiredApprovingReviewCount: 1,
      requireLastPushApproval: true,
    });
    const { number } = await openFeaturePull();
    const sha = await commitFiles(work, { 'more.txt': 'x\n' }, 'More from dave');
    expect((await httpPush(work, 'feature', 'dave-token')).code).toBe(0);
    emulator.addReview(number, { user: 'dave', state: 'APPROVED', commit_id: sha });
    expect(await mergeState(number)).toEqual([true, 'blocked']);
  });

  it('dismisses stale approvals when new commits are pushed', async () => {
    emulator.protectBranch('main', { requiredApprovingReviewCount: 1, dismissStaleReviews: true });
    const { number } = await openFeaturePull();
    const approval = emulator.addReview(number, { user: 'dave', state: 'APPROVED' });
    emulator.addReview(number, { user: 'alice', state: 'COMMENTED', body: 'nit' });
    expect(await mergeState(number)).toEqual([true, 'clean']);

    await commitFiles(work, { 'more.txt': 'x\n' }, 'More');
    await push(work, 'feature');
    const reviews = await octokit.pulls.listReviews({ ...repo, pull_number: number });
    expect(reviews.data.map((r) => [r.user?.login, r.state])).toEqual([
      ['dave', 'DISMISSED'],
      ['alice', 'COMMENTED'],
    ]);
    const one = await octokit.pulls.getReview({
      ...repo,
      pull_number: number,
      review_id: approval.id,
    });
    expect(one.data.state).toBe('DISMISSED');
    expect(await mergeState(number)).toEqual([true, 'blocked']);
  });

  it('dismisses stale approvals on pushes over HTTP too, but not approvals of the new head', async () => {
    emulator.protectBranch('main', { requiredApprovingReviewCount: 1, dismissStaleReviews: true });
    const { number } = await openFeaturePull();
    emulator.addReview(number, { user: 'dave', state: 'APPROVED' });
    const sha = await commitFiles(work, { 'more.txt': 'x\n' }, 'More');
    expect((await httpPush(work, 'feature', 'carol-token')).code).toBe(0);
    expect(emulator.reviews[number].map((r) => r.state)).toEqual(['DISMISSED']);
    emulator.addReview(number, { user: 'alice', state: 'APPROVED', commit_id: sha });
    expect(await mergeState(number)).toEqual([true, 'clean']);
    expect(emulator.reviews[number].map((r) => r.state)).toEqual(['DISMISSED', 'APPROVED']);
  });

  it('keeps approvals on new pushes without dismissStaleReviews', async () => {
    emulator.protectBranch('main', { requiredApprovingReviewCount: 1 });
    const { number } = await openFeaturePull();
    emulator.addReview(number, { user: 'dave', state: 'APPROVED' });
    await commitFiles(work, { 'more.txt': 'x\n' }, 'More');
    expect((await httpPush(work, 'feature', 'carol-token')).code).toBe(0);
    expect(emulator.reviews[number].map((r) => r.state)).toEqual(['APPROVED']);
    expect(await mergeState(number)).toEqual([true, 'clean']);
  });
});

describe('statuses, checks and protection endpoints', SLOW, () => {
  it('serves commit statuses and their combination like GitHub', async () => {
    const sha = (await revParse(bare, 'main'))!;
    const carol = client('carol-token');
    const combinedEmpty = await octokit.repos.getCombinedStatusForRef({ ...repo, ref: 'main' });
    expect(combinedEmpty.data).toMatchObject({ state: 'pending', total_count: 0, sha });

    const created = await carol.repos.createCommitStatus({
      ...repo,
      sha,
      state: 'pending',
      context: 'ci',
      description: 'Running',
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      state: 'pending',
      context: 'ci',
      creator: { login: 'carol' },
    });
    await carol.repos.createCommitStatus({ ...repo, sha, state: 'success', context: 'ci' });
    await carol.repos.createCommitStatus({ ...repo, sha, state: 'success', context: 'lint' });

    const combined = await octokit.repos.getCombinedStatusForRef({ ...repo, ref: sha });
    expect(combined.data.state).toBe('success');
    expect(combined.data.statuses.map((s) => [s.context, s.state])).toEqual([
      ['lint', 'success'],
      ['ci', 'success'],
    ]);
    const list = await octokit.repos.listCommitStatusesForRef({ ...repo, ref: 'main' });
    expect(list.data.map((s) => s.state)).toEqual(['success', 'success', 'pending']);

    await carol.repos.createCommitStatus({ ...repo, sha, state: 'error', context: 'lint' });
    expect((await octokit.repos.getCombinedStatusForRef({ ...repo, ref: 'main' })).data.state).toBe(
      'failure',
    );
    await expect(
      carol.repos.createCommitStatus({ ...repo, sha: 'a'.repeat(40), state: 'success' }),
    ).rejects.toMatchObject({ status: 422 });

    for (const [op, res] of [
      ['repos/create-commit-status', created],
      ['repos/get-combined-status-for-ref', combined],
      ['repos/list-commit-statuses-for-ref', list],
    ] as const) {
      expect(validateResponse(op, res.status, res.data), op).toEqual([]);
    }
    expect(emulator.violations).toEqual([]);
  });

  it('lists check runs set by tests, latest per name', async () => {
    const { number, head } = await openFeaturePull();
    emulator.setCheck(head, 'build', 'failure');
    emulator.setCheck(head, 'build', 'success');
    emulator.setCheck(head, 'e2e', null);
    const runs = await octokit.checks.listForRef({ ...repo, ref: 'feature' });
    expect(runs.data.total_count).toBe(2);
    expect(runs.data.check_runs.map((r) => [r.name, r.status, r.conclusion])).toEqual([
      ['build', 'completed', 'success'],
      ['e2e', 'in_progress', null],
    ]);
    expect(runs.data.check_runs[0].pull_requests.map((p) => p.number)).toEqual([number]);
    expect(validateResponse('checks/list-for-ref', 200, runs.data)).toEqual([]);
    const all = await octokit.checks.listForRef({ ...repo, ref: head, filter: 'all' });
    expect(all.data.total_count).toBe(3);
    expect(emulator.violations).toEqual([]);
  });

  it('serves branch protection and reports protected branches', async () => {
    await expect(
      octokit.repos.getBranchProtection({ ...repo, branch: 'main' }),
    ).rejects.toMatchObject({
      status: 404,
      response: { data: { message: 'Branch not protected' } },
    });
    expect((await octokit.repos.getBranch({ ...repo, branch: 'main' })).data.protected).toBe(false);

    emulator.protectBranch('main', {
      requiredStatusChecks: { contexts: ['ci'], strict: true },
      requiredApprovingReviewCount: 1,
      requireLastPushApproval: true,
      dismissStaleReviews: true,
      restrictPushes: { bypass: ['carol'] },
    });
    const protection = await octokit.repos.getBranchProtection({ ...repo, branch: 'main' });
    expect(protection.data).toMatchObject({
      required_status_checks: { strict: true, contexts: ['ci'] },
      enforce_admins: { enabled: false },
      required_pull_request_reviews: {
        required_approving_review_count: 1,
        require_last_push_approval: true,
        dismiss_stale_reviews: true,
        bypass_pull_request_allowances: { users: [{ login: 'carol' }] },
      },
      allow_force_pushes: { enabled: false },
    });
    expect(validateResponse('repos/get-branch-protection', 200, protection.data)).toEqual([]);

    const branch = await octokit.repos.getBranch({ ...repo, branch: 'main' });
    expect(branch.data).toMatchObject({
      protected: true,
      protection: { enabled: true, required_status_checks: { contexts: ['ci'] } },
    });
    expect(validateResponse('repos/get-branch', 200, branch.data)).toEqual([]);
    const branches = await octokit.repos.listBranches(repo);
    expect(branches.data.map((b) => [b.name, b.protected])).toEqual([['main', true]]);
    expect((await octokit.repos.get(repo)).data.default_branch).toBe('main');
    expect(emulator.violations).toEqual([]);
  });
});

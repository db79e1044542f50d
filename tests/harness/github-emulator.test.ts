import { getOctokit } from '@actions/github';
import { Octokit } from '@octokit/rest';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GitHubEmulator, startGitHubEmulator } from './github/emulator.js';
import { git } from './github/git.js';
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
import { pullRequestPayload, pullRequestReviewPayload, pushPayload } from './github/payloads.js';

const DEPLOY_WORKFLOW = `name: deploy
on:
  workflow_dispatch:
    inputs:
      version:
        required: true
        type: string
`;

// Real git processes on a busy CI machine can take a while; the default 5 s is too tight.
const SLOW = { timeout: 60_000 };

let emulator: GitHubEmulator;
let bare: string;
let work: string;
let octokit: Octokit;
const repo = { owner: 'acme', repo: 'widgets' };

/** Octokit logs every error response; expected 4xx answers would only add noise. */
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function client(auth?: string): Octokit {
  return new Octokit({ baseUrl: emulator.url, auth, log: quiet });
}

/** An untyped request, for deliberately invalid calls Octokit's types would refuse. */
function rawRequest(route: string, params: Record<string, unknown>) {
  return octokit.request(route, params);
}

async function setUp(): Promise<void> {
  bare = await createBareRepo({
    initialFiles: {
      'README.md': '# widgets\n',
      'src/app.txt': 'v1\n',
      '.github/workflows/deploy.yml': DEPLOY_WORKFLOW,
    },
  });
  work = await cloneRepo(bare);
  emulator = await startGitHubEmulator({
    ...repo,
    bareRepoPath: bare,
    users: { alice: 'admin', bob: 'triage' },
    tokens: { 'alice-token': 'alice' },
  });
  octokit = client('t');
}

afterAll(cleanupFixtures);

/** Pushes a feature branch that modifies one file and adds another. */
async function pushFeature(branch = 'feature/change'): Promise<string> {
  await checkout(work, branch, true);
  const sha = await commitFiles(
    work,
    { 'src/app.txt': 'v2\n', 'docs/new.md': 'hello\n' },
    'Change the app',
  );
  await push(work, branch);
  return sha;
}

async function openPull(branch = 'feature/change') {
  const { data } = await octokit.pulls.create({ ...repo, head: branch, base: 'main', title: 'T' });
  return data;
}

describe('GitHub emulator', SLOW, () => {
  beforeEach(setUp);
  afterEach(() => emulator.close());

  describe('pull request flow against a real bare repository', () => {
    it('creates, labels, comments on, lists files of and squash-merges a pull request', async () => {
      const headSha = await pushFeature();
      const mainBefore = await revParse(bare, 'main');

      const created = await octokit.pulls.create({
        ...repo,
        head: 'acme:feature/change',
        base: 'main',
        title: 'Promote model',
        body: 'Details',
      });
      expect(created.status).toBe(201);
      expect(created.data).toMatchObject({
        number: 1,
        state: 'open',
        title: 'Promote model',
        html_url: 'https://github.com/acme/widgets/pull/1',
        head: {
          ref: 'feature/change',
          sha: headSha,
          repo: { full_name: 'acme/widgets', fork: false },
        },
        base: { ref: 'main', sha: mainBefore },
        user: { login: 'github-actions[bot]' },
        merged: false,
      });

      const labels = await octokit.issues.addLabels({
        ...repo,
        issue_number: 1,
        labels: ['promote'],
      });
      expect(labels.data.map((l) => l.name)).toEqual(['promote']);
      expect(emulator.pulls[0].labels.map((l) => l.name)).toEqual(['promote']);
      expect((await octokit.issues.getLabel({ ...repo, name: 'promote' })).data.color).toBe(
        'ededed',
      );

      const comment = await octokit.issues.createComment({
        ...repo,
        issue_number: 1,
        body: 'LGTM',
      });
      expect(comment.status).toBe(201);
      expect(emulator.comments[1].map((c) => c.body)).toEqual(['LGTM']);
      const comments = await octokit.issues.listComments({ ...repo, issue_number: 1 });
      expect(comments.data.map((c) => c.body)).toEqual(['LGTM']);

      const files = await octokit.pulls.listFiles({ ...repo, pull_number: 1 });
      expect(files.data.map((f) => [f.filename, f.status, f.additions, f.deletions])).toEqual([
        ['docs/new.md', 'added', 1, 0],
        ['src/app.txt', 'modified', 1, 1],
      ]);
      expect(files.data[1].patch).toContain('-v1\n+v2');

      const fetched = await octokit.pulls.get({ ...repo, pull_number: 1 });
      expect(fetched.data).toMatchObject({ mergeable: true, changed_files: 2, commits: 1 });

      const merged = await octokit.pulls.merge({
        ...repo,
        pull_number: 1,
        merge_method: 'squash',
        sha: headSha,
      });
      expect(merged.data).toMatchObject({
        merged: true,
        message: 'Pull Request successfully merged',
      });
      const mainAfter = await revParse(bare, 'main');
      expect(mainAfter).toBe(merged.data.sha);
      expect(await readFileAt(bare, 'main', 'src/app.txt')).toBe('v2\n');
      expect(await readFileAt(bare, 'main', 'docs/new.md')).toBe('hello\n');
      // A squash merge is one new single-parent commit on the old base, not the branch's commit.
      const parents = await git(['--git-dir', bare, 'log', '-1', '--format=%P', 'main']);
      expect(parents.trim()).toBe(mainBefore);
      expect(mainAfter).not.toBe(headSha);
      const subject = await git(['--git-dir', bare, 'log', '-1', '--format=%s', 'main']);
      expect(subject.trim()).toBe('Promote model (#1)');

      const after = await octokit.pulls.get({ ...repo, pull_number: 1 });
      expect(after.data).toMatchObject({
        state: 'closed',
        merged: true,
        merge_commit_sha: mainAfter,
      });
      // Files of a merged pull request still show what it changed.
      expect((await octokit.pulls.listFiles({ ...repo, pull_number: 1 })).data).toHaveLength(2);
      expect(emulator.violations).toEqual([]);
    });

    it('supports merge commits and rebase merges', async () => {
      await pushFeature('feature/a');
      await openPull('feature/a');
      const mergeResult = await octokit.pulls.merge({ ...repo, pull_number: 1 });
      const parents = await git([
        '--git-dir',
        bare,
        'log',
        '-1',
        '--format=%P',
        mergeResult.data.sha,
      ]);
      expect(parents.trim().split(' ')).toHaveLength(2);

      await checkout(work, 'main');
      await git(['pull', '--quiet', 'origin', 'main'], { cwd: work });
      await checkout(work, 'feature/b', true);
      await commitFiles(work, { 'b1.txt': '1\n' }, 'b one');
      await commitFiles(work, { 'b2.txt': '2\n' }, 'b two');
      await push(work, 'feature/b');
      await openPull('feature/b');
      const rebased = await octokit.pulls.merge({
        ...repo,
        pull_number: 2,
        merge_method: 'rebase',
      });
      const log = await git(['--git-dir', bare, 'log', '-3', '--format=%s|%cn', rebased.data.sha]);
      expect(log.trim().split('\n')).toEqual(['b two|GitHub', 'b one|GitHub', expect.any(String)]);
      expect(await readFileAt(bare, 'main', 'b1.txt')).toBe('1\n');
      expect(emulator.violations).toEqual([]);
    });

    it('answers like GitHub when the head branch does not exist or a PR already exists', async () => {
      await expect(
        octokit.pulls.create({ ...repo, head: 'never-pushed', base: 'main', title: 'x' }),
      ).rejects.toMatchObject({ status: 422 });
      await pushFeature();
      await openPull();
      await expect(openPull()).rejects.toMatchObject({
        status: 422,
        response: { data: { errors: [{ message: expect.stringContaining('already exists') }] } },
      });
      // Well-formed requests GitHub refuses on the merits are not spec violations.
      expect(emulator.violations).toEqual([]);
    });

    it('refuses merges with a stale sha (409), when unmergeable (405) and on conflicts (405)', async () => {
      await pushFeature();
      await openPull();
      await expect(
        octokit.pulls.merge({ ...repo, pull_number: 1, sha: '0'.repeat(40) }),
      ).rejects.toMatchObject({ status: 409 });

      emulator.setMergeable(1, false);
      expect((await octokit.pulls.get({ ...repo, pull_number: 1 })).data.mergeable).toBe(false);
      await expect(octokit.pulls.merge({ ...repo, pull_number: 1 })).rejects.toMatchObject({
        status: 405,
      });

      // A real conflict: main changes the same line after the branch was cut.
      emulator.setMergeable(1, null);
      await checkout(work, 'main');
      await commitFiles(work, { 'src/app.txt': 'v3\n' }, 'Conflicting change');
      await push(work, 'main');
      expect((await octokit.pulls.get({ ...repo, pull_number: 1 })).data.mergeable).toBeNull();
      await expect(octokit.pulls.merge({ ...repo, pull_number: 1 })).rejects.toMatchObject({
        status: 405,
      });
      expect(await readFileAt(bare, 'main', 'src/app.txt')).toBe('v3\n');
    });

    it('follows pushes to the head branch and lists PRs by head and state', async () => {
      await pushFeature();
      await openPull();
      const newSha = await commitFiles(work, { 'more.txt': 'x\n' }, 'More');
      await push(work, 'feature/change');
      const pr = await octokit.pulls.get({ ...repo, pull_number: 1 });
      expect(pr.data.head.sha).toBe(newSha);

      const byHead = await octokit.pulls.list({ ...repo, head: 'acme:feature/change' });
      expect(byHead.data.map((p) => p.number)).toEqual([1]);
      expect((await octokit.pulls.list({ ...repo, head: 'acme:other' })).data).toEqual([]);
      await octokit.pulls.update({ ...repo, pull_number: 1, state: 'closed' });
      expect((await octokit.pulls.list({ ...repo })).data).toEqual([]);
      expect((await octokit.pulls.list({ ...repo, state: 'closed' })).data).toHaveLength(1);
    });
  });

  describe('spec enforcement', () => {
    it('rejects an endpoint GitHub does not have with 404 and records a violation', async () => {
      await expect(
        octokit.request('GET /repos/{owner}/{repo}/flux-capacitor', repo),
      ).rejects.toMatchObject({ status: 404, response: { data: { message: 'Not Found' } } });
      await expect(
        octokit.request('PATCH /repos/{owner}/{repo}/pulls', repo),
      ).rejects.toMatchObject({
        status: 404,
      });
      expect(emulator.violations).toEqual([
        'GET /repos/acme/widgets/flux-capacitor: not a GitHub REST API endpoint',
        'PATCH /repos/acme/widgets/pulls: not a GitHub REST API endpoint',
      ]);
    });

    it('rejects a body that does not match the operation schema with 422 and records it', async () => {
      await pushFeature();
      await expect(
        rawRequest('POST /repos/{owner}/{repo}/pulls', { ...repo, base: 'main', title: 7 }),
      ).rejects.toMatchObject({
        status: 422,
        response: { data: { message: 'Validation Failed' } },
      });
      expect(emulator.violations).toHaveLength(2);
      expect(emulator.violations.join('\n')).toMatch(/pulls\/create\): body \/head head wasn't/);
      expect(emulator.violations.join('\n')).toMatch(/\/title must be string/);
      // Nothing was created.
      expect(emulator.pulls).toEqual([]);
    });

    it('rejects invalid enum query values and bodies sent to body-less operations', async () => {
      await expect(
        rawRequest('GET /repos/{owner}/{repo}/pulls', { ...repo, state: 'merged' }),
      ).rejects.toMatchObject({ status: 422 });
      await expect(
        octokit.request('DELETE /repos/{owner}/{repo}/git/refs/{ref}', {
          ...repo,
          ref: 'heads/main',
          force: true,
        }),
      ).rejects.toMatchObject({ status: 422 });
      expect(emulator.violations).toHaveLength(2);
      expect(await revParse(bare, 'main')).toBeDefined();
    });

    it('records real endpoints it does not implement instead of pretending', async () => {
      await expect(octokit.repos.listDeployments(repo)).rejects.toMatchObject({
        status: 400,
        message: expect.stringContaining('not implemented by the GitHub emulator'),
      });
      expect(emulator.violations).toEqual([
        'GET /repos/acme/widgets/deployments (repos/list-deployments): not implemented by the emulator',
      ]);
    });

    it('requires an authorization header', async () => {
      const anonymous = client();
      await expect(anonymous.repos.get(repo)).rejects.toMatchObject({ status: 401 });
      const res = await fetch(`${emulator.url}/repos/acme/widgets`, {
        headers: { authorization: 'Bearer x' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.headers.get('x-ratelimit-remaining')).toBe('4999');
    });

    it('serves @actions/github clients pointed at it', async () => {
      const github = getOctokit('t', { baseUrl: emulator.url, log: quiet });
      const { data } = await github.rest.repos.get(repo);
      expect(data).toMatchObject({ full_name: 'acme/widgets', default_branch: 'main' });
      expect(emulator.requests.map((r) => [r.method, r.operationId, r.status])).toEqual([
        ['GET', 'repos/get', 200],
      ]);
    });

    it('returns 404 for other repositories', async () => {
      await expect(octokit.repos.get({ owner: 'acme', repo: 'gadgets' })).rejects.toMatchObject({
        status: 404,
      });
      expect(emulator.violations).toEqual([]);
    });

    it('sends responses that satisfy GitHub response schemas', async () => {
      await pushFeature();
      await octokit.issues.createLabel({ ...repo, name: 'promote', color: 'aabbcc' });
      const checks: Array<[string, { status: number; data: unknown }]> = [
        ['repos/get', await octokit.repos.get(repo)],
        [
          'pulls/create',
          await octokit.pulls.create({ ...repo, head: 'feature/change', base: 'main', title: 'x' }),
        ],
        ['pulls/get', await octokit.pulls.get({ ...repo, pull_number: 1 })],
        ['pulls/list', await octokit.pulls.list(repo)],
        ['pulls/list-files', await octokit.pulls.listFiles({ ...repo, pull_number: 1 })],
        [
          'issues/add-labels',
          await octokit.issues.addLabels({ ...repo, issue_number: 1, labels: ['promote'] }),
        ],
        [
          'issues/create-comment',
          await octokit.issues.createComment({ ...repo, issue_number: 1, body: 'x' }),
        ],
        ['issues/get', await octokit.issues.get({ ...repo, issue_number: 1 })],
        ['git/get-ref', await octokit.git.getRef({ ...repo, ref: 'heads/main' })],
        ['repos/get-branch', await octokit.repos.getBranch({ ...repo, branch: 'main' })],
        [
          'repos/get-collaborator-permission-level',
          await octokit.repos.getCollaboratorPermissionLevel({ ...repo, username: 'alice' }),
        ],
        ['repos/create-release', await octokit.repos.createRelease({ ...repo, tag_name: 'v1' })],
        [
          'pulls/merge',
          await octokit.pulls.merge({ ...repo, pull_number: 1, merge_method: 'squash' }),
        ],
      ];
      emulator.addReview(1, { user: 'alice', state: 'APPROVED' });
      checks.push([
        'pulls/list-reviews',
        await octokit.pulls.listReviews({ ...repo, pull_number: 1 }),
      ]);
      for (const [operationId, res] of checks) {
        expect(validateResponse(operationId, res.status, res.data), operationId).toEqual([]);
      }
      expect(emulator.violations).toEqual([]);
    });
  });

  describe('repository endpoints', () => {
    it('reports collaborator permissions from the users map and 404 for strangers', async () => {
      const alice = await octokit.repos.getCollaboratorPermissionLevel({
        ...repo,
        username: 'alice',
      });
      expect(alice.data).toMatchObject({
        permission: 'admin',
        role_name: 'admin',
        user: { login: 'alice' },
      });
      // GitHub's legacy `permission` folds triage into read; role_name keeps the real role.
      const bob = await octokit.repos.getCollaboratorPermissionLevel({ ...repo, username: 'bob' });
      expect(bob.data).toMatchObject({ permission: 'read', role_name: 'triage' });
      await expect(
        octokit.repos.getCollaboratorPermissionLevel({ ...repo, username: 'mallory' }),
      ).rejects.toMatchObject({ status: 404 });
      emulator.setPermission('mallory', 'write');
      const mallory = await octokit.repos.getCollaboratorPermissionLevel({
        ...repo,
        username: 'mallory',
      });
      expect(mallory.data.permission).toBe('write');
    });

    it('reads and deletes refs in the bare repository', async () => {
      const main = await revParse(bare, 'main');
      const ref = await octokit.git.getRef({ ...repo, ref: 'heads/main' });
      expect(ref.data).toMatchObject({
        ref: 'refs/heads/main',
        object: { sha: main, type: 'commit' },
      });
      expect((await octokit.repos.getBranch({ ...repo, branch: 'main' })).data.commit.sha).toBe(
        main,
      );
      await expect(octokit.git.getRef({ ...repo, ref: 'heads/nope' })).rejects.toMatchObject({
        status: 404,
      });

      await pushFeature();
      await openPull();
      await octokit.git.deleteRef({ ...repo, ref: 'heads/feature/change' });
      expect(await revParse(bare, 'feature/change')).toBeUndefined();
      // GitHub closes a pull request whose head branch is deleted.
      expect(emulator.pulls[0].state).toBe('closed');
      await expect(
        octokit.git.deleteRef({ ...repo, ref: 'heads/feature/change' }),
      ).rejects.toMatchObject({ status: 422 });
      expect(emulator.violations).toEqual([]);
    });

    it('creates releases with a real tag, finds them by tag and updates them', async () => {
      await expect(octokit.repos.getReleaseByTag({ ...repo, tag: 'v1.0.0' })).rejects.toMatchObject(
        {
          status: 404,
        },
      );
      const created = await octokit.repos.createRelease({
        ...repo,
        tag_name: 'v1.0.0',
        name: 'First',
        body: 'notes',
      });
      expect(created.status).toBe(201);
      expect(await revParse(bare, 'v1.0.0')).toBe(await revParse(bare, 'main'));
      const byTag = await octokit.repos.getReleaseByTag({ ...repo, tag: 'v1.0.0' });
      expect(byTag.data).toMatchObject({ id: created.data.id, name: 'First', draft: false });
      await octokit.repos.updateRelease({
        ...repo,
        release_id: created.data.id,
        body: 'better notes',
      });
      expect(emulator.releases[0].body).toBe('better notes');
      await expect(
        octokit.repos.createRelease({ ...repo, tag_name: 'v1.0.0' }),
      ).rejects.toMatchObject({ status: 422 });
    });

    it('records workflow dispatches and checks the workflow file and its inputs', async () => {
      const res = await octokit.actions.createWorkflowDispatch({
        ...repo,
        workflow_id: 'deploy.yml',
        ref: 'main',
        inputs: { version: '1.2.3' },
      });
      expect(res.status).toBe(204);
      expect(emulator.dispatches).toMatchObject([
        { workflow_id: 'deploy.yml', ref: 'main', inputs: { version: '1.2.3' } },
      ]);
      await expect(
        octokit.actions.createWorkflowDispatch({ ...repo, workflow_id: 'nope.yml', ref: 'main' }),
      ).rejects.toMatchObject({ status: 404 });
      await expect(
        octokit.actions.createWorkflowDispatch({
          ...repo,
          workflow_id: 'deploy.yml',
          ref: 'main',
          inputs: { version: '1', typo: 'x' },
        }),
      ).rejects.toMatchObject({ status: 422 });
      await expect(
        octokit.actions.createWorkflowDispatch({ ...repo, workflow_id: 'deploy.yml', ref: 'gone' }),
      ).rejects.toMatchObject({ status: 422 });
      expect(emulator.dispatches).toHaveLength(1);
    });

    it('exposes reviews added by tests and created through the API', async () => {
      await pushFeature();
      await openPull();
      emulator.addReview(1, { user: 'alice', state: 'APPROVED' });
      const reviews = await octokit.pulls.listReviews({ ...repo, pull_number: 1 });
      expect(reviews.data.map((r) => [r.user?.login, r.state])).toEqual([['alice', 'APPROVED']]);

      const asAlice = client('alice-token');
      await asAlice.pulls.createReview({
        ...repo,
        pull_number: 1,
        event: 'REQUEST_CHANGES',
        body: 'no',
      });
      expect(emulator.reviews[1].map((r) => r.state)).toEqual(['APPROVED', 'CHANGES_REQUESTED']);
      // The PR author (the default actor) cannot approve their own pull request.
      await expect(
        octokit.pulls.createReview({ ...repo, pull_number: 1, event: 'APPROVE' }),
      ).rejects.toMatchObject({ status: 422 });
    });
  });
});

describe('webhook payload helpers', () => {
  it('builds a pull_request_review.submitted payload from the recorded example', () => {
    const payload = pullRequestReviewPayload({
      ...repo,
      number: 7,
      headRef: 'promote/v2',
      headSha: 'a'.repeat(40),
      labels: ['promote'],
      reviewer: 'alice',
      reviewState: 'approved',
    });
    expect(payload.action).toBe('submitted');
    expect(payload.review.state).toBe('approved');
    expect(payload.review.user.login).toBe('alice');
    expect(payload.review.commit_id).toBe('a'.repeat(40));
    expect(payload.review.pull_request_url).toMatch(/\/repos\/acme\/widgets\/pulls\/7$/);
    expect(payload.pull_request).toMatchObject({
      number: 7,
      head: { ref: 'promote/v2', sha: 'a'.repeat(40), label: 'acme:promote/v2' },
      labels: [{ name: 'promote' }],
    });
    expect(payload.repository.full_name).toBe('acme/widgets');
    expect(payload.repository.owner.login).toBe('acme');
    // Untouched recorded fields survive.
    expect(payload.pull_request.base.ref).toBe('master');
    expect(payload.sender.login).toBe('Codertocat');
    expect(JSON.stringify(payload)).not.toContain('Codertocat/Hello-World');
  });

  it('returns independent copies', () => {
    const a = pullRequestReviewPayload({ reviewState: 'approved' });
    const b = pullRequestReviewPayload();
    expect(a.review.state).toBe('approved');
    expect(b.review.state).toBe('commented');
  });

  it('builds push and pull_request payloads', () => {
    const push = pushPayload({
      ...repo,
      ref: 'main',
      after: 'b'.repeat(40),
      defaultBranch: 'main',
    });
    expect(push).toMatchObject({
      ref: 'refs/heads/main',
      after: 'b'.repeat(40),
      head_commit: { id: 'b'.repeat(40) },
      repository: { full_name: 'acme/widgets', default_branch: 'main' },
    });
    const opened = pullRequestPayload('opened', { ...repo, number: 3, baseRef: 'main' });
    expect(opened).toMatchObject({ action: 'opened', number: 3, pull_request: { number: 3 } });
    expect(opened.pull_request.base.ref).toBe('main');
  });
});

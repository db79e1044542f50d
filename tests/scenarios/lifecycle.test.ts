import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runActionBundle } from '../actions/runner.js';
import { git } from '../harness/github/git.js';
import { commitFiles, push, checkout as switchBranch } from '../harness/github/git-fixture.js';
import {
  checkout,
  cli,
  commentsOn,
  configText,
  DIGEST,
  L2,
  MODEL,
  OWNER,
  openPromotionPr,
  originRegistry,
  productionOf,
  pull,
  pushConfig,
  REPO,
  readFileAt,
  recordRelease,
  releaseWorkflow,
  requestsFor,
  review,
  revParse,
  runnerEnv,
  SERVER_URL,
  type TrainWorkflowRun,
  trainWorkflow,
  useWorld,
  type World,
} from './support.js';

const SLOW = { timeout: 120_000 };

let world: World;
useWorld((w) => {
  world = w;
});

/** A push that beats production v1 and the promotion PR #1 it opens for v2. */
async function promotionPr(): Promise<{ run: TrainWorkflowRun; mainBefore: string }> {
  const run = await trainWorkflow(world, await pushConfig(world, L2.better));
  expect(run.promote?.exitCode, run.promote?.stdout).toBe(0);
  expect(run.promote!.outputs['pull-request-number']).toBe('1');
  return { run, mainBefore: (await revParse(world.bare, 'main'))! };
}

/** Nothing was merged or released: main did not move, no merge call succeeded, no release. */
async function expectNothingMerged(mainBefore: string, prState: 'open' | 'closed' = 'open') {
  expect(await revParse(world.bare, 'main')).toBe(mainBefore);
  expect(requestsFor(world, 'pulls/merge')).toEqual([]);
  expect(pull(world, 1)).toMatchObject({ state: prState, merged: false });
  expect(world.emulator.releases).toEqual([]);
}

const labelsOf = (text: string) =>
  Object.fromEntries(
    text.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('push → promotion PR → approval → merge → release', SLOW, () => {
  it('promotes, releases and records the release, idempotently', async () => {
    const { mainBefore } = await promotionPr();

    // promote.yml: an approval by a writer at the PR's head merges it.
    const approved = await review(world, 1);
    expect(approved.exitCode, approved.stdout + approved.stderr).toBe(0);
    const mergeSha = (await revParse(world.bare, 'main'))!;
    expect(mergeSha).not.toBe(mainBefore);
    expect(approved.outputs).toEqual({
      merged: 'true',
      model: MODEL,
      version: '2',
      kind: 'promotion',
      'merge-sha': mergeSha,
      // Merged with GITHUB_TOKEN: its push starts nothing, so promote.yml calls the release.
      'release-by-push': 'false',
    });
    // One squash commit on the old main: the production file and two new history events.
    expect(
      (await git(['--git-dir', world.bare, 'log', '-1', '--format=%P|%s', 'main'])).trim(),
    ).toBe(`${mainBefore}|Promote ${MODEL} v2 to production (#1)`);
    const changed = (
      await git(['--git-dir', world.bare, 'diff', '--name-status', mainBefore, mergeSha])
    )
      .trim()
      .split('\n')
      .map((l) =>
        l.replace(/history\/\d{8}T\d{9}Z-\d\d-([a-z-]+-v\d+)-[0-9a-f]{6}\.json/, 'history/$1'),
      );
    expect(changed).toEqual([
      `A\tregistry/${MODEL}/history/archived-v1`,
      `A\tregistry/${MODEL}/history/promoted-v2`,
      `M\tregistry/${MODEL}/production.json`,
    ]);
    const merged = await originRegistry(world);
    expect(merged.models[MODEL]!.versions.map((v) => [v.version, v.stage])).toEqual([
      [1, 'archived'],
      [2, 'production'],
    ]);
    expect(merged.models[MODEL]!.history.slice(-2).map((e) => [e.type, e.version])).toEqual([
      ['archived', 1],
      ['promoted', 2],
    ]);
    expect(pull(world, 1)).toMatchObject({ state: 'closed', merged: true });
    expect(commentsOn(world, 1)).toEqual([expect.stringMatching(/^✅ Merged as `[0-9a-f]{7}`/)]);
    expect(approved.summary).toContain('Merged: oncoclear v2 is in production');

    // release.yml: plan in a checkout of the merge commit.
    const { plan, record } = await releaseWorkflow(world, { version: '2', ref: mergeSha });
    expect(plan.exitCode, plan.stdout).toBe(0);
    expect(plan.outputs).toMatchObject({
      release: 'true',
      model: MODEL,
      version: '2',
      image: `ghcr.io/${OWNER}/${REPO}`,
      artifact: `${MODEL}/v2/model.json`,
      sha256: merged.models[MODEL]!.versions[1]!.sha256,
    });
    const tags = [`${MODEL}-v2`, 'production', `sha-${mergeSha.slice(0, 7)}`];
    expect(plan.outputs.tags!.split('\n')).toEqual(tags);
    expect(labelsOf(plan.outputs.labels!)).toMatchObject({
      'org.opencontainers.image.source': `${SERVER_URL}/${OWNER}/${REPO}`,
      'org.opencontainers.image.revision': mergeSha,
      'org.opencontainers.image.version': `${MODEL}-v2`,
      'org.opencontainers.image.licenses': 'MIT',
    });

    // record-release with the digest the (not emulated) docker build produced.
    expect(record?.exitCode, record?.stdout).toBe(0);
    const recordSha = (await revParse(world.bare, 'main'))!;
    expect(record!.outputs.commit).toBe(recordSha);
    const released = (await originRegistry(world)).models[MODEL]!.history.filter(
      (e) => e.type === 'released',
    );
    expect(released).toEqual([
      expect.objectContaining({ version: 2, image: { digest: DIGEST, tags } }),
    ]);
    expect(world.emulator.releases).toHaveLength(1);
    const release = world.emulator.releases[0]!;
    expect(release).toMatchObject({ tag_name: `${MODEL}-v2`, name: `${MODEL} v2`, draft: false });
    expect(release.body).toContain(`docker pull ghcr.io/${OWNER}/${REPO}@${DIGEST}`);
    expect(release.body).toContain(`| digest | \`${DIGEST}\` |`);
    expect(record!.outputs['release-url']).toBe(release.html_url);
    // The tag points at the commit that recorded the release.
    expect(await revParse(world.bare, `refs/tags/${MODEL}-v2`)).toBe(recordSha);

    // A re-run of the record job changes nothing and updates the release in place.
    const again = await recordRelease(world, {
      env: runnerEnv(world, {
        sha: mergeSha,
        runId: world.runId(),
        eventName: 'workflow_dispatch',
      }),
      version: '2',
      image: plan.outputs.image!,
      tags: plan.outputs.tags!,
      digest: DIGEST,
    });
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.outputs.commit).toBe('');
    expect(again.summary).toContain('Already recorded');
    expect(await revParse(world.bare, 'main')).toBe(recordSha);
    expect(
      (await originRegistry(world)).models[MODEL]!.history.filter((e) => e.type === 'released'),
    ).toHaveLength(1);
    expect(world.emulator.releases).toHaveLength(1);
    expect(requestsFor(world, 'repos/create-release')).toHaveLength(1);
    expect(requestsFor(world, 'repos/update-release')).toHaveLength(1);

    // The registry-only push of the record commit changes no production: release.yml's push
    // trigger plans nothing. The merge itself did change it.
    const planFor = async (ref: string, before: string) =>
      runActionBundle('release-plan', {
        workspace: await checkout(world, ref),
        env: runnerEnv(world, { sha: ref, runId: world.runId(), eventName: 'push' }),
        inputs: { before, 'default-branch': 'main' },
      });
    expect((await planFor(recordSha, mergeSha)).outputs.release).toBe('false');
    expect((await planFor(mergeSha, mainBefore)).outputs.release).toBe('true');
  });

  it('labels the merged commit when release.yml is called from the review event', async () => {
    await promotionPr();
    const headSha = pull(world, 1).head.sha;
    const approved = await review(world, 1);
    const mergeSha = approved.outputs['merge-sha']!;
    // workflow_call keeps the caller's GITHUB_SHA (the review event's commit); the plan job
    // checks out inputs.ref, the merge commit, and that is what is built.
    const { plan } = await releaseWorkflow(world, {
      version: '2',
      ref: mergeSha,
      callerSha: headSha,
      record: false,
    });
    expect(plan.exitCode, plan.stdout).toBe(0);
    expect(labelsOf(plan.outputs.labels!)['org.opencontainers.image.revision']).toBe(mergeSha);
    expect(plan.outputs.tags!.split('\n')).toContain(`sha-${mergeSha.slice(0, 7)}`);
  });
});

describe('an approval that must not merge', SLOW, () => {
  it('does nothing for a review that is not an approval', async () => {
    const { mainBefore } = await promotionPr();
    const commented = await review(world, 1, { state: 'commented' });
    expect(commented.exitCode, commented.stdout).toBe(0);
    expect(commented.outputs.merged).toBe('false');
    expect(commented.summary).toContain("Nothing to do: review is 'commented'");
    await expectNothingMerged(mainBefore);
    // Not a refusal: no comment noise on the PR for an ordinary review comment.
    expect(commentsOn(world, 1)).toEqual([]);
  });

  it('refuses an approval by a reviewer without write permission', async () => {
    const { mainBefore } = await promotionPr();
    const refused = await review(world, 1, { reviewer: 'reader' });
    expect(refused.exitCode).toBe(1);
    expect(refused.errors[0]).toContain('Promotion not merged: @reader has `read` permission');
    await expectNothingMerged(mainBefore);
    expect(commentsOn(world, 1)).toEqual([
      expect.stringContaining('@reader has `read` permission; approving a promotion needs write'),
    ]);
    expect(commentsOn(world, 1)[0]).toContain('Nothing was merged or released.');

    // A writer's approval afterwards merges it.
    const approved = await review(world, 1, { reviewer: 'owner' });
    expect(approved.outputs.merged).toBe('true');
  });

  it('refuses a promotion branch that carries a commit the bot did not make', async () => {
    const { mainBefore } = await promotionPr();
    const branch = `promote/${MODEL}/v2`;
    const work = await checkout(world, branch);
    await switchBranch(work, branch);
    const data = (await readFileAt(world.bare, branch, 'data/wdbc.csv'))!;
    const head = await commitFiles(
      work,
      { 'README.md': '# sneaky\n', 'data/wdbc.csv': data.replace(/\n[^\n]+\n$/, '\n') },
      'Also tweak the data',
    );
    await push(work, branch);

    const refused = await review(world, 1);
    expect(pull(world, 1).head.sha).toBe(head);
    expect(refused.exitCode).toBe(1);
    await expectNothingMerged(mainBefore);
    const [comment] = commentsOn(world, 1);
    expect(comment).toContain(
      `the head commit \`${head.slice(0, 7)}\` carries no record by @github-actions[bot] that it made it`,
    );
    // Still open: a person can close it or let the bot's next run replace the branch.
    expect(pull(world, 1).state).toBe('open');
  });

  it('takes the PR from the API, not from the event: an edited payload changes nothing', async () => {
    // The guard reads head, base and labels from the API at decision time, so a payload that
    // claims another head repository (or a re-delivered old event) cannot steer it.
    await promotionPr();
    const approved = await review(world, 1, {
      edit: (payload) => {
        (payload.pull_request.head as unknown as { repo: { full_name: string } }).repo.full_name =
          'someone/fork';
      },
    });
    expect(approved.outputs.merged).toBe('true');
  });

  it('refuses an approval of a commit that is no longer the PR head', async () => {
    const { run, mainBefore } = await promotionPr();
    const approvedAt = pull(world, 1).head.sha;
    // A re-run of the promote job force-pushes a fresh commit to the branch after the review.
    const rerun = await openPromotionPr(world, run);
    expect(rerun.outputs).toMatchObject({ 'pull-request-number': '1', created: 'false' });
    const refused = await review(world, 1, { commitId: approvedAt });
    expect(refused.exitCode).toBe(1);
    await expectNothingMerged(mainBefore);
    const now = pull(world, 1).head.sha;
    expect(now).not.toBe(approvedAt);
    expect(commentsOn(world, 1)).toEqual([
      expect.stringContaining(
        `the approval is for \`${approvedAt.slice(0, 7)}\` but the PR head is now \`${now.slice(0, 7)}\``,
      ),
    ]);
  });

  it('refreshes a PR GitHub reports as conflicting and asks for a fresh approval', async () => {
    const { mainBefore } = await promotionPr();
    const approvedAt = pull(world, 1).head.sha;
    world.emulator.setMergeable(1, false);
    const refreshed = await review(world, 1);
    expect(refreshed.exitCode, refreshed.stdout).toBe(0);
    expect(refreshed.outputs.merged).toBe('false');
    await expectNothingMerged(mainBefore);
    expect(pull(world, 1).head.sha).not.toBe(approvedAt);
    expect(commentsOn(world, 1)).toEqual([
      expect.stringContaining('### 🔄 Refreshed: approve again'),
    ]);
    expect(commentsOn(world, 1)[0]).toContain(
      'GitHub reports the branch as conflicting with `main`',
    );
  });

  /** Someone promotes a better model (l2 = 10) on main directly while the PR waits. */
  async function promoteOnMain(l2: number): Promise<string> {
    const work = await checkout(world, 'main');
    await switchBranch(work, 'main');
    writeFileSync(join(work, 'override.json'), configText(l2));
    const out = JSON.parse(
      await cli(work, [
        'pipeline',
        '--registry',
        'registry',
        '--config',
        'override.json',
        '--json',
      ]),
    );
    expect(out).toMatchObject({ version: 3, promoted: true });
    await commitFiles(work, { 'override.json': null }, 'Promote v3 by hand');
    await push(work, 'main');
    return (await revParse(world.bare, 'main'))!;
  }

  it('closes the PR with the evidence when production moved to a better model meanwhile', async () => {
    await promotionPr();
    const mainNow = await promoteOnMain(L2.best);
    const refused = await review(world, 1);
    expect(refused.exitCode).toBe(1);
    await expectNothingMerged(mainNow, 'closed');
    expect(productionOf(await originRegistry(world))).toBe(3);
    const [comment] = commentsOn(world, 1);
    expect(comment).toContain('v2 does not pass the promotion policy against production v3');
    expect(comment).toContain('⛔ **Do not promote**');
    expect(comment).toMatch(/accuracy 0\.9474 vs production v3 0\.9737/);
    expect(comment).toContain('this PR is closed');
  });

  it('refreshes a PR whose candidate still wins after production moved, then merges it', async () => {
    await promotionPr();
    // Production moves to a weaker v3 on main (registered and promoted by hand).
    const work = await checkout(world, 'main');
    await switchBranch(work, 'main');
    writeFileSync(join(work, 'weak.json'), configText(L2.weak));
    await cli(work, ['train', '--config', 'weak.json', '--out', 'weak-out']);
    await cli(work, [
      'register',
      '--model',
      'weak-out/model.json',
      '--registry',
      'registry',
      '--reason',
      'by hand',
    ]);
    await cli(work, ['registry', 'promote', '3', '--registry', 'registry', '--reason', 'by hand']);
    await commitFiles(
      work,
      { 'weak.json': null, 'weak-out/model.json': null, 'weak-out/model.json.sha256': null },
      'Promote v3 by hand',
    );
    await push(work, 'main');
    const mainNow = (await revParse(world.bare, 'main'))!;
    const approvedAt = pull(world, 1).head.sha;

    const refreshed = await review(world, 1);
    expect(refreshed.exitCode, refreshed.stdout + refreshed.stderr).toBe(0);
    await expectNothingMerged(mainNow);
    const pr = pull(world, 1);
    expect(pr.head.sha).not.toBe(approvedAt);
    expect(pr.body).toContain('vs production v3');
    const [comment] = commentsOn(world, 1);
    expect(comment).toContain('production is now v3, but this PR moved it from v1');
    expect(comment).toContain('Review the new commit and approve again');
    // The old approval no longer counts; a fresh one merges the re-applied move.
    const approved = await review(world, 1);
    expect(approved.outputs.merged, approved.stdout + approved.stderr).toBe('true');
    const registry = await originRegistry(world);
    expect(productionOf(registry)).toBe(2);
    expect(registry.models[MODEL]!.history.at(-1)).toMatchObject({
      type: 'promoted',
      version: 2,
      from: 3,
    });
  });
});

describe('rollback (rollback.yml → promote.yml)', SLOW, () => {
  it('opens a rollback PR that an approval merges and releases', async () => {
    await promotionPr();
    expect((await review(world, 1)).outputs.merged).toBe('true');
    const afterPromotion = (await revParse(world.bare, 'main'))!;

    const reason = 'v2 misses malignant cases in the field';
    const opened = await runActionBundle('open-rollback-pr', {
      workspace: await checkout(world, 'main'),
      env: runnerEnv(world, {
        sha: afterPromotion,
        runId: world.runId(),
        eventName: 'workflow_dispatch',
      }),
      inputs: { version: '1', reason },
    });
    expect(opened.exitCode, opened.stdout + opened.stderr).toBe(0);
    expect(opened.outputs).toMatchObject({ 'pull-request-number': '2', version: '1' });
    const pr = pull(world, 2);
    expect(pr).toMatchObject({ state: 'open' });
    expect(pr.head.ref).toMatch(new RegExp(`^rollback/${MODEL}/v1-\\d+$`));
    expect(pr.body).toContain('v1 was in production from');
    expect(pr.labels.map((l) => l.name)).toEqual(['model-promotion']);
    expect(pr.body).toContain(`Reason: ${reason}`);
    const files = await world.gh.pulls.listFiles({ owner: OWNER, repo: REPO, pull_number: 2 });
    expect(
      files.data.map((f) =>
        f.filename.replace(/history\/.*-(archived|rolled-back)-.*/, 'history/$1'),
      ),
    ).toEqual([
      `registry/${MODEL}/history/archived`,
      `registry/${MODEL}/history/rolled-back`,
      `registry/${MODEL}/production.json`,
    ]);
    expect(await revParse(world.bare, 'main')).toBe(afterPromotion);

    const approved = await review(world, 2);
    expect(approved.exitCode, approved.stdout + approved.stderr).toBe(0);
    expect(approved.outputs).toMatchObject({ merged: 'true', version: '1', kind: 'rollback' });
    const registry = await originRegistry(world);
    expect(productionOf(registry)).toBe(1);
    expect(registry.models[MODEL]!.history.at(-1)).toMatchObject({
      type: 'rolled_back',
      version: 1,
      from: 2,
      reason,
    });

    const { plan, record } = await releaseWorkflow(world, {
      version: '1',
      ref: approved.outputs['merge-sha']!,
    });
    expect(plan.outputs.tags!.split('\n')[0]).toBe(`${MODEL}-v1`);
    expect(record?.exitCode, record?.stdout).toBe(0);
    expect(world.emulator.releases.map((r) => r.tag_name)).toEqual([`${MODEL}-v1`]);
  });
});

/**
 * The promotion guard against a writer who wants a model in production without a second person's
 * review: each test is one way around it that worked before, run with the real bundles on the
 * emulator and a bare git origin.
 */
import { describe, expect, it } from 'vitest';
import { runActionBundle } from '../actions/runner.js';
import { git } from '../harness/github/git.js';
import { commitFiles, push, checkout as switchBranch } from '../harness/github/git-fixture.js';
import {
  checkout,
  commentsOn,
  DIGEST,
  L2,
  MODEL,
  OWNER,
  originRegistry,
  productionOf,
  pull,
  pushConfig,
  REPO,
  requestsFor,
  review,
  revParse,
  runnerEnv,
  trainWorkflow,
  useWorld,
  type World,
} from './support.js';

const SLOW = { timeout: 120_000 };
let world: World;
useWorld((w) => {
  world = w;
});

async function promotionPr(): Promise<string> {
  const run = await trainWorkflow(world, await pushConfig(world, L2.better));
  expect(run.promote?.exitCode, run.promote?.stdout).toBe(0);
  return (await revParse(world.bare, 'main'))!;
}

async function expectNothingMerged(mainBefore: string) {
  expect(await revParse(world.bare, 'main')).toBe(mainBefore);
  expect(requestsFor(world, 'pulls/merge')).toEqual([]);
  expect(pull(world, 1)).toMatchObject({ merged: false });
}

describe('the promotion guard', SLOW, () => {
  it('refuses a promotion PR moved onto a branch other than the default branch', async () => {
    const mainBefore = await promotionPr();
    // A writer pushes unreviewed service code to a branch and retargets the bot's PR onto it.
    const work = await checkout(world, 'main');
    await switchBranch(work, 'unreviewed', true);
    await commitFiles(work, { 'service/backdoor.ts': 'export {};\n' }, 'Unreviewed code');
    await push(work, 'unreviewed');
    await world.gh.pulls.update({ owner: OWNER, repo: REPO, pull_number: 1, base: 'unreviewed' });

    const refused = await review(world, 1);
    expect(refused.exitCode).toBe(1);
    await expectNothingMerged(mainBefore);
    expect(commentsOn(world, 1)).toEqual([
      expect.stringContaining(
        'its base is `unreviewed`, not the default branch `main`; production changes only on `main`',
      ),
    ]);
  });

  it("refuses while another writer's latest review requests changes", async () => {
    const mainBefore = await promotionPr();
    world.emulator.addReview(1, { user: 'owner', state: 'CHANGES_REQUESTED', body: 'not yet' });
    const refused = await review(world, 1, { reviewer: 'maintainer' });
    expect(refused.exitCode).toBe(1);
    await expectNothingMerged(mainBefore);
    expect(commentsOn(world, 1)[0]).toContain('@owner requested changes');
    // The owner approves in turn: now nothing stands in the way.
    const approved = await review(world, 1, { reviewer: 'owner' });
    expect(approved.outputs.merged, approved.stdout + approved.stderr).toBe('true');
  });

  it('refuses a rollback to a version that was never in production', async () => {
    await promotionPr(); // v2 is registered (staging), never in production
    const opened = await runActionBundle('open-rollback-pr', {
      workspace: await checkout(world, 'main'),
      env: runnerEnv(world, {
        sha: (await revParse(world.bare, 'main'))!,
        runId: world.runId(),
        eventName: 'workflow_dispatch',
      }),
      inputs: { version: '2', reason: 'I want v2 in production without review' },
    });
    expect(opened.exitCode).toBe(1);
    expect(opened.errors[0]).toContain(
      "Model 'oncoclear' v2 was never in production; a rollback may only return to a version that was. Promote it instead (oncoclear registry promote 2).",
    );
    expect(world.emulator.pulls.filter((p) => p.head.ref.startsWith('rollback/'))).toEqual([]);
  });

  it('registers nothing from a manual Train run on a branch other than main', async () => {
    const pushed = await pushConfig(world, L2.better);
    const mainBefore = (await revParse(world.bare, 'main'))!;
    const env = {
      ...runnerEnv(world, {
        sha: pushed.after,
        runId: world.runId(),
        eventName: 'workflow_dispatch',
      }),
      GITHUB_REF: 'refs/heads/experiment',
      GITHUB_REF_NAME: 'experiment',
    };
    const workspace = await checkout(world, pushed.after);
    const train = await runActionBundle('train', {
      workspace,
      env,
      event: pushed.event,
      inputs: { 'artifact-name': 'candidate-model', upload: 'false' },
    });
    expect(train.exitCode, train.stdout).toBe(0);
    const registered = await runActionBundle('register', {
      workspace: await checkout(world, pushed.after),
      env,
      event: pushed.event,
      inputs: { artifact: `${workspace}/${train.outputs.artifact}` },
    });
    expect(registered.exitCode).toBe(1);
    expect(registered.errors[0]).toBe(
      'This run is on refs/heads/experiment, not on the default branch main; only runs on main register models. Nothing was registered.',
    );
    expect(await revParse(world.bare, 'main')).toBe(mainBefore);
  });

  it('builds no production image from a commit off the default branch, and records nothing', async () => {
    await promotionPr();
    expect((await review(world, 1)).outputs.merged).toBe('true');
    const mainNow = (await revParse(world.bare, 'main'))!;
    const work = await checkout(world, 'main');
    await switchBranch(work, 'side', true);
    const side = await commitFiles(work, { 'service/extra.ts': 'export {};\n' }, 'Unreviewed');
    await push(work, 'side');
    const env = runnerEnv(world, {
      sha: side,
      runId: world.runId(),
      eventName: 'workflow_dispatch',
    });

    const plan = await runActionBundle('release-plan', {
      workspace: await checkout(world, side),
      env,
      inputs: { version: '2', 'default-branch': 'main' },
    });
    expect(plan.exitCode).toBe(1);
    expect(plan.errors[0]).toContain(
      `Commit ${side.slice(0, 7)} is not on main (origin/main is ${mainNow.slice(0, 7)}); a production image is built only from the default branch's history.`,
    );

    // record-release for a version that is not production at the released commit writes nothing.
    const record = await runActionBundle('record-release', {
      workspace: await checkout(world, 'main'),
      env,
      inputs: {
        version: '1',
        digest: DIGEST,
        image: `ghcr.io/${OWNER}/${REPO}`,
        tags: `${MODEL}-v1\nproduction`,
      },
    });
    expect(record.exitCode).toBe(1);
    expect(record.errors[0]).toContain(
      `Refusing to record a release of ${MODEL} v1: at the released commit ${mainNow.slice(0, 7)} production is v2. Nothing was written.`,
    );
    expect(await revParse(world.bare, 'main')).toBe(mainNow);
    expect(world.emulator.releases).toEqual([]);
    expect(productionOf(await originRegistry(world))).toBe(2);
    expect(await git(['--git-dir', world.bare, 'tag', '--list'])).toBe('');
  });
});

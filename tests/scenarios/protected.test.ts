/**
 * A busy repository with a protected `main`: pushes go over the emulator's real git server, where
 * GITHUB_TOKEN cannot bypass protection, merges need the required check, and stale approvals are
 * dismissed, as on GitHub.
 */
import { describe, expect, it } from 'vitest';
import { runActionBundle } from '../actions/runner.js';
import {
  APP_LOGIN,
  APP_TOKEN,
  checkout,
  commentsOn,
  L2,
  openPromotionPr,
  originRegistry,
  productionOf,
  pull,
  pushConfig,
  review,
  revParse,
  runnerEnv,
  trainWorkflow,
  useWorld,
  type World,
} from './support.js';

const SLOW = { timeout: 120_000 };
let world: World;
// Pushes go over the emulator's git server, where branch protection applies.
useWorld(
  (w) => {
    world = w;
  },
  { overHttp: true },
);

describe('a protected main', SLOW, () => {
  it('declines a GITHUB_TOKEN registration with one line naming the setting; the App token works', async () => {
    world.emulator.protectBranch('main', { restrictPushes: { bypass: [APP_LOGIN] } });
    const pushed = await pushConfig(world, L2.better); // a person's push (admin, file path)
    const mainBefore = (await revParse(world.bare, 'main'))!;
    const env = runnerEnv(world, { sha: pushed.after, runId: world.runId(), eventName: 'push' });
    const trainWs = await checkout(world, pushed.after);
    const train = await runActionBundle('train', {
      workspace: trainWs,
      env,
      event: pushed.event,
      inputs: { upload: 'false' },
    });
    expect(train.exitCode, train.stdout).toBe(0);
    const artifact = `${trainWs}/${train.outputs.artifact}`;

    const declined = await runActionBundle('register', {
      workspace: await checkout(world, pushed.after),
      env,
      event: pushed.event,
      inputs: { artifact },
    });
    expect(declined.exitCode).toBe(1);
    expect(declined.errors).toEqual([
      expect.stringMatching(
        /^main is protected and GitHub declined the push \(protected branch hook declined\): add the bot \(the GitHub App\) to the ruleset's bypass list/,
      ),
    ]);
    expect(await revParse(world.bare, 'main')).toBe(mainBefore);

    const registered = await runActionBundle('register', {
      workspace: await checkout(world, pushed.after),
      env,
      event: pushed.event,
      inputs: { artifact, token: APP_TOKEN },
    });
    expect(registered.exitCode, registered.stdout + registered.stderr).toBe(0);
    expect(registered.outputs.version).toBe('2');
    expect(world.emulator.pushes.at(-1)).toMatchObject({
      ref: 'refs/heads/main',
      login: APP_LOGIN,
    });
  });

  it('comments what blocks the merge until the required check passes, then merges', async () => {
    const run = await trainWorkflow(world, await pushConfig(world, L2.better), {
      promote: false,
    });
    world.emulator.protectBranch('main', {
      restrictPushes: { bypass: [APP_LOGIN] },
      requiredStatusChecks: { contexts: ['test'] },
    });
    const opened = await openPromotionPr(world, run, APP_TOKEN);
    expect(opened.exitCode, opened.stdout + opened.stderr).toBe(0);
    const mainBefore = (await revParse(world.bare, 'main'))!;

    // No CI has reported on the head yet: GitHub reports the PR as blocked.
    const blocked = await review(world, 1, { token: APP_TOKEN });
    expect(blocked.exitCode).toBe(1);
    expect(await revParse(world.bare, 'main')).toBe(mainBefore);
    expect(pull(world, 1).state).toBe('open');
    expect(commentsOn(world, 1)).toEqual([
      expect.stringContaining('GitHub reports the merge as blocked by branch protection'),
    ]);

    world.emulator.setCheck(pull(world, 1).head.sha, 'test', 'success');
    const merged = await review(world, 1, { token: APP_TOKEN });
    expect(merged.outputs.merged, merged.stdout + merged.stderr).toBe('true');
    expect(productionOf(await originRegistry(world))).toBe(2);
  });

  it('does not count an approval that a later push dismissed', async () => {
    const run = await trainWorkflow(world, await pushConfig(world, L2.better), {
      promote: false,
    });
    world.emulator.protectBranch('main', {
      restrictPushes: { bypass: [APP_LOGIN] },
      dismissStaleReviews: true,
    });
    expect((await openPromotionPr(world, run, APP_TOKEN)).exitCode).toBe(0);
    const first = pull(world, 1).head.sha;
    // An approval, then the bot's re-run force-pushes a fresh commit: GitHub dismisses it.
    world.emulator.addReview(1, { user: 'owner', state: 'APPROVED', commit_id: first });
    expect((await openPromotionPr(world, run, APP_TOKEN)).exitCode).toBe(0);
    expect(pull(world, 1).head.sha).not.toBe(first);
    const refused = await review(world, 1, {
      reviewer: 'owner',
      commitId: first,
      token: APP_TOKEN,
    });
    expect(refused.exitCode).toBe(1);
    expect(commentsOn(world, 1)[0]).toMatch(
      /approval is no longer their latest review|approval is for/,
    );
    expect(productionOf(await originRegistry(world))).toBe(1);
  });
});

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runActionBundle } from '../actions/runner.js';
import { git } from '../harness/github/git.js';
import {
  APP_LOGIN,
  APP_TOKEN,
  checkout,
  commentsOn,
  configText,
  L2,
  MODEL,
  OWNER,
  openPromotionPr,
  originRegistry,
  productionOf,
  pull,
  pushConfig,
  pushToMain,
  REPO,
  readFileAt,
  revParse,
  runnerEnv,
  SERVER_URL,
  trainWorkflow,
  useWorld,
  type World,
} from './support.js';

// Each job spawns a real action bundle (node + git) on a busy two-core machine.
const SLOW = { timeout: 120_000 };

let world: World;
useWorld((w) => {
  world = w;
});

describe('push → train → register → promotion PR (train.yml)', SLOW, () => {
  it('opens a registry-only promotion PR with the evidence when the push beats production', async () => {
    const pushed = await pushConfig(world, L2.better);
    const run = await trainWorkflow(world, pushed);

    expect(run.train.outputs.promote).toBe('true');
    expect(run.train.outputs['production-version']).toBe('1');
    expect(run.train.outputs.decision).toMatch(/^Promote: .*vs production v1/);
    expect(run.register!.outputs).toMatchObject({ version: '2', model: MODEL, attempts: '1' });
    expect(run.promote!.exitCode, run.promote!.stdout).toBe(0);
    expect(run.promote!.outputs).toMatchObject({
      'pull-request-number': '1',
      branch: `promote/${MODEL}/v2`,
      created: 'true',
      superseded: '',
    });

    // Origin main holds v2 in staging (the register job); the PR moves it to production.
    const main = await originRegistry(world);
    expect(main.models[MODEL]!.versions.map((v) => [v.version, v.stage])).toEqual([
      [1, 'production'],
      [2, 'staging'],
    ]);
    const head = await originRegistry(world, `promote/${MODEL}/v2`);
    expect(productionOf(head)).toBe(2);

    const pr = pull(world, 1);
    expect(pr.state).toBe('open');
    expect(pr.head.ref).toBe(`promote/${MODEL}/v2`);
    expect(pr.base.ref).toBe('main');
    expect(pr.labels.map((l) => l.name)).toEqual(['model-promotion']);
    expect(pr.user.login).toBe('github-actions[bot]');
    expect(pr.title).toMatch(
      /^Promote oncoclear v2 to production \(accuracy 0\.9474 vs v1 0\.9211\)$/,
    );
    const body = pr.body ?? '';
    const runUrl = `${SERVER_URL}/${OWNER}/${REPO}/actions/runs/${run.runId}`;
    expect(body).toContain('<!-- oncoclear:promotion model=oncoclear version=2 -->');
    // The comparison table, on the same rows.
    expect(body).toContain(
      '| metric (same test rows, 95% CI) | candidate | production v1 | candidate vs production |',
    );
    expect(body).toMatch(
      /\| accuracy ↑ \| 0\.9474 \(0\.\d{4}–0\.\d{4}\) \| 0\.9211 \(0\.\d{4}–0\.\d{4}\) \| 0\.0263 better \|/,
    );
    expect(body).toMatch(
      /\| log loss ↓ \| .* \| .* \| 0\.\d{4} (better|worse) \(lower is better\) \|/,
    );
    // The decision and its reasons.
    expect(body).toContain(
      '✅ **Promote**: accuracy 0.9474 vs production v1 0.9211 (0.0263 better).',
    );
    expect(body).toMatch(/- ✅ `minimum`: /);
    expect(body).toContain(
      '- ✅ `beats-production`: accuracy 0.9474 vs production v1 0.9211 on the same 114 rows',
    );
    // Lineage: the pushed commit, the data and the artifact.
    expect(body).toContain(`| commit | \`${pushed.after}\` |`);
    expect(body).toContain('| data (sha256) | `sha256:');
    expect(body).toContain('`registry/oncoclear/v2/model.json`');
    expect(body).toContain(`| training run | ${runUrl} |`);
    expect(body).toContain(`_Opened by [this run](${runUrl})._`);

    // The diff GitHub shows: the production file and two new history events, nothing else.
    const files = await world.gh.pulls.listFiles({ owner: OWNER, repo: REPO, pull_number: 1 });
    expect(
      files.data.map(
        (f) =>
          `${f.status} ${f.filename.replace(/-[0-9a-f]{6}\.json$/, '').replace(/history\/\d{8}T\d{9}Z-\d\d-/, 'history/')}`,
      ),
    ).toEqual([
      `added registry/${MODEL}/history/archived-v1`,
      `added registry/${MODEL}/history/promoted-v2`,
      `modified registry/${MODEL}/production.json`,
    ]);

    // Opened with GITHUB_TOKEN: the summary says that no CI runs on it.
    expect(run.promote!.summary).toContain('made with GITHUB_TOKEN, so GitHub starts no workflows');
    expect(body).toContain('made with GITHUB_TOKEN');
  });

  it('says why in the train summary and opens no PR when the push does not beat production', async () => {
    // maxIterations 200 instead of 100: the solver had converged anyway, so the same model.
    const config = JSON.parse(
      (await readFileAt(world.bare, 'main', 'oncoclear.config.json')) ?? '{}',
    );
    config.training.maxIterations = 200;
    const pushed = await pushToMain(
      world,
      { 'oncoclear.config.json': `${JSON.stringify(config, null, 2)}\n` },
      'More solver iterations',
    );
    const run = await trainWorkflow(world, pushed);

    expect(run.train.outputs.promote).toBe('false');
    expect(run.train.outputs.decision).toContain('ties with production v1');
    expect(run.train.summary).toContain('⛔ **Do not promote**');
    expect(run.train.summary).toContain('ties with production v1');
    expect(run.train.summary).toContain(
      '| metric (same test rows, 95% CI) | candidate | production v1 | candidate vs production |',
    );
    // The workflow's `if` skips the promote job; the candidate is still registered in staging.
    expect(run.promote).toBeUndefined();
    expect(run.register!.outputs.version).toBe('2');
    expect(productionOf(await originRegistry(world))).toBe(1);
    expect(world.emulator.pulls).toEqual([]);
  });

  it('refuses to open a promotion PR from a comparison that does not recommend one', async () => {
    const pushed = await pushConfig(world, L2.weak * 100); // accuracy ≈ 0.65 < minimum 0.8
    const run = await trainWorkflow(world, pushed);
    expect(run.train.outputs.promote).toBe('false');
    expect(run.train.summary).toMatch(/- ❌ `minimum`: /);
    // Someone wires the promote job without its `if`: the action still refuses.
    const workspace = await checkout(world, pushed.after);
    const forced = await runActionBundle('open-promotion-pr', {
      workspace,
      env: runnerEnv(world, { sha: pushed.after, runId: run.runId, eventName: 'push' }),
      event: pushed.event,
      inputs: {
        version: run.register!.outputs.version!,
        comparison: join(run.candidate, 'comparison.json'),
      },
    });
    expect(forced.exitCode).toBe(1);
    expect(forced.errors[0]).toContain('does not recommend promotion');
    expect(world.emulator.pulls).toEqual([]);
    expect(await revParse(world.bare, `promote/${MODEL}/v2`)).toBeUndefined();
  });

  it('supersedes the open promotion PR when a second, better push arrives', async () => {
    const first = await trainWorkflow(world, await pushConfig(world, L2.better));
    expect(first.promote!.outputs['pull-request-number']).toBe('1');

    const second = await trainWorkflow(world, await pushConfig(world, L2.best), {
      token: APP_TOKEN,
    });
    expect(second.train.outputs.decision).toContain('vs production v1');
    expect(second.register!.outputs.version).toBe('3');
    expect(second.promote!.exitCode, second.promote!.stdout).toBe(0);
    expect(second.promote!.outputs).toMatchObject({
      'pull-request-number': '2',
      branch: `promote/${MODEL}/v3`,
      created: 'true',
      superseded: '1',
    });

    const old = pull(world, 1);
    const next = pull(world, 2);
    expect(old.state).toBe('closed');
    expect(old.merged).toBe(false);
    expect(commentsOn(world, 1)).toEqual([expect.stringContaining('Superseded by #2')]);
    expect(commentsOn(world, 1)[0]).toContain(`promote/${MODEL}/v3`);
    expect(next.state).toBe('open');
    expect(next.labels.map((l) => l.name)).toEqual(['model-promotion']);
    // Opened with the App token: no GITHUB_TOKEN caveat, and the PR is the App's.
    expect(next.user.login).toBe(APP_LOGIN);
    expect(second.promote!.summary).toContain('Superseded and closed: #1.');
    expect(second.promote!.summary).not.toContain('GITHUB_TOKEN');
    expect(next.body).not.toContain('GITHUB_TOKEN');
    // Its branch was left in place, and main was never touched by either PR.
    expect(await revParse(world.bare, `promote/${MODEL}/v2`)).toBeDefined();
    expect(productionOf(await originRegistry(world))).toBe(1);
  });

  it('does not close a newer promotion PR when an older run opens its PR late', async () => {
    // Run A registers v2; run B registers v3 and opens its PR first; then A's promote job runs.
    const runA = await trainWorkflow(world, await pushConfig(world, L2.better), {
      promote: false,
    });
    const runB = await trainWorkflow(world, await pushConfig(world, L2.best));
    expect([runA.register!.outputs.version, runB.register!.outputs.version]).toEqual(['2', '3']);
    expect(runB.promote!.outputs['pull-request-number']).toBe('1');
    const late = await openPromotionPr(world, runA);
    expect(late.exitCode, late.stdout).toBe(0);
    expect(late.outputs).toMatchObject({ 'pull-request-number': '2', superseded: '' });
    expect(pull(world, 1).state).toBe('open');
    expect(commentsOn(world, 1)).toEqual([]);
  });

  it('keeps both versions when two registrations race for the same origin', async () => {
    const pushed = await pushConfig(world, L2.better);
    const runId = world.runId();
    const env = runnerEnv(world, { sha: pushed.after, runId, eventName: 'push' });
    // Two candidates from the same checkout: the pushed config and a stronger one.
    const trainWs = await checkout(world, pushed.after);
    const a = await runActionBundle('train', {
      workspace: trainWs,
      env,
      inputs: { 'out-dir': 'out/a', upload: 'false' },
    });
    writeFileSync(join(trainWs, 'stronger.json'), configText(L2.best));
    const b = await runActionBundle('train', {
      workspace: trainWs,
      env,
      inputs: { 'out-dir': 'out/b', upload: 'false', config: 'stronger.json' },
    });
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const artifacts = [join(trainWs, a.outputs.artifact!), join(trainWs, b.outputs.artifact!)];

    const mainBefore = (await revParse(world.bare, 'main'))!;
    const [wsA, wsB] = await Promise.all([checkout(world), checkout(world)]);
    const [ra, rb] = await Promise.all(
      [wsA, wsB].map((workspace, i) =>
        runActionBundle('register', {
          workspace,
          env,
          event: pushed.event,
          inputs: { artifact: artifacts[i]! },
        }),
      ),
    );
    expect(ra!.exitCode, ra!.stdout + ra!.stderr).toBe(0);
    expect(rb!.exitCode, rb!.stdout + rb!.stderr).toBe(0);
    const versions = [Number(ra!.outputs.version), Number(rb!.outputs.version)];
    expect([...versions].sort()).toEqual([2, 3]);
    const attempts = [Number(ra!.outputs.attempts), Number(rb!.outputs.attempts)];
    // Either they collided and the loser re-applied on top of the winner's push, or one ran
    // after the other; either way each reported commit is on origin main, one on the other.
    if (Math.max(...attempts) > 1) {
      const retried = attempts[0]! > 1 ? ra! : rb!;
      expect(retried.warnings.join('\n')).toContain('was rejected (someone pushed first)');
    }
    const commits = await git([
      '--git-dir',
      world.bare,
      'log',
      '--format=%H',
      `${mainBefore}..main`,
    ]);
    expect(commits.trim().split('\n').sort()).toEqual(
      [ra!.outputs.commit, rb!.outputs.commit].sort(),
    );

    // Origin main: two registry commits on top of the push, both versions, both artifacts
    // (each the bytes its register job was given), both history events.
    const log = await git(['--git-dir', world.bare, 'log', '--format=%s', `${mainBefore}..main`]);
    expect(log.trim().split('\n').sort()).toEqual([
      `registry: register ${MODEL} v2`,
      `registry: register ${MODEL} v3`,
    ]);
    const registry = await originRegistry(world);
    const entry = registry.models[MODEL]!;
    expect(entry.versions.map((v) => [v.version, v.stage])).toEqual([
      [1, 'production'],
      [2, 'staging'],
      [3, 'staging'],
    ]);
    for (const [i, run] of [ra!, rb!].entries()) {
      const version = entry.versions.find((v) => v.version === versions[i])!;
      expect(version.sha256).toBe(run.outputs.sha256);
      const stored = await readFileAt(world.bare, 'main', `registry/${version.artifact}`);
      expect(stored).toBe(readFileSync(artifacts[i]!, 'utf8'));
    }
    expect(entry.history.filter((e) => e.type === 'registered').map((e) => e.version)).toEqual([
      1, 2, 3,
    ]);
    expect(existsSync(join(wsA, 'registry', 'oncoclear', 'v4'))).toBe(false);
  });
});

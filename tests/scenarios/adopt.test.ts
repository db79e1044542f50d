/**
 * Issue 11, end to end: a fresh repository holding only a CSV of another shape adopts OncoClear
 * from its npm package, its workflows call OncoClear's reusable ones at a release tag, and the
 * whole lifecycle runs on the action bundles that tag pins (never on this working tree's).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ONCOCLEAR_ACTIONS } from '../../scripts/lint-workflows.js';
import { git } from '../harness/github/git.js';
import {
  cleanupFixtures,
  cloneRepo,
  commitFiles,
  createBareRepo,
  push,
  revParse,
} from '../harness/github/git-fixture.js';
import type { InstalledPackage } from '../support/pack.js';
import { packAndInstall } from '../support/pack.js';
import {
  adoptionTemp,
  CUT_RELEASE,
  cleanupAdoption,
  publishUpstream,
  type Resolution,
  resolveCallerWorkflows,
  triageCsv,
  type Upstream,
} from './adopt-support.js';
import {
  checkout,
  cleanupScenarios,
  createWorld,
  originRegistry,
  type Push,
  productionOf,
  pushToMain,
  releaseWorkflow,
  review,
  runAction,
  runnerEnv,
  type TrainWorkflowRun,
  trainWorkflow,
  type World,
} from './support.js';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
const TAG = `v${VERSION}`;
const UPSTREAM = 'octo/oncoclear';
const ADOPTER = { owner: 'acme', repo: 'triage' };
const MODEL_NAME = 'triage';
const DATA = 'data/triage.csv';

let installed: InstalledPackage;
let upstream: Upstream;
let world: World;
let resolution: Resolution;
/** The serving base of the released tool version, as its release workflow names it. */
let baseImage: string;
/** Each action a job ran, and the directory its bundle came from. */
const ran: { name: string; dir: string }[] = [];

/** The installed CLI, as the adopter runs it: no source tree beside it. */
async function oncoclear(args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await exec(installed.bin, args, { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A Dockerfile FROM the base with no RUN, and the production model: kilobytes, nothing else. */
function expectThinModelImage(context: string, base: string): void {
  const dockerfile = readFileSync(join(context, 'Dockerfile'), 'utf8');
  expect(dockerfile).toContain(`ARG BASE_IMAGE=${base}\n`);
  expect(dockerfile).toMatch(/^FROM \$\{BASE_IMAGE\}$/m);
  expect(dockerfile).not.toMatch(/^RUN\b/m);
  expect(readdirSync(context).sort()).toEqual(['Dockerfile', 'model']);
  const modelFiles = readdirSync(join(context, 'model')).sort();
  expect(modelFiles).toEqual(['model-info.json', 'model.json', 'model.json.sha256']);
  const bytes = modelFiles.reduce((n, f) => n + statSync(join(context, 'model', f)).size, 0);
  // A logistic model on 4 features: kilobytes, where the base's service layer is megabytes.
  expect(bytes).toBeLessThan(200_000);
  expect(JSON.parse(readFileSync(join(context, 'model/model-info.json'), 'utf8'))).toMatchObject({
    name: MODEL_NAME,
    version: 1,
    stage: 'production',
  });
}

const tracked = async (rev: string) =>
  (await git(['--git-dir', world.bare, 'ls-tree', '-r', '--name-only', rev]))
    .split('\n')
    .filter(Boolean);

if (!existsSync(CUT_RELEASE)) {
  it.todo(
    `adoption end to end: needs ${relative(ROOT, CUT_RELEASE)} (the tool release that pins the reusable workflows' actions), which is missing`,
  );
} else {
  describe('a fresh repository adopting OncoClear at a release tag', () => {
    let pushed: Push;
    let train: TrainWorkflowRun;
    let mergeSha: string;

    beforeAll(async () => {
      // Packing and publishing are independent and each takes seconds: do them side by side.
      [installed, upstream] = await Promise.all([
        packAndInstall(adoptionTemp('oncoclear-adopt-pack-')),
        publishUpstream(UPSTREAM, VERSION),
      ]);
      world = await createWorld({ ...ADOPTER, initialFiles: { [DATA]: triageCsv() } });
    }, 120_000);

    afterAll(async () => {
      await world?.close();
      await cleanupScenarios();
      cleanupAdoption();
    });

    it('publishes the tag on tag-only release commits on top of the pinned source commit', async () => {
      const { release } = upstream;
      expect(release).toMatchObject({ version: VERSION, tag: TAG, pinnedTo: upstream.source });
      const tagged = await git(['--git-dir', upstream.bare, 'rev-parse', `${TAG}^{commit}`]);
      expect(tagged.trim()).toBe(release.commit);
      expect(release.commits.at(-1)).toBe(release.commit);
      const first = await git(['--git-dir', upstream.bare, 'rev-parse', `${release.commits[0]}^`]);
      expect(first.trim()).toBe(upstream.source);
      const main = await git(['--git-dir', upstream.bare, 'rev-parse', 'main']);
      expect(main.trim()).toBe(upstream.source);
    });

    it('init from the installed package writes callers of the reusable workflows at the tag', async () => {
      expect(await tracked('main')).toEqual([DATA]);

      const init = await oncoclear(
        [
          'init',
          '--data',
          DATA,
          '--target',
          'outcome',
          '--positive',
          'positive',
          '--name',
          MODEL_NAME,
          '--from',
          `${UPSTREAM}@${TAG}`,
        ],
        world.dev,
      );
      expect(init.code, init.stderr).toBe(0);
      pushed = await pushToMain(world, {}, 'Set up OncoClear');

      const files = await tracked('main');
      expect(files).toEqual(
        expect.arrayContaining([
          DATA,
          'oncoclear.config.json',
          'README.md',
          'registry/registry.json',
        ]),
      );
      const workflows = files.filter((f) => f.startsWith('.github/workflows/'));
      expect(workflows.length).toBeGreaterThan(0);
      for (const file of workflows) {
        const jobs = (
          parse(readFileSync(join(world.dev, file), 'utf8')) as {
            jobs: Record<string, { uses?: string }>;
          }
        ).jobs;
        for (const job of Object.values(jobs))
          expect(job.uses).toMatch(
            new RegExp(`^${UPSTREAM}/\\.github/workflows/[\\w.-]+\\.yml@${TAG}$`),
          );
      }
      // The set-up push itself starts training: the train caller watches the data and config.
      const trainCaller = parse(
        readFileSync(join(world.dev, '.github/workflows/oncoclear-train.yml'), 'utf8'),
      ) as { on: { push: { paths: string[] } } };
      expect(trainCaller.on.push.paths).toEqual(
        expect.arrayContaining([DATA, 'oncoclear.config.json']),
      );
    });

    it('resolves every OncoClear action the callers reach to the commit the tag pins', async () => {
      resolution = await resolveCallerWorkflows(world.dev, { [UPSTREAM]: upstream.bare });

      expect([...resolution.actions.keys()].sort()).toEqual([...ONCOCLEAR_ACTIONS].sort());
      // The callers name the tag; the reusable workflows call each other by commit, so nothing
      // a job runs can move after the release.
      const [byTag, byCommit] = [TAG.replaceAll('.', '\\.'), '[0-9a-f]{40}'].map(
        (ref) => new RegExp(`^${UPSTREAM}/\\.github/workflows/oncoclear-[\\w-]+\\.yml@${ref}$`),
      );
      const nested = resolution.calls.filter((uses) => !byTag!.test(uses));
      expect(nested.length).toBeGreaterThan(0);
      for (const uses of nested) expect(uses).toMatch(byCommit!);
      for (const action of resolution.actions.values()) {
        expect(action.sha, action.name).toBe(upstream.source);
        expect(relative(ROOT, action.dir).startsWith('..'), action.dir).toBe(true);
        expect(existsSync(join(action.dir, 'dist/index.js')), action.dir).toBe(true);
      }
      world.actionDir = (name) => {
        const action = resolution.actions.get(name);
        if (!action) throw new Error(`No caller workflow reaches actions/${name}.`);
        ran.push({ name, dir: action.dir });
        return action.dir;
      };
    });

    it('trains the first model on the new data, registers v1 and opens its promotion PR', async () => {
      train = await trainWorkflow(world, pushed);

      // Nothing is in production yet, so the first candidate that passes the gates promotes.
      expect(train.train.outputs).toMatchObject({ promote: 'true', 'production-version': '' });
      expect(Number(train.train.outputs.accuracy)).toBeGreaterThan(0.8);
      expect(train.register?.outputs).toMatchObject({ version: '1', model: MODEL_NAME });
      const registry = await originRegistry(world);
      expect(registry.models[MODEL_NAME]?.versions.map((v) => [v.version, v.stage])).toEqual([
        [1, 'staging'],
      ]);
      expect(train.promote?.exitCode, train.promote?.stdout).toBe(0);
      expect(train.promote!.outputs['pull-request-number']).toBe('1');
    });

    it('merges the PR on a maintainer approval, and the release plan names the model image tags', async () => {
      const approval = await review(world, 1, { reviewer: 'maintainer' });
      expect(approval.exitCode, approval.stdout).toBe(0);
      expect(approval.outputs).toMatchObject({ merged: 'true', model: MODEL_NAME, version: '1' });
      mergeSha = approval.outputs['merge-sha']!;
      expect(productionOf(await originRegistry(world), MODEL_NAME)).toBe(1);

      const { plan, record } = await releaseWorkflow(world, { version: '1', ref: mergeSha });
      expect(plan.exitCode, plan.stdout).toBe(0);
      expect(plan.outputs).toMatchObject({
        release: 'true',
        model: MODEL_NAME,
        version: '1',
        image: `ghcr.io/${ADOPTER.owner}/${ADOPTER.repo}`,
      });
      expect(plan.outputs.tags!.split('\n')).toEqual([
        `${MODEL_NAME}-v1`,
        'production',
        `sha-${mergeSha.slice(0, 7)}`,
      ]);
      expect(record?.exitCode, record?.stdout).toBe(0);
    });

    it('the build job writes a thin model image context FROM the base image of the tag', async () => {
      const released = parse(
        await git([
          '--git-dir',
          upstream.bare,
          'show',
          `${TAG}:.github/workflows/oncoclear-release.yml`,
        ]),
      ) as { env: Record<string, string> };
      baseImage = released.env.ONCOCLEAR_BASE_IMAGE!;
      expect(baseImage).toBe(upstream.release.baseImage);
      expect(baseImage).toContain(VERSION);
      const context = join(adoptionTemp('oncoclear-model-image-'), 'context');

      // The build job's `context` step: release-plan again, with the base and a directory.
      const step = await runAction(world, 'release-plan', {
        workspace: await checkout(world, mergeSha),
        env: runnerEnv(world, { sha: mergeSha, runId: world.runId(), eventName: 'push' }),
        inputs: {
          version: '1',
          'default-branch': 'main',
          'base-image': baseImage,
          'image-context': context,
        },
      });

      expect(step.exitCode, step.stdout).toBe(0);
      expect(step.outputs.context).toBe(context);
      expectThinModelImage(context, baseImage);
    });

    it('the installed CLI writes the same thin context from the merged registry', async () => {
      await git(['fetch', '--quiet', 'origin', 'main'], { cwd: world.dev });
      await git(['checkout', '--quiet', '-B', 'main', 'FETCH_HEAD'], { cwd: world.dev });
      const context = join(adoptionTemp('oncoclear-model-image-'), 'context');

      const exported = await oncoclear(
        ['registry', 'export-model', '--image-context', context, '--base', baseImage],
        world.dev,
      );

      expect(exported.code, exported.stderr).toBe(0);
      expectThinModelImage(context, baseImage);
    });

    it('ran every job from the pinned bundles and made only requests GitHub accepts', () => {
      expect([...new Set(ran.map((r) => r.name))].sort()).toEqual([
        'open-promotion-pr',
        'record-release',
        'register',
        'release-plan',
        'review-promotion',
        'train',
      ]);
      for (const run of ran) expect(run.dir).toBe(resolution.actions.get(run.name)!.dir);
      expect(world.emulator.violations).toEqual([]);
    });
  });
}

describe('resolving a caller workflow the way GitHub does', () => {
  /** A caller repository and an upstream with `files` on main, whose commit `@SHA` names. */
  async function world2(files: Record<string, string>, caller: string) {
    const upstreamBare = await createBareRepo({ initialFiles: files });
    const sha = (await revParse(upstreamBare, 'main'))!;
    const callerDir = await cloneRepo(await createBareRepo({}));
    await commitFiles(callerDir, { '.github/workflows/x.yml': caller.replaceAll('SHA', sha) }, 'x');
    return { callerDir, upstreams: { [UPSTREAM]: upstreamBare }, sha };
  }
  const reusable = (steps: string) =>
    `on: workflow_call\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n${steps}`;
  const action = 'runs:\n  using: node24\n  main: dist/index.js\n';
  const caller = (path: string, ref = 'SHA') =>
    `on: push\njobs:\n  a:\n    uses: ${UPSTREAM}/${path}@${ref}\n`;
  afterAll(cleanupFixtures);

  it('extracts a pinned action, following a nested call at the same commit', async () => {
    const upstreamBare = await createBareRepo({ initialFiles: { 'actions/a/action.yml': action } });
    const sha = (await revParse(upstreamBare, 'main'))!;
    const work = await cloneRepo(upstreamBare);
    const outer = 'on: workflow_call\njobs:\n  b:\n    uses: ./.github/workflows/inner.yml\n';
    const inner = reusable(`      - uses: ${UPSTREAM}/actions/a@${sha} # v1\n`);
    await commitFiles(
      work,
      { '.github/workflows/outer.yml': outer, '.github/workflows/inner.yml': inner },
      'Reusable workflows',
    );
    await push(work, 'main');
    const head = (await revParse(upstreamBare, 'main'))!;
    const callerDir = await cloneRepo(await createBareRepo({}));
    const callerText = caller('.github/workflows/outer.yml', head);
    await commitFiles(callerDir, { '.github/workflows/x.yml': callerText }, 'Caller');

    const resolution = await resolveCallerWorkflows(callerDir, { [UPSTREAM]: upstreamBare });

    expect(resolution.actions.get('a')).toMatchObject({ sha });
    expect(readFileSync(join(resolution.actions.get('a')!.dir, 'action.yml'), 'utf8')).toBe(action);
    expect(resolution.calls).toEqual([
      `${UPSTREAM}/.github/workflows/outer.yml@${head}`,
      './.github/workflows/inner.yml',
    ]);
  });

  it("refuses a called workflow's ./actions step, which would run the caller's checkout", async () => {
    const { callerDir, upstreams } = await world2(
      { '.github/workflows/r.yml': reusable('      - uses: ./actions/train\n') },
      caller('.github/workflows/r.yml'),
    );
    await expect(resolveCallerWorkflows(callerDir, upstreams)).rejects.toThrow(
      /'uses: \.\/actions\/train', which GitHub resolves in the caller's checkout/,
    );
  });

  it('refuses to call a workflow that has no workflow_call trigger', async () => {
    const { callerDir, upstreams } = await world2(
      { '.github/workflows/train.yml': 'on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n' },
      caller('.github/workflows/train.yml'),
    );
    await expect(resolveCallerWorkflows(callerDir, upstreams)).rejects.toThrow(
      /its triggers are \["push"\]; expected 'workflow_call'/,
    );
  });

  it('refuses an action pinned to a tag instead of a commit', async () => {
    const { callerDir, upstreams } = await world2(
      {
        '.github/workflows/r.yml': reusable(`      - uses: ${UPSTREAM}/actions/a@v1\n`),
        'actions/a/action.yml': action,
      },
      caller('.github/workflows/r.yml'),
    );
    await expect(resolveCallerWorkflows(callerDir, upstreams)).rejects.toThrow(
      /pinned to 'v1'; expected a full 40-character commit sha/,
    );
  });
});

/**
 * The world the scenario tests run the real action bundles in: a bare git repository playing
 * GitHub's copy of the project, the GitHub REST emulator in front of it, and one fresh clone per
 * job (like actions/checkout). The jobs run in the order the workflows in .github/workflows run
 * them, with the runner's GITHUB_* environment.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Octokit } from '@octokit/rest';
import type { PushEvent } from '@octokit/webhooks-types';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { isMetadataPath, parseRegistryFiles } from '../../src/registry/layout.js';
import type { Registry } from '../../src/registry/schema.js';
import { type ActionRun, type RunActionOptions, runActionBundle } from '../actions/runner.js';
import { type GitHubEmulator, startGitHubEmulator } from '../harness/github/emulator.js';
import { git } from '../harness/github/git.js';
import {
  cleanupFixtures,
  cloneRepo,
  commitFiles,
  createBareRepo,
  push,
  readFileAt,
  revParse,
} from '../harness/github/git-fixture.js';
import { pullRequestReviewPayload, pushPayload } from '../harness/github/payloads.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin', 'oncoclear.js');

export const OWNER = 'octo';
export const REPO = 'oncoclear';
export const MODEL = 'oncoclear';
/** The workflow's GITHUB_TOKEN; the emulator authenticates it as github-actions[bot]. */
export const RUNNER_TOKEN = 'ghs_runner_token';
/** A GitHub App token passed as the actions' optional `token` input. */
export const APP_TOKEN = 'ghs_app_token';
export const APP_LOGIN = 'oncoclear-bot[bot]';
export const SERVER_URL = 'https://github.com';

/** The project config the seed repository commits; only `training.l2` varies between pushes. */
export function projectConfig(l2: number): Record<string, unknown> {
  const config = JSON.parse(readFileSync(join(ROOT, 'oncoclear.config.json'), 'utf8'));
  config.training.l2 = l2;
  // The scenarios test the lifecycle, not the statistics: their candidates differ from production
  // by a few of 114 rows, which the default paired test rightly calls noise (tests/promotion).
  config.promotion.pairedTest.enabled = false;
  return config;
}

export const configText = (l2: number) => `${JSON.stringify(projectConfig(l2), null, 2)}\n`;

/**
 * Ridge strengths and the test accuracy they reach on data/wdbc.csv with the committed split:
 * 1000 → 0.9211 (the seeded production v1, which passes the 0.8 minimum), 100 → 0.9474,
 * 10 → 0.9737. Each better config beats the ones before it on the same held-out rows.
 */
export const L2 = { weak: 1000, better: 100, best: 10 } as const;

let seed: Record<string, string> | undefined;

/**
 * The seed repository's files: the data, the config (l2 = 1000) and a registry whose production
 * v1 was trained and promoted with that weak config by the real CLI.
 */
export async function seedFiles(): Promise<Record<string, string>> {
  if (seed) return seed;
  const dir = mkdtempSync(join(tmpdir(), 'oncoclear-seed-'));
  try {
    cpSync(join(ROOT, 'data'), join(dir, 'data'), { recursive: true });
    mkdirSync(join(dir, 'registry'));
    const files: Record<string, string> = {
      'README.md': '# oncoclear (scenario fixture)\n',
      'package.json': `${JSON.stringify({ name: 'oncoclear', version: '0.1.0', license: 'MIT', private: true }, null, 2)}\n`,
      'oncoclear.config.json': configText(L2.weak),
    };
    for (const [path, text] of Object.entries(files)) writeText(join(dir, path), text);
    await cli(dir, ['pipeline', '--registry', 'registry', '--json']);
    const all: Record<string, string> = {};
    for (const file of walk(dir)) all[relative(dir, file)] = readFileSync(file, 'utf8');
    seed = all;
    return all;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Runs the real CLI in a directory; rejects with its output on a non-zero exit. */
export function cli(cwd: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    execFile(process.execPath, [CLI, ...args], { cwd }, (error, stdout, stderr) => {
      if (error) fail(new Error(`oncoclear ${args.join(' ')} failed:\n${stdout}${stderr}`));
      else done(stdout);
    });
  });
}

/** Repository roles of the people in the scenarios. */
export const USERS = {
  maintainer: 'write',
  owner: 'admin',
  reader: 'read',
} as const;

export interface World {
  /** The repository the world hosts: octo/oncoclear unless createWorld was told otherwise. */
  owner: string;
  repo: string;
  /** The bare repository that plays GitHub's copy of the project. */
  bare: string;
  emulator: GitHubEmulator;
  /** A developer's clone; pushes to main are made from here. */
  dev: string;
  /** Reads the emulator's state through the REST API, as a test-side observer. */
  gh: Octokit;
  /** A new workflow run id. */
  runId(): string;
  /** Jobs' checkouts push over the emulator's git server, where branch protection applies. */
  overHttp: boolean;
  /**
   * Where each action the jobs run comes from (the directory holding its action.yml), e.g. a
   * pinned commit of another repository; unset, this working tree's actions/<name>.
   */
  actionDir?: (name: string) => string;
  close(): Promise<void>;
}

/** What {@link createWorld} hosts; every field defaults to the seeded octo/oncoclear. */
export interface WorldOptions {
  owner?: string;
  repo?: string;
  /** The files of the default branch's first commit; defaults to {@link seedFiles}. */
  initialFiles?: Record<string, string>;
  actionDir?: (name: string) => string;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The hooks every scenario file needs: a fresh world before each test (handed to `use`), the
 * check that every request an action made is one real GitHub accepts, and the clean-up.
 */
export function useWorld(use: (world: World) => void, options: { overHttp?: boolean } = {}): void {
  let current: World | undefined;
  beforeEach(async () => {
    current = await createWorld();
    current.overHttp = options.overHttp ?? false;
    use(current);
  });
  afterEach(async () => {
    expect(current!.emulator.violations).toEqual([]);
    await current!.close();
  });
  afterAll(cleanupScenarios);
}

/**
 * A seeded origin (production v1 trained with l2 = 1000), the emulator and a developer clone;
 * `options` host another repository instead (e.g. an adopter's, holding only its data).
 */
export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const owner = options.owner ?? OWNER;
  const repo = options.repo ?? REPO;
  const bare = await createBareRepo({ initialFiles: options.initialFiles ?? (await seedFiles()) });
  const emulator = await startGitHubEmulator({
    owner,
    repo,
    bareRepoPath: bare,
    users: { ...USERS },
    tokens: { [RUNNER_TOKEN]: 'github-actions[bot]', [APP_TOKEN]: APP_LOGIN },
  });
  const dev = await cloneRepo(bare);
  let run = 1000;
  return {
    owner,
    repo,
    bare,
    emulator,
    dev,
    gh: new Octokit({ baseUrl: emulator.url, auth: 'observer', log: quiet }),
    runId: () => String(++run),
    overHttp: false,
    ...(options.actionDir ? { actionDir: options.actionDir } : {}),
    close: () => emulator.close(),
  };
}

export { readFileAt, revParse };

/** The runner's environment for one job of a workflow run. */
export function runnerEnv(
  world: World,
  options: { sha: string; runId: string; eventName: string; actor?: string },
): Record<string, string> {
  return {
    GITHUB_REPOSITORY: `${world.owner}/${world.repo}`,
    GITHUB_REPOSITORY_OWNER: world.owner,
    GITHUB_SHA: options.sha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_API_URL: world.emulator.url,
    GITHUB_SERVER_URL: SERVER_URL,
    GITHUB_RUN_ID: options.runId,
    GITHUB_ACTOR: options.actor ?? 'maintainer',
    GITHUB_TOKEN: RUNNER_TOKEN,
    // The actions' own git calls must not depend on the developer's git config.
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };
}

/**
 * actions/checkout: a fresh full clone of origin with `ref` (a branch or a sha) checked out. With
 * `overHttp`, origin is the emulator's git server, so pushes are authenticated by the token the
 * action sends and branch protection applies, as on GitHub.
 */
export async function checkout(
  world: World,
  ref = 'main',
  options: { overHttp?: boolean } = {},
): Promise<string> {
  const dir = await cloneRepo(world.bare);
  const rev = /^[0-9a-f]{40}$/.test(ref) ? ref : `origin/${ref}`;
  await git(['checkout', '--quiet', '--detach', rev], { cwd: dir });
  if (options.overHttp ?? world.overHttp)
    await git(['remote', 'set-url', 'origin', world.emulator.gitUrl], { cwd: dir });
  return dir;
}

/** The registry on a ref of origin, read through the layout's own parser. */
export async function originRegistry(world: World, ref = 'main'): Promise<Registry> {
  const listing = await git([
    '--git-dir',
    world.bare,
    'ls-tree',
    '-r',
    '-z',
    '--name-only',
    ref,
    '--',
    'registry/',
  ]);
  const files = new Map<string, string>();
  for (const path of listing.split('\0')) {
    const relative = path.slice('registry/'.length);
    if (!path || !isMetadataPath(relative)) continue;
    files.set(relative, (await readFileAt(world.bare, ref, path))!);
  }
  if (files.size === 0) throw new Error(`registry/ is missing on ${ref}`);
  return parseRegistryFiles(files, `registry@${ref}`);
}

export const productionOf = (registry: Registry, model = MODEL) =>
  registry.models[model]?.versions.find((v) => v.stage === 'production')?.version ?? null;

export interface Push {
  before: string;
  after: string;
  event: PushEvent;
}

/** A developer commits `files` on top of origin main and pushes. */
export async function pushToMain(
  world: World,
  files: Record<string, string | null>,
  message: string,
): Promise<Push> {
  await git(['fetch', '--quiet', 'origin', 'main'], { cwd: world.dev });
  await git(['checkout', '--quiet', '-B', 'main', 'FETCH_HEAD'], { cwd: world.dev });
  const before = (await revParse(world.bare, 'main'))!;
  const after = await commitFiles(world.dev, files, message);
  await push(world.dev, 'main');
  const event = pushPayload({
    owner: world.owner,
    repo: world.repo,
    defaultBranch: 'main',
    ref: 'main',
    before,
    after,
    message,
    sender: 'maintainer',
  });
  return { before, after, event };
}

/** A push to main that changes the training config's ridge strength. */
export const pushConfig = (world: World, l2: number) =>
  pushToMain(world, { 'oncoclear.config.json': configText(l2) }, `Set training.l2 to ${l2}`);

export interface TrainWorkflowRun {
  runId: string;
  train: ActionRun;
  register?: ActionRun;
  /** The open-promotion-pr step, when the train job said promote. */
  promote?: ActionRun;
  /** The uploaded candidate-model artifact (the train job's out-dir). */
  candidate: string;
  pushed: Push;
}

/** Runs one action of a job from where the world's actions come from. */
export function runAction(
  world: World,
  name: string,
  options: RunActionOptions,
): Promise<ActionRun> {
  const actionDir = world.actionDir?.(name);
  return runActionBundle(name, actionDir ? { ...options, actionDir } : options);
}

function expectSuccess(name: string, run: ActionRun): ActionRun {
  if (run.exitCode !== 0) {
    throw new Error(`${name} failed (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`);
  }
  return run;
}

const temps: string[] = [];

/** Removes the repositories, clones and downloaded artifacts the scenarios created. */
export async function cleanupScenarios(): Promise<void> {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  await cleanupFixtures();
}

/** Downloads the candidate-model artifact into a job's runner temp. */
function downloadArtifact(uploaded: string): string {
  const temp = mkdtempSync(join(tmpdir(), 'oncoclear-runner-temp-'));
  temps.push(temp);
  const dir = join(temp, 'candidate');
  cpSync(uploaded, dir, { recursive: true });
  return dir;
}

/**
 * .github/workflows/train.yml for a push: train (checkout of the pushed sha) → register (fresh
 * checkout, downloaded artifact) → open-promotion-pr when train said promote.
 */
export async function trainWorkflow(
  world: World,
  pushed: Push,
  options: { token?: string; promote?: boolean } = {},
): Promise<TrainWorkflowRun> {
  const runId = world.runId();
  const env = runnerEnv(world, { sha: pushed.after, runId, eventName: 'push' });
  const trainWs = await checkout(world, pushed.after);
  const train = expectSuccess(
    'train',
    await runAction(world, 'train', {
      workspace: trainWs,
      env,
      event: pushed.event,
      inputs: { 'artifact-name': 'candidate-model' },
    }),
  );
  const uploaded = join(trainWs, '.oncoclear', 'candidate');

  const registerWs = await checkout(world, pushed.after);
  const registerArtifact = downloadArtifact(uploaded);
  const register = expectSuccess(
    'register',
    await runAction(world, 'register', {
      workspace: registerWs,
      env,
      event: pushed.event,
      inputs: { artifact: join(registerArtifact, 'model.json') },
    }),
  );
  const run: TrainWorkflowRun = { runId, train, register, candidate: uploaded, pushed };
  const opens = train.outputs.promote === 'true' || train.outputs.replace === 'true';
  if (!opens || options.promote === false) return run;
  run.promote = await openPromotionPr(world, run, options.token);
  return run;
}

/** The promote job of train.yml: a fresh checkout, the downloaded artifact, open-promotion-pr. */
export async function openPromotionPr(
  world: World,
  run: TrainWorkflowRun,
  token?: string,
): Promise<ActionRun> {
  const env = runnerEnv(world, { sha: run.pushed.after, runId: run.runId, eventName: 'push' });
  const workspace = await checkout(world, run.pushed.after);
  const artifact = downloadArtifact(run.candidate);
  return runAction(world, 'open-promotion-pr', {
    workspace,
    env,
    event: run.pushed.event,
    inputs: {
      version: run.register!.outputs.version!,
      comparison: join(artifact, 'comparison.json'),
      ...(token ? { token } : {}),
    },
  });
}

/** The state of a PR as the emulator holds it. */
export function pull(world: World, number: number) {
  const found = world.emulator.pulls.find((p) => p.number === number);
  if (!found) throw new Error(`No PR #${number}`);
  return found;
}

export interface ReviewOptions {
  reviewer?: string;
  state?: 'approved' | 'changes_requested' | 'commented';
  /** The commit the review is for; defaults to the PR's current head. */
  commitId?: string;
  /** Edits the webhook payload before it is delivered (e.g. a fork's head repository). */
  edit?: (payload: ReturnType<typeof pullRequestReviewPayload>) => void;
  token?: string;
}

/**
 * A review is submitted on GitHub, and .github/workflows/promote.yml runs review-promotion in a
 * fresh checkout of the PR's base branch.
 */
export async function review(
  world: World,
  number: number,
  options: ReviewOptions = {},
): Promise<ActionRun> {
  // Through the API, so the emulator has caught up with pushes to the PR's branches.
  const { data: pr } = await world.gh.pulls.get({
    owner: world.owner,
    repo: world.repo,
    pull_number: number,
  });
  const reviewer = options.reviewer ?? 'maintainer';
  const state = options.state ?? 'approved';
  const commitId = options.commitId ?? pr.head.sha;
  world.emulator.addReview(number, {
    user: reviewer,
    state: state.toUpperCase() as 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED',
    commit_id: commitId,
  });
  const payload = pullRequestReviewPayload({
    owner: world.owner,
    repo: world.repo,
    defaultBranch: 'main',
    number,
    title: pr.title,
    headRef: pr.head.ref,
    headSha: commitId,
    baseRef: pr.base.ref,
    baseSha: pr.base.sha,
    labels: pr.labels.map((l) => l.name ?? ''),
    reviewer,
    reviewState: state,
    sender: reviewer,
  });
  payload.review.commit_id = commitId;
  options.edit?.(payload);
  const workspace = await checkout(world, pr.base.ref);
  return runAction(world, 'review-promotion', {
    workspace,
    env: runnerEnv(world, {
      sha: commitId,
      runId: world.runId(),
      eventName: 'pull_request_review',
      actor: reviewer,
    }),
    event: payload,
    inputs: options.token ? { token: options.token } : {},
  });
}

export const DIGEST = `sha256:${'5e'.repeat(32)}`;

/**
 * .github/workflows/release.yml as called by promote.yml: plan in a checkout of the merge
 * commit, (the docker build, exercised by npm run test:image, yields `digest`), then record.
 */
export async function releaseWorkflow(
  world: World,
  options: { version: string; ref: string; digest?: string; callerSha?: string; record?: boolean },
): Promise<{ plan: ActionRun; record?: ActionRun }> {
  const runId = world.runId();
  const sha = options.callerSha ?? options.ref;
  const env = runnerEnv(world, { sha, runId, eventName: 'pull_request_review' });
  const planWs = await checkout(world, options.ref);
  const plan = await runAction(world, 'release-plan', {
    workspace: planWs,
    env,
    inputs: { version: options.version, 'default-branch': 'main' },
  });
  if (plan.exitCode !== 0 || plan.outputs.release !== 'true' || options.record === false) {
    return { plan };
  }
  const record = await recordRelease(world, {
    env,
    version: plan.outputs.version!,
    image: plan.outputs.image!,
    tags: plan.outputs.tags!,
    digest: options.digest ?? DIGEST,
  });
  return { plan, record };
}

/** The record job of release.yml, in a fresh checkout. */
export async function recordRelease(
  world: World,
  options: {
    env: Record<string, string>;
    version: string;
    image: string;
    tags: string;
    digest: string;
  },
): Promise<ActionRun> {
  const workspace = await checkout(world, 'main');
  return runAction(world, 'record-release', {
    workspace,
    env: options.env,
    inputs: {
      version: options.version,
      digest: options.digest,
      image: options.image,
      tags: options.tags,
    },
  });
}

/** Requests the emulator answered for an operation, e.g. 'pulls/merge'. */
export const requestsFor = (world: World, operationId: string) =>
  world.emulator.requests.filter((r) => r.operationId === operationId);

/** Comments on an issue or PR, oldest first. */
export const commentsOn = (world: World, number: number) =>
  (world.emulator.comments[number] ?? []).map((c) => c.body);

/**
 * The adoption scenario's world beyond one repository: OncoClear's own repository as a tool
 * release publishes it (a tag whose reusable workflows pin every action to a commit), an
 * adopter's data, and GitHub's resolution of `uses:` from a caller workflow down to the action
 * bundles a runner would download.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { seededRandom } from '../../src/data/split.js';
import { git } from '../harness/github/git.js';
import { FIXTURE_AUTHOR } from '../harness/github/git-fixture.js';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
export const CUT_RELEASE = join(ROOT, 'scripts/release/cut-release.ts');

const temps: string[] = [];

/** A temporary directory {@link cleanupAdoption} removes. */
export function adoptionTemp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** Removes what this module created. */
export function cleanupAdoption(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A seeded, learnable data set that is not breast cancer: 4 measurements and a string label.
 * `outcome` is positive when a noisy linear score of the four is above zero.
 */
export function triageCsv(rows = 400, seed = 11): string {
  const random = seededRandom(seed);
  const lines = ['age,bmi,glucose,systolic,outcome'];
  for (let i = 0; i < rows; i++) {
    const age = 20 + random() * 60;
    const bmi = 18 + random() * 20;
    const glucose = 70 + random() * 110;
    const systolic = 95 + random() * 70;
    const score =
      0.05 * (age - 50) + 0.12 * (bmi - 28) + 0.035 * (glucose - 125) + 0.02 * (systolic - 130);
    const outcome = score + (random() - 0.5) * 1.5 > 0 ? 'positive' : 'negative';
    lines.push(
      [age.toFixed(0), bmi.toFixed(1), glucose.toFixed(0), systolic.toFixed(0), outcome].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: FIXTURE_AUTHOR.name,
  GIT_AUTHOR_EMAIL: FIXTURE_AUTHOR.email,
  GIT_COMMITTER_NAME: FIXTURE_AUTHOR.name,
  GIT_COMMITTER_EMAIL: FIXTURE_AUTHOR.email,
};

export interface Upstream {
  /** The bare repository playing github.com/<repository>. */
  bare: string;
  repository: string;
  /** The commit on main the release was cut from: what every pinned action names. */
  source: string;
  /** What cut-release printed (src/release/tool-release.ts, ToolRelease). */
  release: {
    version: string;
    tag: string;
    majorTag: string | null;
    /** What the tags point at. */
    commit: string;
    pinnedTo: string;
    /** The tag-only release commits, from the source commit's child to `commit`. */
    commits: string[];
    baseImage: string;
  };
}

/**
 * OncoClear's repository as GitHub holds it after a tool release: this working tree's files
 * (what `git ls-files` lists, plus new files not ignored, so uncommitted work is in) committed on
 * main with fresh action bundles, then scripts/release/cut-release.ts run on that commit, which
 * pushes the tags.
 */
export async function publishUpstream(
  repository: string,
  version: string,
  cutRelease = CUT_RELEASE,
): Promise<Upstream> {
  const home = adoptionTemp('oncoclear-upstream-');
  const work = join(home, 'work');
  const { stdout } = await exec(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  // A tracked file another helper deleted is listed but gone; the release would not have it.
  const files = stdout.split('\0').filter((f) => f && existsSync(join(ROOT, f)));
  for (const file of files) cpSync(join(ROOT, file), join(work, file), { recursive: true });
  // The upstream's package.json names it, as a real release's must (cut-release checks).
  const manifest = JSON.parse(readFileSync(join(work, 'package.json'), 'utf8'));
  manifest.repository = { type: 'git', url: `git+https://github.com/${repository}.git` };
  writeFileSync(join(work, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // One level up, so the build finds the packages (Node looks in every parent) and the work tree
  // stays a clean checkout, which cut-release requires.
  symlinkSync(join(ROOT, 'node_modules'), join(home, 'node_modules'), 'dir');
  // main as check-dist keeps it: bundles built from the src/ beside them. This working tree's
  // may lag its src/ while work is in progress, and cut-release refuses stale bundles.
  await exec(process.execPath, ['scripts/build.mjs', '--actions'], { cwd: work });
  const run = (args: string[], cwd = work) => exec('git', args, { cwd, env: gitEnv });
  await run(['init', '--quiet', '--initial-branch=main']);
  await run(['add', '--all']);
  await run(['commit', '--quiet', '-m', 'OncoClear as in the working tree']);
  const source = (await run(['rev-parse', 'HEAD'])).stdout.trim();
  const bare = join(home, 'origin.git');
  await run(['init', '--bare', '--quiet', '--initial-branch=main', bare], home);
  await run(['remote', 'add', 'origin', bare]);
  await run(['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);

  const cut = await exec(
    process.execPath,
    [
      join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
      cutRelease,
      '--repository',
      repository,
      '--version',
      version,
      '--dir',
      work,
      '--push',
      'origin',
    ],
    { cwd: ROOT, env: gitEnv },
  );
  return { bare, repository, source, release: JSON.parse(cut.stdout) as Upstream['release'] };
}

/** One OncoClear action a caller workflow reaches, as a runner downloads it. */
export interface ResolvedAction {
  name: string;
  /** The commit the `uses:` pins. */
  sha: string;
  /** Where `git archive <sha> actions/<name>` was extracted: its action.yml and bundle. */
  dir: string;
  /** The chain of workflow files that led to it, caller first (`file@ref`). */
  via: string[];
}

/** Every step and nested workflow GitHub would run for a caller's workflows. */
export interface Resolution {
  actions: Map<string, ResolvedAction>;
  /** Each workflow a job calls, as its `uses:` names it (`OWNER/REPO/PATH@REF` or `./PATH`). */
  calls: string[];
  /** `uses:` of steps that are not OncoClear's (actions/checkout, docker/*), with their refs. */
  thirdParty: string[];
}

interface WorkflowFile {
  on?: unknown;
  jobs?: Record<string, { uses?: string; steps?: { uses?: string }[] }>;
}

const SHA = /^[0-9a-f]{40}$/;
const REMOTE_WORKFLOW = /^([\w.-]+\/[\w.-]+)\/(\.github\/workflows\/[\w.-]+\.ya?ml)@(\S+)$/;
const REMOTE_ACTION = /^([\w.-]+\/[\w.-]+)\/actions\/([\w.-]+)@(\S+)$/;

/**
 * Follows the adopter's `.github/workflows/*.yml` the way GitHub does: a job's
 * `uses: OWNER/REPO/.github/workflows/F@REF` is F at REF of that repository, a nested
 * `uses: ./.github/workflows/F` is F at the same commit as the workflow that calls it, and a
 * step's `uses: OWNER/REPO/actions/NAME@REF` is that directory at REF, extracted here. A step's
 * `uses: ./actions/NAME` in a workflow of another repository is refused: GitHub resolves it in
 * the caller's checkout, which holds no actions/.
 */
export async function resolveCallerWorkflows(
  callerDir: string,
  upstreams: Record<string, string>,
): Promise<Resolution> {
  const out = adoptionTemp('oncoclear-resolved-');
  const resolution: Resolution = { actions: new Map(), calls: [], thirdParty: [] };
  const bareOf = (repository: string) => {
    const bare = upstreams[repository];
    if (!bare)
      throw new Error(
        `uses: names repository '${repository}'; expected one of ${Object.keys(upstreams).join(', ')}.`,
      );
    return bare;
  };

  const visit = async (
    workflow: WorkflowFile,
    via: string[],
    home: { repository: string; commit: string } | null,
  ) => {
    for (const [jobId, job] of Object.entries(workflow.jobs ?? {})) {
      if (job.uses) {
        resolution.calls.push(job.uses);
        const nested = await calledWorkflow(job.uses, home, bareOf);
        await visit(nested.workflow, [...via, `${jobId} → ${nested.label}`], nested.home);
        continue;
      }
      for (const step of job.steps ?? []) {
        if (!step.uses) continue;
        if (step.uses.startsWith('./')) {
          if (home)
            throw new Error(
              `${via.join(' → ')}: job '${jobId}' has 'uses: ${step.uses}', which GitHub resolves in the caller's checkout (it holds no actions/); expected ${home.repository}/${step.uses.slice(2)}@<sha>.`,
            );
          continue;
        }
        const match = REMOTE_ACTION.exec(step.uses.replace(/\s+#.*$/, ''));
        if (!match || !upstreams[match[1]!]) {
          resolution.thirdParty.push(step.uses);
          continue;
        }
        const [, repository, name, ref] = match;
        const dir = join(out, ref!, 'actions', name!);
        if (!existsSync(dir)) await extract(bareOf(repository!), ref!, `actions/${name}`, out);
        const seen = resolution.actions.get(name!);
        if (seen && seen.sha !== ref)
          throw new Error(`actions/${name} is pinned to both ${seen.sha} and ${ref}.`);
        resolution.actions.set(name!, {
          name: name!,
          sha: ref!,
          dir,
          via: [...via, `${jobId}`],
        });
      }
    }
  };

  const dir = join(callerDir, '.github/workflows');
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    await visit(parse(readFileSync(join(dir, file), 'utf8')) as WorkflowFile, [file], null);
  }
  return resolution;
}

/** The workflow a job's `uses:` calls, read from the repository and commit it names. */
async function calledWorkflow(
  uses: string,
  home: { repository: string; commit: string } | null,
  bareOf: (repository: string) => string,
): Promise<{
  workflow: WorkflowFile;
  label: string;
  home: { repository: string; commit: string };
}> {
  let repository: string;
  let path: string;
  let ref: string;
  const remote = REMOTE_WORKFLOW.exec(uses);
  if (remote) {
    [, repository, path, ref] = remote as unknown as [string, string, string, string];
  } else if (uses.startsWith('./.github/workflows/') && home) {
    // GitHub: a local reusable workflow is "from the same commit as the caller workflow".
    ({ repository, commit: ref } = home);
    path = uses.slice(2);
  } else {
    throw new Error(
      `uses: '${uses}' is neither OWNER/REPO/.github/workflows/FILE@REF nor a workflow beside its caller.`,
    );
  }
  const bare = bareOf(repository);
  const commit = (
    await git(['--git-dir', bare, 'rev-parse', '--verify', `${ref}^{commit}`])
  ).trim();
  const text = await git(['--git-dir', bare, 'show', `${commit}:${path}`]);
  const workflow = parse(text) as WorkflowFile;
  const label = `${repository}/${path}@${ref}`;
  if (!triggers(workflow.on).includes('workflow_call'))
    throw new Error(
      `${label} is called with 'uses:' but its triggers are ${JSON.stringify(triggers(workflow.on))}; expected 'workflow_call', without which GitHub refuses the call.`,
    );
  return {
    workflow,
    label,
    home: { repository, commit },
  };
}

/** The events of a workflow's `on:`, which may be a name, a list or a map. */
function triggers(on: unknown): string[] {
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  return on && typeof on === 'object' ? Object.keys(on) : [];
}

/** `git archive <sha> <path>` of a bare repository, extracted under `out/<sha>/`. */
async function extract(bare: string, sha: string, path: string, out: string): Promise<void> {
  if (!SHA.test(sha))
    throw new Error(`An action is pinned to '${sha}'; expected a full 40-character commit sha.`);
  const into = join(out, sha);
  mkdirSync(into, { recursive: true });
  const tar = join(out, `${sha}-${path.replace(/\W/g, '_')}.tar`);
  await exec('git', ['--git-dir', bare, 'archive', '--output', tar, sha, path]);
  await exec('tar', ['-xf', tar, '-C', into]);
}

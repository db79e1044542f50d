/**
 * Test fixtures for real git repositories: a bare "origin" (what the GitHub emulator serves)
 * and working clones to commit and push from, all in temporary directories.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { git } from './git.js';

const created = new Set<string>();

/** Identity fixture commits are made with, so no global git config is needed. */
export const FIXTURE_AUTHOR = { name: 'Fixture Author', email: 'fixture@example.com' };

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.add(dir);
  return dir;
}

/**
 * Creates a bare repository whose default branch holds one initial commit (`initialFiles`,
 * a README by default), so pull requests have a base to target. Returns its absolute path.
 */
export async function createBareRepo(
  options: { defaultBranch?: string; initialFiles?: Record<string, string> } = {},
): Promise<string> {
  const branch = options.defaultBranch ?? 'main';
  const bare = join(await tempDir('gh-emulator-origin-'), 'origin.git');
  await git(['init', '--bare', '--quiet', `--initial-branch=${branch}`, bare]);
  const work = await cloneRepo(bare);
  // The clone of an empty repository has an unborn HEAD; point it at the wanted branch.
  await git(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], { cwd: work });
  await commitFiles(work, options.initialFiles ?? { 'README.md': '# fixture\n' }, 'Initial commit');
  await push(work, branch);
  return bare;
}

/** Clones a repository into a fresh temporary directory and returns the working tree path. */
export async function cloneRepo(bare: string): Promise<string> {
  const dir = join(await tempDir('gh-emulator-clone-'), 'work');
  await git(['clone', '--quiet', bare, dir]);
  // Local identity, so commits work under an isolated (empty) global config.
  await git(['config', 'user.name', FIXTURE_AUTHOR.name], { cwd: dir });
  await git(['config', 'user.email', FIXTURE_AUTHOR.email], { cwd: dir });
  return dir;
}

/** Switches the working tree to a branch, creating it from HEAD when `create` is set. */
export async function checkout(dir: string, branch: string, create = false): Promise<void> {
  await git(['checkout', '--quiet', ...(create ? ['-b'] : []), branch], { cwd: dir });
}

/**
 * Writes files (a `null` value deletes the file), stages everything and commits.
 * Returns the new commit sha.
 */
export async function commitFiles(
  dir: string,
  files: Record<string, string | null>,
  message: string,
): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    if (content === null) {
      await rm(full, { force: true });
    } else {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }
  await git(['add', '--all'], { cwd: dir });
  await git(['commit', '--quiet', '--allow-empty', '-m', message], { cwd: dir });
  return (await git(['rev-parse', 'HEAD'], { cwd: dir })).trim();
}

/** Pushes the current HEAD to `branch` on origin (force-pushes when asked). */
export async function push(dir: string, branch: string, options: { force?: boolean } = {}) {
  await git(
    [
      'push',
      '--quiet',
      ...(options.force ? ['--force'] : []),
      'origin',
      `HEAD:refs/heads/${branch}`,
    ],
    {
      cwd: dir,
    },
  );
}

/** The commit a revision names in a repository (bare or not), or undefined. */
export async function revParse(repo: string, rev: string): Promise<string | undefined> {
  try {
    return (
      await git([
        '--git-dir',
        await gitDirOf(repo),
        'rev-parse',
        '--verify',
        '--quiet',
        `${rev}^{commit}`,
      ])
    ).trim();
  } catch {
    return undefined;
  }
}

/** A file's content at a revision of a repository (bare or not), or undefined. */
export async function readFileAt(
  repo: string,
  rev: string,
  path: string,
): Promise<string | undefined> {
  try {
    return await git(['--git-dir', await gitDirOf(repo), 'show', `${rev}:${path}`]);
  } catch {
    return undefined;
  }
}

async function gitDirOf(repo: string): Promise<string> {
  return (await git(['rev-parse', '--absolute-git-dir'], { cwd: repo })).trim();
}

/** Deletes every directory the fixtures created. Call from `afterAll`/`afterEach`. */
export async function cleanupFixtures(): Promise<void> {
  const dirs = [...created];
  created.clear();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}

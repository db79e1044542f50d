import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export { packageVersion } from '../util/package-version.js';

/** The current git commit, or null outside a repository or without git. */
export function gitCommit(cwd = process.cwd()): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/**
 * The commit a model's lineage may name: HEAD, when the files it was trained from (the data and
 * the config) are committed as they are. A file that is untracked or differs from HEAD makes it
 * null, since then no commit holds what the model was trained on; `uncommitted` names them, for a
 * warning. A git-ignored file counts only when `pinned` (given its absolute path) says something
 * committed pins it (the config's `data.url` with its `data.sha256`); else it is uncommitted too.
 */
export function lineageCommit(
  paths: string[],
  cwd = process.cwd(),
  pinned: (path: string) => boolean = () => false,
): { commit: string | null; uncommitted: string[] } {
  const commit = gitCommit(cwd);
  if (commit === null) return { commit, uncommitted: [] };
  let status: string;
  let root: string;
  try {
    // Porcelain paths are relative to the repository's top level, whatever the cwd.
    root = execFileSync('git', ['rev-parse', '--show-toplevel'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    // Literal pathspecs: a data path such as 'data/q1 [2024]/rows*.csv' is a name, not a glob.
    const args = ['--literal-pathspecs', 'status', '--porcelain', '-z', '--ignored'];
    status = execFileSync('git', [...args, '--untracked-files=all', '--', ...paths], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
  } catch {
    return { commit: null, uncommitted: paths };
  }
  const uncommitted: string[] = [];
  // Entries are "XY path" separated by NULs; a rename or copy (R or C) has its old path in the
  // next field, which is not an entry of its own.
  const fields = status.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i]!;
    if (entry.length < 4) continue;
    const xy = entry.slice(0, 2);
    const path = entry.slice(3);
    if (/[RC]/.test(xy)) i++;
    if (xy === '!!' && pinned(resolve(root, path))) continue;
    uncommitted.push(path);
  }
  return { commit: uncommitted.length === 0 ? commit : null, uncommitted };
}

/**
 * Whether a git-ignored file is pinned by the committed config: only the config's own data file,
 * and only when the config downloads it from `data.url` and checks it against `data.sha256`.
 */
export function pinnedByUrl(
  config: { data: { path: string; url?: string | undefined } },
  dataPath: string,
): (path: string) => boolean {
  const pinned = config.data.url !== undefined && dataPath === config.data.path;
  return (path) => pinned && path === resolve(dataPath);
}

/** {@link lineageCommit}'s commit, with a warning naming what is not committed. */
export function committedLineage(
  paths: string[],
  pinned: (path: string) => boolean = () => false,
): string | null {
  // A path that does not exist fails on its own, with a better message, once it is read.
  if (!paths.every((path) => existsSync(path))) return null;
  const { commit, uncommitted } = lineageCommit(paths, process.cwd(), pinned);
  if (uncommitted.length > 0)
    warning(
      `${uncommitted.join(', ')} ${uncommitted.length === 1 ? 'is' : 'are'} not committed as trained from; the model's lineage records no commit (commit them first for one)`,
    );
  return commit;
}

/** Progress goes to stderr so stdout stays clean for --json and pipes. */
export function progress(json: boolean): (message: string) => void {
  return json ? () => {} : (message) => process.stderr.write(`• ${message}\n`);
}

/** A warning: to stderr, even with --json (unlike progress), so it is never lost. */
export function warning(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

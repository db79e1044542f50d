import { execFileSync } from 'node:child_process';

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
 * warning. Git-ignored files do not count: data fetched by `data.url` lives there, and the
 * committed config pins it by its sha256.
 */
export function lineageCommit(
  paths: string[],
  cwd = process.cwd(),
): { commit: string | null; uncommitted: string[] } {
  const commit = gitCommit(cwd);
  if (commit === null) return { commit, uncommitted: [] };
  let status: string;
  try {
    status = execFileSync(
      'git',
      ['status', '--porcelain', '-z', '--untracked-files=all', '--', ...paths],
      {
        cwd,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    ).toString();
  } catch {
    return { commit: null, uncommitted: paths };
  }
  // Entries are "XY path\0" (a rename adds "\0from"); the path is what follows the status.
  const uncommitted = status
    .split('\0')
    .filter((entry) => /^[ MADRCU?!]{2} /.test(entry))
    .map((entry) => entry.slice(3));
  return { commit: uncommitted.length === 0 ? commit : null, uncommitted };
}

/** {@link lineageCommit}'s commit, with a warning naming what is not committed. */
export function committedLineage(paths: string[]): string | null {
  const { commit, uncommitted } = lineageCommit(paths);
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

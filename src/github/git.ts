import { execFile } from 'node:child_process';

/** The git operations the registry bot needs; one implementation shells out to the git CLI. */
export interface GitClient {
  readonly cwd: string;
  run(args: string[]): Promise<string>;
  /** `git rev-parse <ref>`. */
  revParse(ref: string): Promise<string>;
  fetch(remote: string, ref: string): Promise<void>;
  /** Stages paths and commits; returns false when there was nothing to commit. */
  commit(paths: string[], message: string): Promise<boolean>;
  /** Pushes HEAD to a branch; returns 'rejected' on a non-fast-forward instead of throwing. */
  push(
    remote: string,
    branch: string,
    options?: { force?: boolean },
  ): Promise<'pushed' | 'rejected'>;
  show(ref: string, path: string): Promise<string | null>;
}

export interface GitOptions {
  /** Token for HTTPS remotes, sent as an auth header like actions/checkout does, never in a URL. */
  token?: string;
  author?: { name: string; email: string };
}

const BOT = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

export function createGit(cwd: string, options: GitOptions = {}): GitClient {
  const author = options.author ?? BOT;
  const base = ['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`];
  if (options.token) {
    const basic = Buffer.from(`x-access-token:${options.token}`).toString('base64');
    base.push('-c', `http.extraheader=AUTHORIZATION: basic ${basic}`);
  }
  const run = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile('git', [...base, ...args], { cwd, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
        if (error) {
          const detail = (stderr || error.message).trim().split('\n').slice(-3).join(' ');
          reject(Object.assign(new Error(`git ${args[0]} failed: ${detail}`), { stderr }));
        } else resolve(stdout);
      });
    });
  return {
    cwd,
    run,
    revParse: async (ref) => (await run(['rev-parse', ref])).trim(),
    fetch: async (remote, ref) => {
      await run(['fetch', '--no-tags', remote, ref]);
    },
    async commit(paths, message) {
      await run(['add', '--all', '--', ...paths]);
      const staged = (await run(['diff', '--cached', '--name-only'])).trim();
      if (!staged) return false;
      await run(['commit', '--quiet', '-m', message]);
      return true;
    },
    async push(remote, branch, pushOptions = {}) {
      try {
        await run([
          'push',
          ...(pushOptions.force ? ['--force'] : []),
          remote,
          `HEAD:refs/heads/${branch}`,
        ]);
        return 'pushed';
      } catch (error) {
        const stderr = String((error as { stderr?: string }).stderr ?? '');
        if (/non-fast-forward|fetch first|rejected|stale info|cannot lock ref/i.test(stderr))
          return 'rejected';
        throw error;
      }
    },
    async show(ref, path) {
      try {
        return await run(['show', `${ref}:${path}`]);
      } catch {
        return null;
      }
    },
  };
}

export interface PushWithRetryOptions {
  remote?: string;
  branch: string;
  paths: string[];
  message: (attempt: number) => string;
  /** Re-applies the change on top of the freshly fetched branch; returns what it produced. */
  apply: () => Promise<void>;
  maxAttempts?: number;
  log?: (message: string) => void;
  /** Backoff between attempts, injectable so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Fetch → reset to the remote branch → apply → commit → push, retried on a non-fast-forward.
 * Re-applying on the newest state (rather than rebasing a stale commit) is what keeps two racing
 * registrations from reusing a version number.
 */
export async function commitAndPushWithRetry(
  git: GitClient,
  options: PushWithRetryOptions,
): Promise<{ attempts: number; sha: string; changed: boolean }> {
  const remote = options.remote ?? 'origin';
  const max = options.maxAttempts ?? 5;
  const log = options.log ?? (() => {});
  const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  for (let attempt = 1; attempt <= max; attempt++) {
    await git.fetch(remote, options.branch);
    await git.run(['reset', '--hard', 'FETCH_HEAD']);
    // Files a failed attempt left untracked must not leak into this one.
    await git.run(['clean', '-fdq', '--', ...options.paths]);
    await options.apply();
    const changed = await git.commit(options.paths, options.message(attempt));
    if (!changed) return { attempts: attempt, sha: await git.revParse('HEAD'), changed: false };
    if ((await git.push(remote, options.branch)) === 'pushed') {
      return { attempts: attempt, sha: await git.revParse('HEAD'), changed: true };
    }
    log(
      `Push to ${options.branch} was rejected (someone pushed first); retrying (${attempt}/${max})`,
    );
    await sleep(200 * attempt + Math.random() * 300);
  }
  throw new Error(
    `Could not push to ${options.branch} after ${max} attempts; another writer kept winning. Re-run the job.`,
  );
}

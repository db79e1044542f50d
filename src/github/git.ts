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
  /**
   * Pushes HEAD to a branch; returns 'rejected' when someone pushed first (non-fast-forward),
   * throws PushDeclinedError when the remote refuses for any other reason.
   */
  push(
    remote: string,
    branch: string,
    options?: { force?: boolean },
  ): Promise<'pushed' | 'rejected'>;
  show(ref: string, path: string): Promise<string | null>;
}

export interface GitOptions {
  /**
   * Token for HTTPS remotes, sent as an auth header like actions/checkout does, never in a URL.
   * It reaches git through the environment, never through argv, and is redacted from every error.
   */
  token?: string;
  author?: { name: string; email: string };
}

/**
 * The remote refused the push for a reason retrying cannot fix: a protected branch, a ruleset,
 * a token without the `workflows` permission. `reason` holds the remote's own words.
 */
export class PushDeclinedError extends Error {
  override readonly name = 'PushDeclinedError';
  /** The branch the push targeted. */
  readonly branch: string;
  /** The `remote:` lines and the `! [remote rejected]` line, verbatim (trailing blanks trimmed). */
  readonly reason: string;

  constructor(branch: string, reason: string, message: string) {
    super(message);
    this.branch = branch;
    this.reason = reason;
  }
}

const BOT = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

/**
 * Replaces every occurrence of each secret in `text` with `***`, longest first so that a header
 * containing an encoded token is replaced whole.
 *
 * @example
 * redact('AUTHORIZATION: basic eC1h...', [token, basic, header]) // '***'
 */
export function redact(text: string, secrets: readonly string[]): string {
  const ordered = secrets
    .filter((secret) => secret.length > 0)
    .toSorted((a, b) => b.length - a.length);
  return ordered.reduce((result, secret) => result.replaceAll(secret, '***'), text);
}

export function createGit(cwd: string, options: GitOptions = {}): GitClient {
  const author = options.author ?? BOT;
  const config: [string, string][] = [
    ['user.name', author.name],
    ['user.email', author.email],
  ];
  const secrets: string[] = [];
  if (options.token) {
    const basic = Buffer.from(`x-access-token:${options.token}`).toString('base64');
    const header = `AUTHORIZATION: basic ${basic}`;
    config.push(['http.extraheader', header]);
    secrets.push(options.token, basic, header);
  }
  // argv is readable by every user on the machine (ps, /proc/<pid>/cmdline); the environment
  // only by the same user, and GIT_CONFIG_* reaches git-remote-https without touching .git/config.
  const env = withGitConfig(process.env, config);
  const clean = (text: string) => redact(text, secrets);
  const run = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile('git', args, { cwd, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
        if (error) {
          const safeStderr = clean(stderr);
          const detail = (safeStderr || clean(error.message))
            .trim()
            .split('\n')
            .slice(-3)
            .join(' ');
          reject(
            Object.assign(new Error(`git ${args[0]} failed: ${detail}`), { stderr: safeStderr }),
          );
        } else {
          // Output too: `git config --list` would print the header back.
          resolve(clean(stdout));
        }
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
        const outcome = pushOutcome(String((error as { stderr?: string }).stderr ?? ''), branch);
        if (outcome === 'rejected') return 'rejected';
        throw outcome ?? error;
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

/** Appends `config` to any GIT_CONFIG_COUNT entries the environment already carries. */
function withGitConfig(base: NodeJS.ProcessEnv, config: [string, string][]): NodeJS.ProcessEnv {
  const env = { ...base };
  const first = Number.parseInt(base.GIT_CONFIG_COUNT ?? '0', 10) || 0;
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${first + i}`] = key;
    env[`GIT_CONFIG_VALUE_${first + i}`] = value;
  });
  env.GIT_CONFIG_COUNT = String(first + config.length);
  return env;
}

/** ` ! [remote rejected] HEAD -> main (protected branch hook declined)` and `! [rejected] …`. */
const REF_STATUS = /^\s*!\s+\[(remote rejected|rejected)\]\s+\S+\s+->\s+\S+\s+\((.*)\)$/;
/** Someone else moved the branch first: fetch, re-apply and push again. */
// "failed to update ref" is what a local (or smart-HTTP) remote says when another push moved the ref
// between its old-value check and the update: a lost race like a non-fast-forward.
const LOST_RACE =
  /fetch first|non-fast-forward|stale info|cannot lock ref|failed to update ref|incorrect old value/i;

/**
 * Reads `git push` stderr: 'rejected' when another writer won the race, a PushDeclinedError when
 * the remote refused for any other reason, undefined when the push failed some other way.
 */
function pushOutcome(stderr: string, branch: string): 'rejected' | PushDeclinedError | undefined {
  const lines = stderr.split('\n').map((line) => line.trimEnd());
  const statuses = lines.flatMap((line) => {
    const match = REF_STATUS.exec(line);
    return match
      ? [{ line: line.trim(), remote: match[1] === 'remote rejected', why: match[2] }]
      : [];
  });
  if (statuses.length === 0) return LOST_RACE.test(stderr) ? 'rejected' : undefined;
  const declined = statuses.find((status) => status.remote && !LOST_RACE.test(status.why));
  if (!declined) return 'rejected';
  const reason = [...lines.filter((line) => line.startsWith('remote:')), declined.line].join('\n');
  return new PushDeclinedError(branch, reason, declinedMessage(branch, reason, declined.why));
}

function declinedMessage(branch: string, reason: string, why: string): string {
  if (/without [`']?workflows?[`']? permission/i.test(reason)) {
    return `Push to ${branch} was declined (${why}): the token lacks the \`workflows\` permission (it changes a file under .github/workflows); pass a GitHub App token with Workflows: write, or a PAT with the workflow scope, as the \`token\` input.`;
  }
  // GH006 is classic branch protection, GH013 a repository ruleset.
  if (/GH006|GH013|protected branch|repository rule/i.test(reason)) {
    return `${branch} is protected and GitHub declined the push (${why}): add the bot (the GitHub App) to the ruleset's bypass list and pass its token as the \`token\` input (ONCOCLEAR_BOT_TOKEN or the App set-up in docs/adopt.md); GITHUB_TOKEN can never bypass protection.`;
  }
  return `Push to ${branch} was declined by the remote: ${why}.`;
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
 * registrations from reusing a version number. A PushDeclinedError (protected branch, missing
 * permission) propagates at once: retrying cannot change the remote's mind.
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

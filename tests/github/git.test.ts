import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commitAndPushWithRetry,
  createGit,
  PushDeclinedError,
  redact,
} from '../../src/github/git.js';
import { tempDir } from '../support/fixtures.js';

const root = tempDir('oncoclear-git-');
const TOKEN = 'ghs_f4keT0kenForTests1234567890';
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
const REAL_GIT = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
const fakeBin = join(root, 'bin');
const argvLog = join(root, 'argv.log');
const envLog = join(root, 'env.log');

// A `git` first on PATH that logs its argv and GIT_CONFIG_* environment, then runs the real git
// unless FAKE_GIT_MODE asks it to fail in a particular way.
const WRAPPER = `#!/bin/sh
printf '%s\\n' "$*" >> '${argvLog}'
env | grep '^GIT_CONFIG_' >> '${envLog}'
case "$FAKE_GIT_MODE" in
  silent-fail) exit 128 ;;
  echo-config) env | grep '^GIT_CONFIG_VALUE_'; env | grep '^GIT_CONFIG_VALUE_' >&2; exit 1 ;;
  canned) if [ "$1" = push ]; then cat "$FAKE_GIT_STDERR" >&2; exit 1; fi ;;
esac
exec '${REAL_GIT}' "$@"
`;

const saved = { ...process.env };
beforeAll(() => {
  mkdirSync(fakeBin, { recursive: true });
  writeFileSync(join(fakeBin, 'git'), WRAPPER);
  chmodSync(join(fakeBin, 'git'), 0o755);
  // A developer's global config (signing, hooks) must not change what these tests see.
  for (const key of Object.keys(process.env)) if (key.startsWith('GIT_')) delete process.env[key];
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  process.env.PATH = `${fakeBin}:${process.env.PATH}`;
});
afterAll(() => {
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, saved);
});

/** Sets FAKE_GIT_* for the clients created inside `body` (createGit snapshots the environment). */
function withFakeGit<T>(vars: Record<string, string>, body: () => T): T {
  Object.assign(process.env, vars);
  try {
    return body();
  } finally {
    for (const key of Object.keys(vars)) delete process.env[key];
  }
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    REAL_GIT,
    ['-c', 'user.name=Test', '-c', 'user.email=t@example.com', ...args],
    {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

let cases = 0;
/** A bare "GitHub" repository with one commit on main, and a clone of it to work in. */
function repository(preReceive?: string): { dir: string; bare: string; work: string } {
  const dir = join(root, `repo-${++cases}`);
  const bare = join(dir, 'remote.git');
  const work = join(dir, 'work');
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '--bare', '-b', 'main', bare);
  git(dir, 'init', '-q', '-b', 'main', work);
  writeFileSync(join(work, 'registry.json'), '{}\n');
  git(work, 'add', 'registry.json');
  git(work, 'commit', '-q', '-m', 'initial');
  git(work, 'remote', 'add', 'origin', bare);
  git(work, 'push', '-q', 'origin', 'main');
  if (preReceive) {
    writeFileSync(join(bare, 'hooks', 'pre-receive'), preReceive);
    chmodSync(join(bare, 'hooks', 'pre-receive'), 0o755);
  }
  return { dir, bare, work };
}

/** GitHub's answer to a push to a protected branch, as its pre-receive hook prints it. */
const gh006Hook = (countFile: string) => `#!/bin/sh
echo push >> '${countFile}'
cat >&2 <<'MSG'
error: GH006: Protected branch update failed for refs/heads/main.

- Changes must be made through a pull request.
MSG
exit 1
`;

function commitChange(work: string, text: string): void {
  writeFileSync(join(work, 'registry.json'), text);
  git(work, 'commit', '-q', '-am', text.trim());
}

describe('push', () => {
  it('throws PushDeclinedError with the remote’s words when a protected branch declines it', async () => {
    const { work } = repository(gh006Hook(join(root, 'protected-count')));
    commitChange(work, '{"v":1}\n');
    const client = createGit(work, { token: TOKEN });

    const error = await client.push('origin', 'main').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PushDeclinedError);
    const declined = error as PushDeclinedError;
    expect(declined.branch).toBe('main');
    expect(declined.reason).toBe(
      [
        'remote: error: GH006: Protected branch update failed for refs/heads/main.',
        'remote:',
        'remote: - Changes must be made through a pull request.',
        '! [remote rejected] HEAD -> main (pre-receive hook declined)',
      ].join('\n'),
    );
    expect(declined.message).toBe(
      "main is protected and GitHub declined the push (pre-receive hook declined): add the bot (the GitHub App) to the ruleset's bypass list and pass its token as the `token` input (ONCOCLEAR_BOT_TOKEN or the App set-up in docs/adopt.md); GITHUB_TOKEN can never bypass protection.",
    );
    expect(inspect(declined)).not.toContain(TOKEN);
  });

  it('returns rejected when someone else pushed first', async () => {
    const { dir, bare, work } = repository();
    const other = join(dir, 'other');
    git(dir, 'clone', '-q', bare, other);
    commitChange(other, '{"v":"theirs"}\n');
    git(other, 'push', '-q', 'origin', 'main');
    commitChange(work, '{"v":"ours"}\n');

    const outcome = await createGit(work, { token: TOKEN }).push('origin', 'main');

    expect(outcome).toBe('rejected');
  });

  it.each([
    {
      case: 'a token without the workflows permission',
      stderr: [
        'To https://github.com/acme/oncoclear',
        ' ! [remote rejected] HEAD -> main (refusing to allow a GitHub App to create or update workflow `.github/workflows/train.yml` without `workflows` permission)',
        "error: failed to push some refs to 'https://github.com/acme/oncoclear'",
      ],
      message:
        /^Push to main was declined \(refusing to allow a GitHub App .*\): the token lacks the `workflows` permission/,
      reason:
        '! [remote rejected] HEAD -> main (refusing to allow a GitHub App to create or update workflow `.github/workflows/train.yml` without `workflows` permission)',
    },
    {
      case: 'a repository ruleset',
      stderr: [
        'remote: error: GH013: Repository rule violations found for refs/heads/main.        ',
        'remote: - Changes must be made through a pull request.        ',
        'To https://github.com/acme/oncoclear',
        ' ! [remote rejected] HEAD -> main (push declined due to repository rule violations)',
        "error: failed to push some refs to 'https://github.com/acme/oncoclear'",
      ],
      message:
        /^main is protected and GitHub declined the push \(push declined due to repository rule violations\): add the bot/,
      reason: [
        'remote: error: GH013: Repository rule violations found for refs/heads/main.',
        'remote: - Changes must be made through a pull request.',
        '! [remote rejected] HEAD -> main (push declined due to repository rule violations)',
      ].join('\n'),
    },
  ])('names the setting to change when GitHub declines the push for $case', async (example) => {
    const { work } = repository();
    const stderrFile = join(root, `stderr-${cases}.txt`);
    writeFileSync(stderrFile, `${example.stderr.join('\n')}\n`);
    const client = withFakeGit({ FAKE_GIT_MODE: 'canned', FAKE_GIT_STDERR: stderrFile }, () =>
      createGit(work, { token: TOKEN }),
    );

    const error = (await client
      .push('origin', 'main')
      .catch((e: unknown) => e)) as PushDeclinedError;

    expect(error).toBeInstanceOf(PushDeclinedError);
    expect(error.message).toMatch(example.message);
    expect(error.message).not.toContain('\n');
    expect(error.reason).toBe(example.reason);
  });

  it('treats a remote "cannot lock ref" as a lost race, not a refusal', async () => {
    const { work } = repository();
    const stderrFile = join(root, 'stderr-lock.txt');
    writeFileSync(
      stderrFile,
      " ! [remote rejected] HEAD -> main (cannot lock ref 'refs/heads/main': is at 1a2b but expected 3c4d)\n",
    );
    const client = withFakeGit({ FAKE_GIT_MODE: 'canned', FAKE_GIT_STDERR: stderrFile }, () =>
      createGit(work),
    );

    expect(await client.push('origin', 'main')).toBe('rejected');
  });
});

describe('commitAndPushWithRetry', () => {
  it('propagates PushDeclinedError at once, without retrying', async () => {
    const countFile = join(root, 'declined-count');
    const { work } = repository(gh006Hook(countFile));
    const sleeps: number[] = [];
    let applied = 0;

    const attempt = commitAndPushWithRetry(createGit(work, { token: TOKEN }), {
      branch: 'main',
      paths: ['registry.json'],
      message: (n) => `register (attempt ${n})`,
      apply: async () => {
        applied++;
        writeFileSync(join(work, 'registry.json'), `{"v":${applied}}\n`);
      },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

    await expect(attempt).rejects.toBeInstanceOf(PushDeclinedError);
    expect(readFileSync(countFile, 'utf8').trim().split('\n')).toEqual(['push']);
    expect({ applied, sleeps }).toEqual({ applied: 1, sleeps: [] });
  });

  it('re-applies and pushes again after losing a race', async () => {
    const { dir, bare, work } = repository();
    const other = join(dir, 'other');
    git(dir, 'clone', '-q', bare, other);
    let applied = 0;

    const result = await commitAndPushWithRetry(createGit(work, { token: TOKEN }), {
      branch: 'main',
      paths: ['registry.json'],
      message: (n) => `register (attempt ${n})`,
      apply: async () => {
        applied++;
        if (applied === 1) {
          // Another writer lands between our fetch and our push.
          commitChange(other, '{"v":"theirs"}\n');
          git(other, 'push', '-q', 'origin', 'main');
        }
        writeFileSync(join(work, 'registry.json'), `{"v":${applied}}\n`);
      },
      sleep: async () => {},
    });

    expect(result).toMatchObject({ attempts: 2, changed: true });
    expect(git(bare, 'log', '-1', '--format=%s', 'main').trim()).toBe('register (attempt 2)');
  });
});

describe('credentials', () => {
  it('reach git through the environment, never through argv', async () => {
    rmSync(argvLog, { force: true });
    rmSync(envLog, { force: true });
    const { bare, work } = repository();
    const client = createGit(work, { token: TOKEN });

    writeFileSync(join(work, 'registry.json'), '{"v":1}\n');
    await client.commit(['registry.json'], 'register v1');
    expect(await client.push('origin', 'main')).toBe('pushed');

    const argv = readFileSync(argvLog, 'utf8');
    expect(argv).toContain('push origin HEAD:refs/heads/main');
    expect(argv).not.toContain(TOKEN);
    expect(argv).not.toContain(BASIC);
    expect(argv).not.toMatch(/extraheader|user\.name|-c /i);
    expect(readFileSync(envLog, 'utf8')).toContain(`AUTHORIZATION: basic ${BASIC}`);
    // The identity came only from the environment, so git read it from there.
    expect(git(bare, 'log', '-1', '--format=%an <%ae>', 'main').trim()).toBe(
      'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>',
    );
  });

  it('are redacted from output that would echo them back', async () => {
    const { work } = repository();

    const headers = await createGit(work, { token: TOKEN }).run([
      'config',
      '--get-all',
      'http.extraheader',
    ]);

    expect(headers).toBe('***\n');
  });

  it('never appear in an error, even when git fails with empty stderr', async () => {
    const { work } = repository();
    const client = withFakeGit({ FAKE_GIT_MODE: 'silent-fail' }, () =>
      createGit(work, { token: TOKEN }),
    );

    const error = await client.push('origin', 'main').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^git push failed: Command failed: git push/);
    expect(inspect(error)).not.toContain(TOKEN);
    expect(inspect(error)).not.toContain(BASIC);
  });

  it('are redacted from stderr when git prints them', async () => {
    const { work } = repository();
    const client = withFakeGit({ FAKE_GIT_MODE: 'echo-config' }, () =>
      createGit(work, { token: TOKEN }),
    );

    const error = (await client.run(['fetch', 'origin']).catch((e: unknown) => e)) as Error & {
      stderr: string;
    };

    expect(error.stderr).toContain('***');
    for (const text of [error.message, error.stderr, inspect(error)]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(BASIC);
    }
  });
});

describe('redact', () => {
  it('replaces each secret, longest first, and ignores empty ones', () => {
    const header = `AUTHORIZATION: basic ${BASIC}`;

    const text = redact(`-c http.extraheader=${header} and ${TOKEN} and ${BASIC}`, [
      TOKEN,
      '',
      BASIC,
      header,
    ]);

    expect(text).toBe('-c http.extraheader=*** and *** and ***');
  });
});

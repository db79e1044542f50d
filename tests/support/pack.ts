/**
 * The npm package as a user gets it: `npm pack` of this project, installed with its runtime
 * dependencies into an empty directory. Packing is slow (seconds), so a test file does it once,
 * in `beforeAll`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const NPM_QUIET = ['--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];

export interface InstalledPackage {
  /** The directory the tarball was installed into (it has node_modules/.bin/oncoclear). */
  app: string;
  /** The installed launcher. */
  bin: string;
  /** The paths the tarball holds, sorted. */
  tarballFiles: string[];
}

/** The runtime dependencies and everything they need, as installed here. */
function dependencyClosure(names: string[]): string[] {
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const manifest = JSON.parse(
      readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { dependencies?: Record<string, string> };
    queue.push(...Object.keys(manifest.dependencies ?? {}));
  }
  return [...seen].sort();
}

/**
 * Packs this project (dist/ must be built: the global setup does it, as prepack would) and
 * installs the tarball into `home/app`. The runtime dependencies are packed from node_modules,
 * so the install works offline.
 */
export async function packAndInstall(home: string): Promise<InstalledPackage> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const packs = join(home, 'packs');
  mkdirSync(packs, { recursive: true });
  const { stdout } = await exec(
    'npm',
    ['pack', '--json', '--pack-destination', packs, ...NPM_QUIET],
    { cwd: ROOT },
  );
  const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  const deps = dependencyClosure(Object.keys(pkg.dependencies));
  const { stdout: depsOut } = await exec(
    'npm',
    [
      'pack',
      '--json',
      ...deps.map((d) => join(ROOT, 'node_modules', d)),
      '--pack-destination',
      packs,
      ...NPM_QUIET,
    ],
    { cwd: packs },
  );
  const tarballs = [packed, ...(JSON.parse(depsOut) as { filename: string }[])].map((p) =>
    join(packs, p.filename),
  );
  const app = join(home, 'app');
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), '{"name": "adopter", "private": true}\n');
  await exec('npm', ['install', '--offline', ...NPM_QUIET, ...tarballs], { cwd: app });
  return {
    app,
    bin: join(app, 'node_modules/.bin/oncoclear'),
    tarballFiles: packed.files.map((f) => f.path).sort(),
  };
}

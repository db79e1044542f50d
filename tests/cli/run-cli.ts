// What the CLI tests share: running bin/oncoclear.js as a user would, and the fresh repository an
// adopting team runs init in.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { tempDir, writeOtherCsv } from '../support/fixtures.js';

export const exec = promisify(execFile);
const BIN = resolve('bin/oncoclear.js');

/** `oncoclear <args>` in `cwd`: its exit code, stdout and stderr, whether it failed or not. */
export async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  try {
    const { stdout, stderr } = await exec('node', [BIN, ...args], { cwd, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A fresh git repository on main holding only `dataDir/other.csv` (another shape than WDBC). */
export async function adoptingRepo(prefix: string, dataDir = 'data'): Promise<string> {
  const repo = tempDir(prefix);
  mkdirSync(join(repo, dataDir), { recursive: true });
  writeOtherCsv(join(repo, dataDir));
  await exec('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  return repo;
}

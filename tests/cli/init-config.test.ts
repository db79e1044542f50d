import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir, writeOtherCsv } from '../support/fixtures.js';

const exec = promisify(execFile);
const BIN = resolve('bin/oncoclear.js');
const INIT = ['init', '--data', 'data/other.csv', '--target', 'outcome', '--positive', 'yes'];
const FROM = ['--from', 'acme/oncoclear@v1'];

async function cli(args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await exec('node', [BIN, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A fresh git repository on main holding only data/other.csv. */
async function adoptingRepo(): Promise<string> {
  const repo = tempDir('oncoclear-init-config-');
  mkdirSync(join(repo, 'data'));
  writeOtherCsv(join(repo, 'data'));
  await exec('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  return repo;
}

describe('oncoclear init reads the CSV as training will', () => {
  it("refuses a feature column with no values, with training's message, before writing anything", async () => {
    const repo = await adoptingRepo();
    const file = join(repo, 'data/other.csv');
    // Empty the column 'gamma' (the fourth) in every row.
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const emptied = lines.map((line, i) => {
      const cells = line.split(',');
      if (i > 0) cells[3] = '';
      return cells.join(',');
    });
    writeFileSync(file, `${emptied.join('\n')}\n`);

    const result = await cli([...INIT, ...FROM], repo);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "data/other.csv: Feature 'gamma' has no values in the training rows; expected at least one number to impute from.",
    );
    expect(result.stderr).toContain('drop the empty column first');
    expect(readdirSync(repo).sort()).toEqual(['.git', 'data']);
  });
});

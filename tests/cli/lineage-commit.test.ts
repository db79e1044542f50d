import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lineageCommit } from '../../src/cli/context.js';
import { projectWorkspace } from '../actions/workspace.js';

// A model's lineage names a commit only when that commit holds the data and config it was trained
// from; a trial found every model trained on uncommitted, changing data naming the same HEAD.

const ws = projectWorkspace('oncoclear-lineage-');
afterAll(() => rmSync(ws, { recursive: true, force: true }));
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: ws, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();
git('init', '-q');
git('config', 'user.email', 'test@example.com');
git('config', 'user.name', 'test');
git('add', '.');
git('commit', '-qm', 'data and config');
const head = git('rev-parse', 'HEAD');
const DATA = 'data/wdbc.csv';
const CONFIG = 'oncoclear.config.json';

describe('lineageCommit', () => {
  it('names HEAD while the data and the config are committed as they are', () => {
    expect(lineageCommit([DATA, CONFIG], ws)).toEqual({ commit: head, uncommitted: [] });
  });

  it('names none when the data differs from HEAD or is not committed, and says which', () => {
    const original = readFileSync(join(ws, DATA));
    appendFileSync(join(ws, DATA), `${readFileSync(join(ws, DATA), 'utf8').split('\n')[1]!}\n`);
    expect(lineageCommit([DATA, CONFIG], ws)).toEqual({ commit: null, uncommitted: [DATA] });
    writeFileSync(join(ws, DATA), original);
    expect(lineageCommit([DATA, CONFIG], ws).commit).toBe(head);

    writeFileSync(join(ws, 'data/new.csv'), original);
    expect(lineageCommit(['data/new.csv', CONFIG], ws)).toEqual({
      commit: null,
      uncommitted: ['data/new.csv'],
    });
  });

  it('counts a git-ignored data file only when the committed config pins it (data.url)', () => {
    mkdirSync(join(ws, '.oncoclear/data'), { recursive: true });
    writeFileSync(join(ws, '.gitignore'), '.oncoclear/\n');
    git('add', '.gitignore');
    git('commit', '-qm', 'ignore downloads');
    writeFileSync(join(ws, '.oncoclear/data/rows.csv'), 'a,b\n');
    const now = git('rev-parse', 'HEAD');
    const rows = '.oncoclear/data/rows.csv';
    // Nothing pins a plain ignored CSV: no commit holds it.
    expect(lineageCommit([rows, CONFIG], ws)).toEqual({ commit: null, uncommitted: [rows] });
    const pinned = (path: string) => path === join(ws, rows);
    expect(lineageCommit([rows, CONFIG], ws, pinned)).toEqual({ commit: now, uncommitted: [] });
  });

  it('reads data paths as names, not globs, and a rename as one entry', () => {
    mkdirSync(join(ws, 'data/q1 [2024]'), { recursive: true });
    mkdirSync(join(ws, 'data/q1 2'), { recursive: true });
    writeFileSync(join(ws, 'data/q1 [2024]/rows*v2.csv'), 'a\n');
    writeFileSync(join(ws, 'data/q1 2/rowsXv2.csv'), 'a\n');
    git('add', 'data');
    git('commit', '-qm', 'odd names');
    // A change to the file the glob would match, not to the one trained from.
    writeFileSync(join(ws, 'data/q1 2/rowsXv2.csv'), 'b\n');
    expect(lineageCommit(['data/q1 [2024]/rows*v2.csv', CONFIG], ws).uncommitted).toEqual([]);
    git('checkout', '-q', '--', 'data/q1 2/rowsXv2.csv');
    git('mv', 'data/q1 2/rowsXv2.csv', 'data/moved.csv');
    expect(lineageCommit(['data/moved.csv', 'data/q1 2/rowsXv2.csv'], ws).uncommitted).toEqual([
      'data/moved.csv',
    ]);
    git('commit', '-qm', 'moved');
  });

  it('train warns and records no commit for uncommitted data', () => {
    appendFileSync(join(ws, DATA), `${readFileSync(join(ws, DATA), 'utf8').split('\n')[2]!}\n`);
    const bin = resolve('bin/oncoclear.js');
    const run = spawnSync('node', [bin, 'train', '--out', 'out', '--json'], {
      cwd: ws,
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      `warning: ${DATA} is not committed as trained from; the model's lineage records no commit`,
    );
    const artifact = JSON.parse(readFileSync(join(ws, JSON.parse(run.stdout).artifact), 'utf8'));
    expect(artifact.lineage.commit).toBeNull();
  });
});

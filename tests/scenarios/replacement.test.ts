/**
 * A feature-set change that leaves production unscorable: the data no longer has a column
 * production needs. The run does not fail; it offers an explicit replace-production PR that says
 * the two were not compared on the same rows, and the same approval merges it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  commentsOn,
  MODEL,
  originRegistry,
  productionOf,
  pull,
  pushToMain,
  review,
  trainWorkflow,
  useWorld,
  type World,
} from './support.js';

const SLOW = { timeout: 120_000 };
let world: World;
useWorld((w) => {
  world = w;
});

/** WDBC without one column. */
function withoutColumn(name: string): string {
  const text = readFileSync(resolve(import.meta.dirname, '../../data/wdbc.csv'), 'utf8');
  const lines = text.trimEnd().split('\n');
  const drop = lines[0]!.split(',').indexOf(name);
  expect(drop).toBeGreaterThanOrEqual(0);
  return `${lines
    .map((l) =>
      l
        .split(',')
        .filter((_, i) => i !== drop)
        .join(','),
    )
    .join('\n')}\n`;
}

describe('a candidate that production cannot be compared with', SLOW, () => {
  it('opens a replace-production PR with both reports, which an approval merges', async () => {
    const pushed = await pushToMain(
      world,
      { 'data/wdbc.csv': withoutColumn('worst symmetry') },
      'Drop worst symmetry from the data',
    );
    const run = await trainWorkflow(world, pushed);
    // The run does not fail: the summary says why, and the candidate is offered as a replacement.
    expect(run.train.outputs).toMatchObject({ promote: 'false', replace: 'true' });
    expect(run.train.summary).toContain('⚠️ **Not comparable**');
    expect(run.train.summary).toContain('the data lacks worst symmetry');
    expect(run.promote?.exitCode, run.promote?.stdout).toBe(0);
    const pr = pull(world, 1);
    expect(pr.title).toBe(`Replace production with ${MODEL} v2 (not compared on the same rows)`);
    expect(pr.body).toContain('were **not compared on the same rows**');
    expect(pr.body).toContain('`worst symmetry`');
    expect(pr.body).toContain(
      '| metric (each on its own held-out rows) | candidate | production v1 (recorded at registration) |',
    );

    const approved = await review(world, 1);
    expect(approved.exitCode, approved.stdout + approved.stderr).toBe(0);
    expect(approved.outputs).toMatchObject({ merged: 'true', version: '2', kind: 'replacement' });
    expect(productionOf(await originRegistry(world))).toBe(2);
    expect(commentsOn(world, 1)).toEqual([expect.stringMatching(/^✅ Merged as/)]);
  });
});

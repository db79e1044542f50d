import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectWorkspace } from '../actions/workspace.js';
import { cli } from './run-cli.js';

let ws: string;
beforeAll(async () => {
  ws = projectWorkspace('oncoclear-cli-');
});

describe('oncoclear CLI', () => {
  it('prints help for every command, within 100 columns', async () => {
    const commands = [
      ...['train', 'evaluate', 'predict', 'register', 'registry', 'pipeline', 'init'],
      ...['dashboard', 'serve', 'start'],
    ];
    for (const command of commands) {
      const { code, stdout } = await cli([command, '--help'], ws);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: oncoclear ${command}`);
      // A terminal wraps a longer line mid-word, out of the help's two columns.
      const wide = stdout.split('\n').filter((line) => line.length > 100);
      expect(wide, `oncoclear ${command} --help`).toEqual([]);
    }
    const top = await cli(['--help'], ws);
    expect(top.code).toBe(0);
    expect(top.stdout.split('\n').filter((line) => line.length > 100)).toEqual([]);
  });

  it('train --json prints the artifact path and the metrics, and writes the artifact', async () => {
    const { code, stdout } = await cli(['train', '--out', 'out', '--json'], ws);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.artifact).toBe('out/model.json');
    expect(result.metrics.test.accuracy).toBeGreaterThan(0.95);
    expect(result.metrics.test.rocAuc).toBeGreaterThan(0.99);
    expect(result.metrics.train.accuracy).toBeGreaterThan(0.95);
    expect(existsSync(join(ws, 'out/model.json.sha256'))).toBe(true);
  });

  it('train without --json shows progress on stderr and a table on stdout', async () => {
    const { code, stdout, stderr } = await cli(['train', '--out', 'out2'], ws);
    expect(code).toBe(0);
    expect(stderr).toContain('Loaded 569 rows × 30 features');
    expect(stdout).toMatch(
      /accuracy ↑\s+0\.9\d+ \(0\.9\d+–\d\.\d+\)\s+0\.9\d+ \(0\.9\d+–\d\.\d+\)/,
    );
  });

  it('predict --json keeps input order, ignores the target column and imputes empty cells', async () => {
    await cli(['train', '--out', 'out', '--json'], ws);
    const lines = readFileSync(join(ws, 'data/wdbc.csv'), 'utf8').trim().split('\n');
    const header = lines[0]!;
    // Rows 1 (malignant) and 20 (benign), then row 1 again with one empty cell.
    const withGap = lines[1]!.split(',');
    withGap[3] = '';
    writeFileSync(
      join(ws, 'batch.csv'),
      [header, lines[1], lines[20], withGap.join(',')].join('\n'),
    );
    const { code, stdout } = await cli(
      ['predict', '--model', 'out/model.json', '--input', 'batch.csv', '--json'],
      ws,
    );
    expect(code).toBe(0);
    const predictions = JSON.parse(stdout) as {
      label: string;
      probabilities: Record<string, number>;
    }[];
    expect(predictions.map((p) => p.label)).toEqual(['malignant', 'benign', 'malignant']);
    expect(
      predictions[0]!.probabilities.malignant! + predictions[0]!.probabilities.benign!,
    ).toBeCloseTo(1, 12);
  });

  it('evaluate scores the held-out rows by default, the same numbers train reported', async () => {
    const { code, stdout } = await cli(['evaluate', '--model', 'out/model.json', '--json'], ws);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    const trained = JSON.parse(readFileSync(join(ws, 'out/model.json'), 'utf8'));
    expect(result).toMatchObject({ rows: 'held-out', count: 114 });
    expect(result.metrics.accuracy).toBe(trained.metrics.test.accuracy);
    expect(result.metrics.intervals.accuracy[0]).toBeLessThan(result.metrics.accuracy);
  });

  it('evaluate --all warns that training rows are included, and --plots writes SVG charts', async () => {
    const { code, stdout, stderr } = await cli(
      ['evaluate', '--model', 'out/model.json', '--all', '--plots', 'plots', '--json'],
      ws,
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ rows: 'all', count: 569 });
    expect(stderr).toContain('including the 455 rows oncoclear was trained on');
    for (const chart of ['roc.svg', 'pr.svg', 'calibration.svg']) {
      const svg = readFileSync(join(ws, 'plots', chart), 'utf8');
      expect(svg, chart).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(svg, chart).toMatch(/<path d="M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){2,}"/);
    }
  });

  it('evaluate refuses other data unless told none of its rows were trained on', async () => {
    const other = join(ws, 'other.csv');
    const text = readFileSync(join(ws, 'data/wdbc.csv'), 'utf8').split('\n');
    writeFileSync(other, `${text.slice(0, 200).join('\n')}\n`);
    const refused = await cli(['evaluate', '--model', 'out/model.json', '--data', other], ws);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is not the data oncoclear was trained on');
    expect(refused.stderr).toContain('pass --all');
  });

  it('fails with one line naming the problem and exit code 2 for usage errors', async () => {
    const unknown = await cli(['train', '--bogus'], ws);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    const missing = await cli(['predict', '--input', 'x.csv'], ws);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Missing --model FILE');
    const notFound = await cli(['predict', '--model', 'nope.json', '--input', 'x.csv'], ws);
    expect(notFound.code).toBe(1);
    expect(notFound.stderr.trim()).toBe(
      "oncoclear predict: Model file 'nope.json' not found; expected a JSON artifact written by 'oncoclear train'.",
    );
  });

  it('train on a data path that does not exist says that alone, where it looked', async () => {
    const result = await cli(['train', '--data', 'data/nope.csv', '--out', 'out/nope'], ws);
    expect(result.code).toBe(1);
    // No warning first that the missing file is "not committed as trained from".
    expect(result.stderr).not.toContain('warning:');
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      `oncoclear train: Data file 'data/nope.csv' not found (looked for ${join(ws, 'data/nope.csv')}: paths are relative to the directory oncoclear runs in); expected a CSV with a header row.`,
    );
  });

  it('pipeline writes to a git-ignored local registry seeded from registry/, never to registry/', async () => {
    const committed = snapshot(join(ws, 'registry'));
    const { code, stdout } = await cli(['pipeline', '--json'], ws);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.registry).toBe('.local/registry');
    expect(result.version).toBe(2);
    expect(result.promoted).toBe(false);
    expect(
      result.decision.checks.find((c: { name: string }) => c.name === 'beats-production').note,
    ).toBe('tie');
    // registry/ is untouched: nothing new or changed there.
    expect(snapshot(join(ws, 'registry'))).toEqual(committed);
    const show = await cli(['registry', 'show', '--json'], ws);
    expect(JSON.parse(show.stdout).versions.map((v: { stage: string }) => v.stage)).toEqual([
      'production',
      'staging',
    ]);
  });

  it('pipeline names the production version it kept when that version cannot be scored', async () => {
    // Arrange: production v1 was trained on all 30 columns; the data now lacks one of them.
    const dir = projectWorkspace('oncoclear-cli-dropped-');
    const csv = join(dir, 'data', 'wdbc.csv');
    const lines = readFileSync(csv, 'utf8').split('\n');
    writeFileSync(csv, lines.map((line) => line.slice(line.indexOf(',') + 1)).join('\n'));

    const { code, stdout } = await cli(['pipeline'], dir);

    expect(code).toBe(0);
    expect(stdout).toContain('Candidate v2 vs production v1, which cannot be scored on these');
    expect(stdout).toContain('production v1 cannot be scored on these rows');
    expect(stdout).toContain('Kept v1 in production; v2 stays in staging.');
    expect(stdout).not.toContain('no production');
    expect(stdout).not.toContain('no version');
    const show = await cli(['registry', 'show', '--json'], dir);
    expect(JSON.parse(show.stdout).versions.map((v: { stage: string }) => v.stage)).toEqual([
      'production',
      'staging',
    ]);
  });

  it('register --json prints the version; promote and rollback record history', async () => {
    const reg = join(ws, 'reg-cli');
    const a = JSON.parse(
      (await cli(['register', '--model', 'out/model.json', '--registry', reg, '--json'], ws))
        .stdout,
    );
    const b = JSON.parse(
      (await cli(['register', '--model', 'out/model.json', '--registry', reg, '--json'], ws))
        .stdout,
    );
    expect([a.version, b.version]).toEqual([1, 2]);
    expect(
      (await cli(['registry', 'promote', '1', '--registry', reg, '--reason', 'first'], ws)).code,
    ).toBe(0);
    expect(
      (await cli(['registry', 'promote', 'v2', '--registry', reg, '--reason', 'second'], ws)).code,
    ).toBe(0);
    const back = await cli(['registry', 'rollback', '--registry', reg, '--reason', 'oops'], ws);
    expect(back.stdout).toContain('v1 is now in production');
    const history = JSON.parse(
      (await cli(['registry', 'history', '--registry', reg, '--json'], ws)).stdout,
    ).history;
    expect(history.at(-1)).toMatchObject({
      type: 'rolled_back',
      version: 1,
      from: 2,
      reason: 'oops',
    });
    const now = JSON.parse(
      (
        await cli(
          ['registry', 'history', '--at', new Date().toISOString(), '--registry', reg, '--json'],
          ws,
        )
      ).stdout,
    );
    expect(now.production).toBe(1);
    const before = await cli(['registry', 'history', '--at', '2001-01-01', '--registry', reg], ws);
    expect(before.stdout).toContain('No version of oncoclear was in production at 2001-01-01');
    const bad = await cli(['registry', 'history', '--at', 'yesterday', '--registry', reg], ws);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--at 'yesterday' is not a date");
    const diff = JSON.parse(
      (await cli(['registry', 'diff', '1', '2', '--registry', reg, '--json'], ws)).stdout,
    );
    expect(diff.metrics).toHaveLength(11);
  });
});

/** Every file under a directory with its content, to prove nothing was written there. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const file = join(dir, name);
    if (statSync(file).isFile()) out[name] = readFileSync(file, 'utf8');
  }
  return out;
}

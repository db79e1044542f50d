import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { type Config, loadConfig, parseConfig } from '../../src/config/config.js';
import { seededRandom } from '../../src/data/split.js';

/** A temp directory removed after the test file finishes. */
export function tempDir(prefix = 'oncoclear-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The project config, as committed. */
export function projectConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig('oncoclear.config.json'), ...overrides };
}

export const FIXED_NOW = () => new Date('2026-01-02T03:04:05.000Z');
export const TRAIN_CONTEXT = { commit: 'abc1234', now: FIXED_NOW, packageVersion: '0.0.0-test' };

/**
 * A second, unrelated data set: other column names, 4 features, string labels 'yes'/'no' and some
 * empty cells, so tests prove nothing in the core is specific to WDBC.
 */
export function writeOtherCsv(dir: string, rows = 300, seed = 7): { file: string; config: Config } {
  const random = seededRandom(seed);
  const lines = ['alpha,beta,outcome,gamma,delta'];
  for (let i = 0; i < rows; i++) {
    const a = random() * 4 - 2;
    const b = random() * 10;
    const g = random() - 0.5;
    const d = random() * 2;
    const z = 2.5 * a - 0.4 * b + 3 * g + 2 + (random() - 0.5);
    const label = z > 0 ? 'yes' : 'no';
    const cell = (v: number, k: number) => (i % 17 === k ? '' : v.toFixed(4));
    lines.push([cell(a, 1), cell(b, 3), label, cell(g, 5), d.toFixed(4)].join(','));
  }
  const file = join(dir, 'other.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const config = parseConfig({
    schemaVersion: 1,
    model: { name: 'other-model' },
    data: { path: file, target: 'outcome', positiveClass: 'yes' },
  });
  return { file, config };
}

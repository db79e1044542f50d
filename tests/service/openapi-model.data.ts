import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../src/data/split.js';

/** The generated clinic data set's feature columns, in file order. */
export const CLINIC_FEATURES = ['age_years', 'blood_pressure', 'glucose'];

/**
 * A generated clinic data set for the docs tests: three columns unlike WDBC's, a target
 * `outcome` with classes `healthy`/`sick`, and a few empty cells, so imputation (and the medians
 * it stores) is real. Returns the CSV and a config (as plain JSON, for `oncoclear train --config`).
 */
export function writeClinicCsv(
  dir: string,
  options: { name?: string; impute?: 'median' | 'mean'; rows?: number } = {},
) {
  const name = options.name ?? 'clinic-risk';
  const random = seededRandom(11);
  const lines = [`${CLINIC_FEATURES.join(',')},outcome`];
  for (let i = 0; i < (options.rows ?? 240); i++) {
    const age = 20 + Math.floor(random() * 60);
    const pressure = 90 + random() * 70;
    const glucose = 60 + random() * 140;
    const z = 0.05 * (age - 50) + 0.04 * (pressure - 125) + 0.03 * (glucose - 130) + random() - 0.5;
    const cell = (v: string, k: number) => (i % 13 === k ? '' : v);
    lines.push(
      [
        cell(String(age), 2),
        cell(pressure.toFixed(1), 5),
        cell(glucose.toFixed(2), 7),
        z > 0 ? 'sick' : 'healthy',
      ].join(','),
    );
  }
  const file = join(dir, `${name}.csv`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const config = {
    schemaVersion: 1,
    model: { name },
    data: { path: file, target: 'outcome', positiveClass: 'sick' },
    preprocessing: { impute: options.impute ?? 'median', standardize: true },
  };
  return { file, config };
}

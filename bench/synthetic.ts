// Deterministic synthetic stand-ins for WDBC at any row count, for the scale benchmark.
//
// Each row has 30 correlated features (three latent factors plus noise, each ~N(0,1), then
// shifted and scaled to a WDBC-like unit with a fitting number of decimals) and a `diagnosis` of
// 'malignant' or 'benign' drawn from a logistic model over the standardised features, so a
// logistic regression can learn it but not perfectly. About 0.2% of feature cells are empty.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { seededRandom } from '../src/data/split.js';

export const SYNTHETIC_FEATURES = 30;
export const SYNTHETIC_TARGET = 'diagnosis';
export const SYNTHETIC_POSITIVE = 'malignant';
/** Bump when the generator changes, so cached files are not reused. */
const GENERATOR_VERSION = 1;
const FACTORS = 3;
/** Share of rows with one empty feature cell: 6% of rows ≈ 0.2% of cells. */
const ROWS_WITH_GAP = 0.06;

interface Column {
  name: string;
  location: number;
  scale: number;
  decimals: number;
  factor: number;
  loading: number;
  weight: number;
}

function gaussian(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    // Box–Muller; 1 - u keeps the logarithm finite.
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

function columns(random: () => number, normal: () => number): Column[] {
  const out: Column[] = [];
  for (let j = 0; j < SYNTHETIC_FEATURES; j++) {
    const scale = 10 ** (random() * 4 - 2); // 0.01 … 100, like WDBC's mix of units
    out.push({
      name: `feature ${String(j + 1).padStart(2, '0')}`,
      location: scale * (2 + 4 * random()),
      scale,
      decimals: Math.min(6, Math.max(0, 3 - Math.floor(Math.log10(scale)))),
      factor: j % FACTORS,
      loading: 0.3 + 0.6 * random(),
      // A third of the features carry signal; the rest are correlated noise.
      weight: j % 3 === 0 ? normal() : 0,
    });
  }
  return out;
}

/** The cached CSV for `rows` rows, generating it first if needed. */
export function syntheticCsv(directory: string, rows: number, seed = 7): string {
  const file = join(directory, `synthetic-v${GENERATOR_VERSION}-seed${seed}-${rows}.csv`);
  if (existsSync(file) && statSync(file).size > 0) return file;
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  writeSynthetic(partial, rows, seed);
  renameSync(partial, file);
  return file;
}

function writeSynthetic(file: string, rows: number, seed: number): void {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const cols = columns(random, normal);
  const intercept = -0.6; // about 36% malignant, like WDBC's 37%
  const fd = openSync(file, 'w');
  try {
    let chunk = `${cols.map((c) => c.name).join(',')},${SYNTHETIC_TARGET}\n`;
    const factors = new Float64Array(FACTORS);
    const cells: string[] = new Array(SYNTHETIC_FEATURES + 1);
    for (let i = 0; i < rows; i++) {
      for (let k = 0; k < FACTORS; k++) factors[k] = normal();
      const gap = random() < ROWS_WITH_GAP ? Math.floor(random() * SYNTHETIC_FEATURES) : -1;
      let logit = intercept;
      for (let j = 0; j < SYNTHETIC_FEATURES; j++) {
        const c = cols[j]!;
        const z = c.loading * factors[c.factor]! + Math.sqrt(1 - c.loading ** 2) * normal();
        logit += c.weight * z;
        cells[j] = j === gap ? '' : (c.location + c.scale * z).toFixed(c.decimals);
      }
      const positive = random() < 1 / (1 + Math.exp(-logit));
      cells[SYNTHETIC_FEATURES] = positive ? SYNTHETIC_POSITIVE : 'benign';
      chunk += `${cells.join(',')}\n`;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

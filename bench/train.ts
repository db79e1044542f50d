// `npm run bench:train`: OncoClear's training against scikit-learn in one run — quality and fit
// speed on WDBC, then whole-process time and memory on synthetic data. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Config, loadConfig } from '../src/config/config.js';
import { loadDataset } from '../src/data/csv.js';
import { type Dataset, selectRows } from '../src/data/dataset.js';
import { sha256 } from '../src/data/fingerprint.js';
import { splitRows } from '../src/data/split.js';
import { fitPreprocessing, transformTable } from '../src/features/preprocess.js';
import { BinaryLogisticRegression } from '../src/model/logistic-model.js';
import { trainOnSplit } from '../src/pipeline/train.js';
import { SYNTHETIC_FEATURES, syntheticCsv } from './synthetic.js';

const HELP = `Usage: npm run bench:train -- [--sizes N,N,...] [--quick]

Benchmarks OncoClear's training against scikit-learn (${'/usr/bin/python3'}) in three sections:
  1. quality on WDBC's seed-42 stratified 80/20 split (accuracy, ROC AUC, log loss)
  2. in-process fit time on WDBC (preprocessing + model), median of repeated fits
  3. whole-process wall time and peak RSS from CSV to artifact on synthetic data

Tables go to stdout and bench/results/latest.md; progress goes to stderr.

Options:
  --sizes LIST  synthetic row counts for section 3 (default: 10000,100000,1000000)
  --quick       same as --sizes 10000,100000
  -h, --help    show this help
`;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results');
const PYTHON = '/usr/bin/python3';
const TIME = '/usr/bin/time';
const SKLEARN = join(ROOT, 'bench', 'sklearn_train.py');
const CLI = join(ROOT, 'bin', 'oncoclear.js');
const SOLVERS = ['newton', 'ml-logistic-regression'] as const;
type Solver = (typeof SOLVERS)[number];
const FIT_REPEATS: Record<Solver, { warmup: number; runs: number }> = {
  newton: { warmup: 5, runs: 20 },
  'ml-logistic-regression': { warmup: 1, runs: 3 },
};
const SKLEARN_REPEATS = 20;
/** Stack for the 1M-row workaround; stays below the usual 8 MiB `ulimit -s`. */

const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);

// ---------------------------------------------------------------------------------------------
// Helpers

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A Markdown table with padded columns; columns after the first are right-aligned. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, 3, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
const ratio = (ours: number, theirs: number) => (theirs === 0 ? '—' : (ours / theirs).toFixed(2));
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

/** Runs a command, failing loudly with its stderr. */
function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr.trim()}`,
    );
  }
  return result.stdout;
}

/** Runs a command under /usr/bin/time: wall seconds, peak RSS in MB and its stdout. */
function timed(command: string, args: string[]): { seconds: number; mb: number; stdout: string } {
  const timeFile = join(RESULTS, 'time.txt');
  const stdout = run(TIME, ['-f', '%e %M', '-o', timeFile, command, ...args]);
  const [seconds, kb] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  rmSync(timeFile, { force: true });
  return { seconds: seconds!, mb: kb! / 1024, stdout };
}

/** The rows written back out as CSV, so scikit-learn fits the very same split. */
function writeCsv(file: string, data: Dataset, target: string): void {
  const p = data.featureNames.length;
  const quote = (name: string) => (/[",]/.test(name) ? `"${name.replaceAll('"', '""')}"` : name);
  const lines = [[...data.featureNames, target].map(quote).join(',')];
  for (let i = 0; i < data.rowCount; i++) {
    const cells: string[] = [];
    for (let j = 0; j < p; j++) {
      const v = data.x[i * p + j]!;
      cells.push(Number.isNaN(v) ? '' : String(v)); // String() round-trips a double exactly
    }
    cells.push(quote(data.classes[data.y[i]!]));
    lines.push(cells.join(','));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

function withSolver(config: Config, solver: Solver): Config {
  return { ...config, training: { ...config.training, solver } };
}

// ---------------------------------------------------------------------------------------------
// Sections

interface SklearnQuality {
  versions: { sklearn: string; pandas: string; numpy: string };
  test: {
    accuracy: number;
    rocAuc: number;
    logLoss: number;
    recall: number;
    specificity: number;
    brier: number;
  };
  iterations: number;
  fitMs: { median: number; runs: number[] };
}

function wdbcSections(): { quality: string; speed: string; versions: SklearnQuality['versions'] } {
  const config = loadConfig(join(ROOT, 'oncoclear.config.json'));
  const dataPath = join(ROOT, config.data.path);
  const data = loadDataset(dataPath, {
    target: config.data.target,
    positiveClass: config.data.positiveClass,
    features: config.data.features,
  });
  const split = splitRows(data.y, config.split);
  const train = selectRows(data, split.train);
  const test = selectRows(data, split.test);
  const splitDir = join(RESULTS, 'wdbc-split');
  mkdirSync(splitDir, { recursive: true });
  const trainCsv = join(splitDir, 'train.csv');
  const testCsv = join(splitDir, 'test.csv');
  writeCsv(trainCsv, train, config.data.target);
  writeCsv(testCsv, test, config.data.target);
  log(`WDBC: wrote the seed-${config.split.seed} split (${train.rowCount}/${test.rowCount} rows)`);

  // Quality, through the same trainOnSplit the CLI uses.
  const source = { dataSha256: sha256(readFileSync(dataPath)), dataPath };
  const context = { commit: null, now: () => new Date(), packageVersion: 'bench' };
  const ours = SOLVERS.map((solver) => {
    log(`WDBC: training ${solver}`);
    const { artifact } = trainOnSplit(withSolver(config, solver), data, split, context, source);
    return { test: artifact.metrics.test, model: artifact.model };
  });
  log(`WDBC: scikit-learn quality and ${SKLEARN_REPEATS} timed fits`);
  const sk = JSON.parse(
    run(PYTHON, [
      SKLEARN,
      '--quality',
      trainCsv,
      testCsv,
      '--repeat',
      String(SKLEARN_REPEATS),
      '--target',
      config.data.target,
      '--positive',
      config.data.positiveClass,
    ]),
  ) as SklearnQuality;

  const [newton, gradient] = ours as [(typeof ours)[0], (typeof ours)[0]];
  const labels = {
    accuracy: 'test accuracy ↑',
    recall: 'test sensitivity ↑',
    specificity: 'test specificity ↑',
    rocAuc: 'test ROC AUC ↑',
    logLoss: 'test log loss ↓',
    brier: 'test Brier score ↓',
  } as const;
  // Ours with its 95% interval (Wilson, DeLong, mean-loss), at the operating threshold (0.5 here).
  const withCi = (m: (typeof ours)[0]['test'], key: keyof typeof labels) => {
    const i = m.intervals?.[key];
    const v = fixed(m[key] as number, 4);
    return i && i[0] !== null && i[1] !== null ? `${v} (${fixed(i[0], 3)}–${fixed(i[1], 3)})` : v;
  };
  const metricRows = (Object.keys(labels) as Array<keyof typeof labels>).map((key) => [
    labels[key],
    withCi(newton.test, key),
    withCi(gradient.test, key),
    fixed(sk.test[key], 4),
    fixed((newton.test[key] as number) / sk.test[key], 3),
  ]);
  const quality = [
    `## 1. Quality on WDBC (seed-${config.split.seed} stratified split: ${train.rowCount} train / ${test.rowCount} test rows)`,
    '',
    table(
      [
        'metric',
        'oncoclear newton',
        'oncoclear ml-logistic-regression',
        'scikit-learn',
        'ratio newton/sklearn',
      ],
      metricRows,
    ),
    '',
    `Iterations: newton ${newton.model.iterations}${newton.model.converged ? '' : ' (not converged)'}, ` +
      `ml-logistic-regression ${gradient.model.iterations} steps at learning rate ${config.training.learningRate}, ` +
      `scikit-learn lbfgs ${sk.iterations}.`,
    `Intervals are 95% (Wilson for proportions, DeLong for ROC AUC, the mean-loss interval for log loss and Brier); sensitivity and specificity are at the operating threshold, ${fixed(newton.test.threshold ?? 0.5, 2)}.`,
    `Goal (newton accuracy and AUC ≥ scikit-learn's): ${verdict(
      newton.test.accuracy >= sk.test.accuracy && newton.test.rocAuc >= sk.test.rocAuc - 1e-12,
    )}. Log loss: lower is better.`,
  ].join('\n');

  // Speed: preprocessing fit + transform + model fit on the training rows, in-process.
  const p = data.featureNames.length;
  const fitOnce = (cfg: Config) => {
    const prep = fitPreprocessing(train.x, train.rowCount, data.featureNames, cfg.preprocessing);
    const xTrain = transformTable(prep, train.x, train.rowCount);
    return BinaryLogisticRegression.train(xTrain, train.y, train.rowCount, p, cfg.training);
  };
  const fitMs = SOLVERS.map((solver) => {
    const { warmup, runs } = FIT_REPEATS[solver];
    log(`WDBC: timing ${solver} (${warmup} warm-up + ${runs} fits)`);
    const cfg = withSolver(config, solver);
    for (let i = 0; i < warmup; i++) fitOnce(cfg);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      fitOnce(cfg);
      times.push(performance.now() - t0);
    }
    return median(times);
  });
  const skMs = sk.fitMs.median;
  const speed = [
    `## 2. Fit time on WDBC (${train.rowCount} rows × ${p} features, preprocessing + model, in-process)`,
    '',
    table(
      ['solver', 'oncoclear ms', 'scikit-learn ms', 'ratio'],
      SOLVERS.map((solver, i) => [
        `${solver} (median of ${FIT_REPEATS[solver].runs})`,
        fixed(fitMs[i]!, 2),
        fixed(skMs, 2),
        ratio(fitMs[i]!, skMs),
      ]),
    ),
    '',
    `scikit-learn: median of ${SKLEARN_REPEATS} \`pipeline.fit\` calls (imputer + scaler + lbfgs), after one warm-up fit.`,
    `Goal (newton within 2× of scikit-learn): ${verdict(fitMs[0]! <= 2 * skMs)}.`,
  ].join('\n');
  return { quality, speed, versions: sk.versions };
}

interface OursJson {
  metrics: { test: { accuracy: number; rocAuc: number } };
  timings: { loadMs: number; fitMs: number; evaluateMs: number };
}
interface SklearnScale {
  test: { accuracy: number; rocAuc: number };
  iterations: number;
  timings: { loadMs: number; fitMs: number; evaluateMs: number };
}

function scaleSection(sizes: number[]): string {
  const scaleDir = join(RESULTS, 'scale');
  mkdirSync(scaleDir, { recursive: true });
  const base = JSON.parse(readFileSync(join(ROOT, 'oncoclear.config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const rows: string[][] = [];
  const notes: string[] = [];
  let allFaster = true;
  let millionMb: number | null = null;
  for (const n of sizes) {
    log(`scale ${n}: preparing the synthetic CSV (cached in bench/results/)`);
    const csv = syntheticCsv(RESULTS, n);
    const configFile = join(scaleDir, `config-${n}.json`);
    const data = (base.data ?? {}) as Record<string, unknown>;
    writeFileSync(
      configFile,
      `${JSON.stringify({ ...base, data: { ...data, path: csv, features: null } }, null, 2)}\n`,
    );
    // Small sizes finish in a second or two, so take the median of three runs of each.
    const repeats = n <= 100_000 ? 3 : 1;
    const oursRuns: { seconds: number; mb: number; json: OursJson }[] = [];
    const skRuns: { seconds: number; mb: number; json: SklearnScale }[] = [];
    for (let r = 0; r < repeats; r++) {
      log(`scale ${n}: oncoclear train (run ${r + 1}/${repeats})`);
      const outDir = join(scaleDir, `out-${n}`);
      const cli = [CLI, 'train', '--config', configFile, '--out', outDir, '--json'];
      // A crash fails the bench: it measures the CLI exactly as shipped.
      const o = timed(process.execPath, cli);
      oursRuns.push({ ...o, json: JSON.parse(o.stdout) as OursJson });
      log(`scale ${n}: scikit-learn (run ${r + 1}/${repeats})`);
      const s = timed(PYTHON, [
        SKLEARN,
        '--scale',
        csv,
        '--out',
        join(scaleDir, `sklearn-${n}.json`),
      ]);
      skRuns.push({ ...s, json: JSON.parse(s.stdout) as SklearnScale });
    }
    const oursS = median(oursRuns.map((r) => r.seconds));
    const skS = median(skRuns.map((r) => r.seconds));
    const oursMb = median(oursRuns.map((r) => r.mb));
    const skMb = median(skRuns.map((r) => r.mb));
    allFaster &&= oursS <= skS;
    if (n === 1_000_000) millionMb = oursMb;
    rows.push([
      n.toLocaleString('en-US'),
      fixed(oursS, 2),
      fixed(skS, 2),
      ratio(oursS, skS),
      fixed(oursMb, 0),
      fixed(skMb, 0),
      ratio(oursMb, skMb),
    ]);
    const o = oursRuns.at(-1)!.json;
    const s = skRuns.at(-1)!.json;
    const phases = (t: { loadMs: number; fitMs: number; evaluateMs: number }) =>
      `load ${fixed(t.loadMs / 1000, 2)} s, fit ${fixed(t.fitMs / 1000, 2)} s, evaluate ${fixed(t.evaluateMs / 1000, 2)} s`;
    notes.push(
      `- ${n.toLocaleString('en-US')} rows${repeats > 1 ? ` (last of ${repeats} runs)` : ''}: ` +
        `oncoclear ${phases(o.timings)}, test accuracy ${fixed(o.metrics.test.accuracy, 4)}, AUC ${fixed(o.metrics.test.rocAuc, 4)}; ` +
        `scikit-learn ${phases(s.timings)}, test accuracy ${fixed(s.test.accuracy, 4)}, AUC ${fixed(s.test.rocAuc, 4)}, ${s.iterations} lbfgs iterations.`,
    );
  }
  return [
    `## 3. Scale: synthetic CSV → artifact, whole process (${SYNTHETIC_FEATURES} features + string target, ~0.2% empty cells)`,
    '',
    table(['rows', 'ours s', 'sklearn s', 'ratio', 'ours MB', 'sklearn MB', 'ratio'], rows),
    '',
    'In-process phases (from each tool\'s own timers; "load" is CSV → arrays, "fit" includes preprocessing):',
    ...notes,
    '',
    `Goal (no slower than scikit-learn at every size): ${verdict(allFaster)}. ` +
      `Goal (< 1 GB at 1,000,000 rows): ${
        millionMb === null ? 'not measured (1,000,000 not in --sizes)' : verdict(millionMb < 1024)
      }.`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

function main(): void {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(HELP);
  const sizes = (values.sizes ?? (values.quick ? '10000,100000' : '10000,100000,1000000'))
    .split(',')
    .map((s) => Number(s.trim().replaceAll('_', '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 100)) {
    throw new Error(`--sizes expects comma-separated row counts ≥ 100, e.g. 10000,100000.`);
  }
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
    throw new Error(
      "dist/cli.js is missing; run 'npm run build' first (npm run bench:train does).",
    );
  }
  mkdirSync(RESULTS, { recursive: true });
  const started = new Date();
  const { quality, speed, versions } = wdbcSections();
  process.stdout.write(`${quality}\n\n${speed}\n\n`);
  const scale = scaleSection(sizes);
  process.stdout.write(`${scale}\n`);

  const cpu = cpus();
  const header = [
    '# Training benchmark: OncoClear vs scikit-learn',
    '',
    `Run ${started.toISOString()} on ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}; ` +
      `Node ${process.version}; scikit-learn ${versions.sklearn}, pandas ${versions.pandas}, numpy ${versions.numpy}. ` +
      'Ratios are oncoclear ÷ scikit-learn. Timings on this machine are noisy; see bench/README.md.',
  ].join('\n');
  const file = join(RESULTS, 'latest.md');
  writeFileSync(file, `${header}\n\n${quality}\n\n${speed}\n\n${scale}\n`);
  log(`wrote ${file}`);
}

main();

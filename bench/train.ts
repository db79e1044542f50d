// `npm run bench:train`: OncoClear's training against scikit-learn in one run — quality and fit
// speed on WDBC, then whole-process time and memory on synthetic data. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Config, loadConfig } from '../src/config/config.js';
import { loadDataset } from '../src/data/csv.js';
import { type Dataset, selectRows } from '../src/data/dataset.js';
import { sha256 } from '../src/data/fingerprint.js';
import { splitRows } from '../src/data/split.js';
import { fitPreprocessing, transformTable } from '../src/features/preprocess.js';
import { trainLogistic } from '../src/model/train-logistic.js';
import { trainOnSplit } from '../src/pipeline/train.js';
import { CLI, log, median, numberTable, PYTHON, RESULTS, ROOT, ratios } from './support.js';
import { SYNTHETIC_FEATURES, syntheticCsv } from './synthetic.js';

const HELP = `Usage: npm run bench:train -- [--sizes N,N,...] [--runs N] [--quick]

Benchmarks OncoClear's training against scikit-learn (${'/usr/bin/python3'}) in three sections:
  1. quality on WDBC's seed-42 stratified 80/20 split (accuracy, ROC AUC, log loss)
  2. in-process fit time on WDBC (preprocessing + model), median of repeated fits
  3. whole-process wall time and peak RSS from CSV to artifact on synthetic data, and a
     per-phase table from each tool's own timers

Tables go to stdout and bench/results/latest.md; progress goes to stderr.

Options:
  --sizes LIST  synthetic row counts for section 3 (default: 10000,100000,1000000,3000000)
  --runs N      interleaved runs of each tool per size; medians, min–max (default: 3)
  --quick       same as --sizes 10000,100000
  -h, --help    show this help
`;

const TIME = '/usr/bin/time';
const SKLEARN = join(ROOT, 'bench', 'sklearn_train.py');
const SOLVERS = ['newton', 'ml-logistic-regression'] as const;
type Solver = (typeof SOLVERS)[number];
const FIT_REPEATS: Record<Solver, { warmup: number; runs: number }> = {
  newton: { warmup: 5, runs: 20 },
  'ml-logistic-regression': { warmup: 1, runs: 3 },
};
const SKLEARN_REPEATS = 20;

// ---------------------------------------------------------------------------------------------
// Helpers

const fixed = (value: number, digits: number) => value.toFixed(digits);
const ratio = (ours: number, theirs: number) => (theirs === 0 ? '—' : (ours / theirs).toFixed(2));
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

/** Runs a command, failing loudly with its stderr. */
function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): { stdout: string; stderr: string } {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, ...env },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr.trim()}`,
    );
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command under /usr/bin/time: wall seconds, peak RSS in MB, its stdout and stderr. */
function timed(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): { seconds: number; mb: number; stdout: string; stderr: string } {
  const timeFile = join(RESULTS, 'time.txt');
  const { stdout, stderr } = run(TIME, ['-f', '%e %M', '-o', timeFile, command, ...args], env);
  const [seconds, kb] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  rmSync(timeFile, { force: true });
  return { seconds: seconds!, mb: kb! / 1024, stdout, stderr };
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
    ]).stdout,
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
    numberTable(
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
    return trainLogistic(xTrain, train.y, train.rowCount, p, cfg.training);
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
    numberTable(
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
  artifact: string;
  metrics: { test: { accuracy: number; rocAuc: number } };
  timings: { loadMs: number; fitMs: number; evaluateMs: number };
}
interface SklearnScale {
  test: { accuracy: number; rocAuc: number };
  iterations: number;
  timings: {
    loadMs: number;
    fitMs: number;
    evaluateMs: number;
    splitMs: number;
    preprocessMs: number;
    modelMs: number;
  };
}
/** What `ONCOCLEAR_PHASE_TIMINGS=1` makes `oncoclear train` write to stderr (src/pipeline/train.ts). */
type Phases = Record<
  | 'loadMs'
  | 'splitMs'
  | 'preprocessMs'
  | 'newtonMs'
  | 'crossValidationMs'
  | 'metricsMs'
  | 'totalMs',
  number
>;

function phasesFrom(stderr: string): Phases {
  const line = stderr.split('\n').find((l) => l.startsWith('{"phaseTimings":'));
  if (!line) throw new Error(`oncoclear train wrote no phase timings; stderr:\n${stderr}`);
  return (JSON.parse(line) as { phaseTimings: Phases }).phaseTimings;
}

/** `median (min–max)` of some values, with `digits` decimals. */
function spread(values: number[], digits: number): string {
  if (values.length === 1) return fixed(values[0]!, digits);
  return `${fixed(median(values), digits)} (${fixed(Math.min(...values), digits)}–${fixed(Math.max(...values), digits)})`;
}

/** The median of the paired ratios ours[i] ÷ theirs[i], with their min–max. */
function pairedRatio(ours: number[], theirs: number[]): { median: number; text: string } {
  const paired = ratios(ours, theirs);
  return { median: median(paired), text: spread(paired, 2) };
}

/**
 * An artifact without its creation time and commit, to compare two runs of the same training:
 * HEAD can move while a bench runs, and lineage records it.
 */
function artifactWithoutTime(file: string): string {
  const artifact = JSON.parse(readFileSync(file, 'utf8')) as {
    lineage: { createdAt: string; commit: string | null };
  };
  artifact.lineage.createdAt = '';
  artifact.lineage.commit = null;
  return JSON.stringify(artifact);
}

function scaleSection(sizes: number[], runs: number): string {
  const scaleDir = join(RESULTS, 'scale');
  mkdirSync(scaleDir, { recursive: true });
  const base = JSON.parse(readFileSync(join(ROOT, 'oncoclear.config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const rows: string[][] = [];
  const phaseTables: string[] = [];
  const notes: string[] = [];
  const goals: string[] = [];
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
    const outDir = join(scaleDir, `out-${n}`);
    const cli = [CLI, 'train', '--config', configFile, '--out', outDir, '--json'];
    const oursRuns: { seconds: number; mb: number; json: OursJson; phases: Phases }[] = [];
    const skRuns: { seconds: number; mb: number; json: SklearnScale }[] = [];
    // Interleaved, so each pair of runs sees about the same machine load; the ratio is per pair.
    for (let r = 0; r < runs; r++) {
      log(`scale ${n}: oncoclear train (run ${r + 1}/${runs})`);
      // A crash fails the bench: it measures the CLI exactly as shipped.
      const o = timed(process.execPath, cli, { ONCOCLEAR_PHASE_TIMINGS: '1' });
      oursRuns.push({ ...o, json: JSON.parse(o.stdout) as OursJson, phases: phasesFrom(o.stderr) });
      log(`scale ${n}: scikit-learn (run ${r + 1}/${runs})`);
      const s = timed(PYTHON, [
        SKLEARN,
        '--scale',
        csv,
        '--out',
        join(scaleDir, `sklearn-${n}.json`),
      ]);
      skRuns.push({ ...s, json: JSON.parse(s.stdout) as SklearnScale });
    }
    const oursS = oursRuns.map((r) => r.seconds);
    const skS = skRuns.map((r) => r.seconds);
    const oursMb = oursRuns.map((r) => r.mb);
    const skMb = skRuns.map((r) => r.mb);
    const time = pairedRatio(oursS, skS);
    const memory = pairedRatio(oursMb, skMb);
    allFaster &&= time.median <= 1;
    if (n === 1_000_000) millionMb = median(oursMb);
    rows.push([
      n.toLocaleString('en-US'),
      spread(oursS, 2),
      spread(skS, 2),
      time.text,
      spread(oursMb, 0),
      spread(skMb, 0),
      memory.text,
    ]);
    if (n >= 1_000_000) {
      goals.push(
        `${n.toLocaleString('en-US')} rows: time ${fixed(time.median, 2)}× (goal ≤ 0.45×) ${verdict(time.median <= 0.45)}, ` +
          `memory ${fixed(memory.median, 2)}× (goal ≤ 0.6×) ${verdict(memory.median <= 0.6)}`,
      );
    }

    // Per phase, from each tool's own timers. scikit-learn has no cross-validation step.
    const ours = (key: keyof Phases) => oursRuns.map((r) => r.phases[key]);
    const sk = (key: keyof SklearnScale['timings'] | null) =>
      key === null ? null : skRuns.map((r) => r.json.timings[key]);
    const phaseRows: Array<[string, number[], number[] | null]> = [
      ['parse CSV + sha256 (sklearn: read_csv + to_numpy)', ours('loadMs'), sk('loadMs')],
      ['split', ours('splitMs'), sk('splitMs')],
      ['impute + scale: fit and transform', ours('preprocessMs'), sk('preprocessMs')],
      ['model fit (newton; sklearn lbfgs)', ours('newtonMs'), sk('modelMs')],
      ['cross-validation (capped rows)', ours('crossValidationMs'), null],
      ['metrics + intervals (sklearn: test scores)', ours('metricsMs'), sk('evaluateMs')],
      ['in-process total', ours('totalMs'), null],
      ['whole process (wall)', oursS.map((v) => v * 1000), skS.map((v) => v * 1000)],
    ];
    phaseTables.push(
      [
        `### ${n.toLocaleString('en-US')} rows, per phase (ms, median (min–max) of ${runs})`,
        '',
        numberTable(
          ['phase', 'oncoclear ms', 'scikit-learn ms', 'paired ratio'],
          phaseRows.map(([name, o, s]) => [
            name,
            spread(o, 0),
            s ? spread(s, 0) : '—',
            s ? pairedRatio(o, s).text : '—',
          ]),
        ),
      ].join('\n'),
    );
    const o = oursRuns.at(-1)!.json;
    const s = skRuns.at(-1)!.json;
    let workersNote = '';
    if (n >= 1_000_000) {
      // Worker threads must not change the artifact: train once more with them off and compare.
      log(`scale ${n}: oncoclear train with ONCOCLEAR_WORKERS=0`);
      const withWorkers = artifactWithoutTime(o.artifact);
      const single = timed(process.execPath, cli, { ONCOCLEAR_WORKERS: '0' });
      const same =
        artifactWithoutTime((JSON.parse(single.stdout) as OursJson).artifact) === withWorkers;
      workersNote = ` With ONCOCLEAR_WORKERS=0: ${fixed(single.seconds, 2)} s, ${fixed(single.mb, 0)} MB, artifact ${same ? 'byte-identical' : 'DIFFERENT'}.`;
      if (!same)
        throw new Error(`${n} rows: the artifact with workers differs from the one without.`);
    }
    notes.push(
      `- ${n.toLocaleString('en-US')} rows: test accuracy ${fixed(o.metrics.test.accuracy, 4)}, AUC ${fixed(o.metrics.test.rocAuc, 4)}; ` +
        `scikit-learn ${fixed(s.test.accuracy, 4)}, AUC ${fixed(s.test.rocAuc, 4)}, ${s.iterations} lbfgs iterations.${workersNote}`,
    );
  }
  return [
    `## 3. Scale: synthetic CSV → artifact, whole process (${SYNTHETIC_FEATURES} features + string target, ~0.2% empty cells)`,
    '',
    `Median (min–max) of ${runs} interleaved runs each; ratios are per pair of runs, then their median (min–max).`,
    '',
    numberTable(['rows', 'ours s', 'sklearn s', 'ratio', 'ours MB', 'sklearn MB', 'ratio'], rows),
    '',
    ...notes,
    '',
    ...phaseTables.flatMap((t) => [t, '']),
    `Goal (no slower than scikit-learn at every size): ${verdict(allFaster)}. ` +
      `Goal (< 1 GB at 1,000,000 rows): ${
        millionMb === null ? 'not measured (1,000,000 not in --sizes)' : verdict(millionMb < 1024)
      }.`,
    ...goals.map((g) => `Goal at ${g}.`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

function main(): void {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      quick: { type: 'boolean', default: false },
      runs: { type: 'string', default: '3' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(HELP);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`--runs is '${values.runs}'; expected a whole number of runs, 1 or more.`);
  }
  const sizes = (values.sizes ?? (values.quick ? '10000,100000' : '10000,100000,1000000,3000000'))
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
  const scale = scaleSection(sizes, runs);
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

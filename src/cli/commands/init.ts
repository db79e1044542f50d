import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type Config, DEFAULT_CONFIG_FILE, loadConfig, parseConfig } from '../../config/config.js';
import { loadDataset, readCsvHeader, splitCsvLine } from '../../data/csv.js';
import { requireBothClasses, splitRows } from '../../data/split.js';
import { fitPreprocessing } from '../../features/preprocess.js';
import {
  LAYOUT_SCHEMA_VERSION,
  MARKER_FILE,
  readRegistryDir,
  writeRegistryFiles,
} from '../../registry/layout.js';
import { CliError, parseCommand, requireAll } from '../args.js';
import { packageVersion } from '../context.js';
import {
  type ConfigJson,
  changedSettings,
  type ExistingConfig,
  freeBackupPath,
  mergeConfig,
  readExistingConfig,
} from './init-config.js';
import { branchNameProblem, literalFilterPattern, yamlQuoted } from './init-filters.js';

/** What init adds to .gitignore: the local registry `pipeline` writes, `train`'s output, npm's. */
const GITIGNORE_LINES = ['.local/', 'out/', 'node_modules/'];

export const INIT_HELP = `Usage: oncoclear init --data CSV --target COLUMN --positive VALUE [--name NAME]
                      [--dir DIR] [--from OWNER/REPO@REF] [--branch NAME] [--force]

Sets up OncoClear in an existing git repository: a validated oncoclear.config.json for the CSV
(every column but the target is a feature), an empty model registry, thin workflows that call
OncoClear's reusable ones, and a README section. Prints the repository settings to turn on.
Running it again changes nothing; it never overwrites a file that differs without --force, and
an existing config keeps every setting but the ones these flags set.

Options:
  --data CSV         training data inside the repository, with a header row
  --target COLUMN    the label column; it must hold exactly two classes
  --positive VALUE   the class to detect (e.g. malignant, yes, 1)
  --name NAME        model name (default: from the CSV's file name)
  --dir DIR          the repository's top level (default: the current directory)
  --from OWNER/REPO@REF
                     where the reusable workflows live, at a release: REF is a tag vX.Y.Z or vX,
                     or a release tag's full commit SHA
                     (default: ${defaultSource() ?? 'none; required, since this build names no repository'})
  --branch NAME      the default branch the workflows run on (default: origin's HEAD, else the
                     only local branch, else git's init.defaultBranch, else main)
  --force            replace existing files that differ (an invalid config is kept as .bak)
  -h, --help         show this help
`;

const CONFIG_FILE = DEFAULT_CONFIG_FILE;
const REGISTRY_DIR = 'registry';
const README_START = '<!-- oncoclear:init -->';
const README_END = '<!-- /oncoclear:init -->';
/** More distinct target values than this are not worth listing: it is not a label column. */
const MAX_LISTED_CLASSES = 10;

/** One file init wants, and what it finds on disk. */
interface PlannedFile {
  path: string;
  content: string;
  state: 'create' | 'up to date' | 'differs';
  /** What writing it does, for the report. */
  action: 'created' | 'replaced' | 'appended to' | 'updated';
  /** Said after the path in the report. */
  note?: string;
}

/** `oncoclear init`: writes the config, registry, workflows and README section for a repository. */
export async function initCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand('init', argv, {
    data: { type: 'string' },
    target: { type: 'string' },
    positive: { type: 'string' },
    name: { type: 'string' },
    dir: { type: 'string', default: '.' },
    from: { type: 'string' },
    branch: { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  if (values.help) return void process.stdout.write(INIT_HELP);
  requireAll('init', {
    '--data': values.data,
    '--target': values.target,
    '--positive': values.positive,
  });
  const data = values.data!;
  const target = values.target!;
  const positive = values.positive!;
  const source = parseSource(values.from ?? defaultSource());
  const root = repositoryRoot(values.dir!);
  const branch = triggerBranch(values.branch, root);
  const dataPath = dataPathInRepository(root, data);

  const existing = readExistingConfig(join(root, CONFIG_FILE), CONFIG_FILE);
  if (existing.state === 'invalid' && !values.force!)
    throw new CliError(
      `Refusing to replace ${CONFIG_FILE}: ${existing.problem} init keeps every setting of a valid config and changes only what its flags set, but cannot read this one. Fix it and run init again, or pass --force to replace it with a new config (init first keeps a copy as ${basename(freeBackupPath(CONFIG_FILE, (path) => existsSync(join(root, path))))}).`,
    );
  const previous = existing.state === 'valid' ? existing.json : undefined;
  const { config, json } = initialConfig(root, dataPath, target, positive, values.name, previous);
  const files = [
    planConfig(json, existing),
    ...callerWorkflows(source, dataPath, branch.name).map(([path, text]) =>
      planFile(root, path, text),
    ),
    planReadme(root, readmeSection(config, source)),
    planGitignore(root),
  ];
  const registry = planRegistry(root);

  const differing = files.filter((f) => f.state === 'differs');
  if (differing.length > 0 && !values.force!) {
    const changes = previous && changedSettings(previous, json);
    const settings = changes?.length
      ? ` (${CONFIG_FILE}: ${changes.join(', ')}; every other setting in it is kept)`
      : '';
    throw new CliError(
      `Refusing to overwrite ${differing.map((f) => f.path).join(', ')}: ${differing.length === 1 ? 'it exists and differs' : 'they exist and differ'} from what init would write${settings}. Pass --force to replace ${differing.length === 1 ? 'it' : 'them'} (README.md: only its OncoClear section).`,
    );
  }

  const report: string[] = [];
  for (const file of files) {
    if (file.state === 'up to date') {
      report.push(`  up to date  ${file.path}`);
      continue;
    }
    const full = join(root, file.path);
    if (file.path === CONFIG_FILE && existing.state === 'invalid') {
      // --force replaces a config init could not read; the owner's words survive beside it.
      const backup = freeBackupPath(full, existsSync);
      writeFileSync(backup, existing.text);
      report.push(`  backed up   ${CONFIG_FILE} as ${basename(backup)} (not a valid config)`);
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, file.content);
    report.push(`  ${file.action.padEnd(11)} ${file.path}${file.note ?? ''}`);
  }
  if (registry !== 'up to date') {
    // With only the marker (or nothing, when the marker is there) writeRegistryFiles adds the
    // layout's own .gitignore beside it.
    const marker = `${JSON.stringify({ schemaVersion: LAYOUT_SCHEMA_VERSION }, null, 2)}\n`;
    writeRegistryFiles(
      join(root, REGISTRY_DIR),
      new Map(registry === 'create' ? [[MARKER_FILE, marker]] : []),
    );
    report.push(`  created     ${REGISTRY_DIR}/ (an empty registry)`);
  } else {
    report.push(`  up to date  ${REGISTRY_DIR}/`);
  }
  // The file as written must load exactly as the train action will load it.
  loadConfig(join(root, CONFIG_FILE));

  const changed = report.some((line) => !line.startsWith('  up to date'));
  const next = changed ? nextStep(root, branch) : 'Everything is up to date; nothing changed.';
  process.stdout.write(`${report.join('\n')}\n\n${next}\n\n${SETTINGS}`);
}

/** The repository settings the workflows rely on, printed after every run. */
const SETTINGS = `Repository settings to turn on (Settings of the repository on GitHub):
  1. Actions → General → Workflow permissions: "Read repository contents" (jobs ask for more).
  2. Actions → General: "Allow GitHub Actions to create and approve pull requests", unless a bot
     opens the promotion PRs (step 3).
  3. A bot, so its commits and PRs start workflows: the variable ONCOCLEAR_APP_CLIENT_ID and the
     secret ONCOCLEAR_APP_PRIVATE_KEY of a GitHub App with Contents, Pull requests and Commit
     statuses read and write, or else the secret ONCOCLEAR_BOT_TOKEN (a fine-grained PAT with the
     same three).
  4. Rules → Rulesets: protect the default branch (a reviewed PR with green checks; the bot may
     bypass), so only approved promotion PRs change production.
  5. After the first release: the ghcr.io package → Package settings → visibility public (or
     grant your users read), so the model image can be pulled.
`;

/**
 * `OWNER/REPO@vX.Y.Z` of this package: its repository field and its own version, so the
 * workflows run exactly the release the CLI comes from. Undefined while package.json names no
 * GitHub repository (a build that was never released): then --from is required.
 */
function defaultSource(): string | undefined {
  const repo = upstreamRepository();
  return repo ? `${repo}@v${packageVersion()}` : undefined;
}

/** `owner/repo` from package.json's repository field, beside the bundle or the source tree. */
function upstreamRepository(): string | undefined {
  for (const candidate of ['../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: string;
        repository?: string | { url?: string };
      };
      if (pkg.name !== 'oncoclear') continue;
      const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
      const match = /github(?:\.com[/:]|:)([\w.-]+\/[\w.-]+?)(?:\.git)?$/.exec(url ?? '');
      if (match) return match[1]!;
    } catch {
      // try the next location
    }
  }
  return undefined;
}

/** A release tag (`v1`, `v1.2.3`, `v1.3.0-rc.1`) or a full commit SHA. */
const RELEASE_REF = /^(v\d+(\.\d+\.\d+(-[0-9A-Za-z.-]+)?)?|[0-9a-f]{40})$/;

/**
 * Parses `--from OWNER/REPO@REF`. Only a release ref works: on a branch such as main the
 * reusable workflows use `./actions/…`, which GitHub resolves in the caller's checkout, so every
 * job would fail; a release tag's commit pins each action to its own version.
 */
function parseSource(value: string | undefined): { repo: string; ref: string } {
  if (value === undefined)
    throw new CliError(
      "--from OWNER/REPO@vX.Y.Z is required: this build of OncoClear names no GitHub repository in its package.json, so init cannot tell which repository's reusable workflows to call. Pass the repository that hosts OncoClear and a release tag, e.g. --from octo/oncoclear@v1.2.3.",
      2,
    );
  const match = /^([\w.-]+\/[\w.-]+)@([\w./-]+)$/.exec(value);
  if (!match)
    throw new CliError(
      `Invalid --from '${value}'. Expected format OWNER/REPO@REF, e.g. ${defaultSource() ?? 'octo/oncoclear@v1.2.3'}.`,
      2,
    );
  const ref = match[2]!;
  if (!RELEASE_REF.test(ref))
    throw new CliError(
      `--from ref '${ref}' is not a release: expected a tag vX.Y.Z or vX, or a release tag's full 40-character commit SHA. At a branch the reusable workflows run './actions/…' from your checkout, where they do not exist.`,
      2,
    );
  return { repo: match[1]!, ref };
}

/** The top level of the git work tree at `dir`; refuses anything else. */
function repositoryRoot(dir: string): string {
  if (!existsSync(dir)) throw new CliError(`Directory '${dir}' does not exist.`, 2);
  let top: string;
  try {
    top = execFileSync('git', ['rev-parse', '--show-toplevel'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {
    throw new CliError(
      `'${resolve(dir)}' is not in a git repository; expected one (run 'git init' there, or pass --dir with a repository). The workflows init writes run from the repository on GitHub.`,
    );
  }
  if (realpathSync(top) !== realpathSync(dir))
    throw new CliError(
      `'${resolve(dir)}' is inside the git repository '${top}' but not its top level; run init at the top level (or pass --dir '${top}'), where GitHub looks for .github/workflows.`,
    );
  return realpathSync(top);
}

/** The branch the workflows trigger on, and whether init had to guess it. */
interface TriggerBranch {
  name: string;
  /** Neither --branch, origin's HEAD nor the repository's only branch named it. */
  guessed: boolean;
}

/**
 * The branch the workflows trigger on, --branch or else the default, refused unless git would
 * take it as a branch name: it is written into every caller's `branches:` filter.
 */
function triggerBranch(flag: string | undefined, root: string): TriggerBranch {
  const branch = flag === undefined ? defaultBranch(root) : { name: flag, guessed: false };
  const problem = branchNameProblem(branch.name);
  if (problem === undefined) return branch;
  throw new CliError(
    flag === undefined
      ? `The default branch ${JSON.stringify(branch.name)} is not a valid branch name (${problem}); expected a name git accepts (git check-ref-format --branch). Pass --branch NAME.`
      : `Invalid --branch ${JSON.stringify(branch.name)}: ${problem}; expected a branch name git accepts (git check-ref-format --branch), e.g. main.`,
    2,
  );
}

/** Runs git in `root` without a shell; '' when it fails. */
function gitOutput(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return '';
  }
}

/** The repository's local branches, by name. */
function localBranches(root: string): string[] {
  return gitOutput(root, ['for-each-ref', '--format=%(refname)', 'refs/heads/'])
    .split('\n')
    .filter((ref) => ref.startsWith('refs/heads/'))
    .map((ref) => ref.slice('refs/heads/'.length));
}

/**
 * The branch the workflows trigger on: origin's default branch when the clone knows it; else the
 * repository's only branch, since without an origin the one branch there is is the default,
 * whatever init.defaultBranch says now (`master` from an older git or `git init -b`); before
 * the first commit, the unborn branch HEAD names if `git init` would have named it so; else git's
 * init.defaultBranch, else main, both guesses. Not the branch checked out when there are several,
 * or a new one before the first commit: init is often run on a feature branch, and its name in
 * `branches:` would stop every workflow once that branch is merged.
 */
function defaultBranch(root: string): TriggerBranch {
  const head = gitOutput(root, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']);
  if (head.startsWith('origin/')) return { name: head.slice('origin/'.length), guessed: false };
  const branches = localBranches(root);
  if (branches.length === 1) return { name: branches[0]!, guessed: false };
  const configured = gitOutput(root, ['config', 'init.defaultBranch']);
  const unborn = gitOutput(root, ['symbolic-ref', '--quiet', 'HEAD']).replace(/^refs\/heads\//, '');
  // git names a new repository's branch init.defaultBranch, else master (main from git 3.0).
  const initial = configured ? [configured] : ['master', 'main'];
  if (branches.length === 0 && initial.includes(unborn)) return { name: unborn, guessed: false };
  return { name: configured || 'main', guessed: true };
}

/**
 * What to do next: push, or merge into the branch the workflows run on. When init guessed that
 * branch and no such branch exists, the flag that names the right one.
 */
function nextStep(root: string, branch: TriggerBranch): string {
  const current = currentBranch(root);
  const step =
    current === branch.name
      ? `Commit these files and push to ${branch.name}.`
      : `Commit these files and merge them into ${branch.name}: the workflows run on ${branch.name}, not on ${current}.`;
  const branches = localBranches(root);
  if (!branch.guessed || branches.includes(branch.name)) return step;
  const listed = branches.slice(0, 5).join(', ') + (branches.length > 5 ? ', …' : '');
  const example = branches.includes('master') ? 'master' : 'NAME';
  return `${step} No branch ${branch.name} exists here (${branches.length ? `local branches: ${listed}` : 'no local branches'}) and origin names no default branch, so init guessed it: if the repository's default branch is another, run init again with --branch ${example} --force.`;
}

/** The branch checked out, or main on a detached HEAD. */
function currentBranch(root: string): string {
  return gitOutput(root, ['branch', '--show-current']) || 'main';
}

/** The CSV's path relative to the repository root, POSIX-style; it must lie inside. */
function dataPathInRepository(root: string, data: string): string {
  // A relative --data is taken from the current directory, else from the repository.
  const file = existsSync(data) ? data : isAbsolute(data) ? data : join(root, data);
  if (!existsSync(file))
    throw new CliError(`Data file '${data}' not found; expected a CSV with a header row.`, 2);
  const inside = relative(root, realpathSync(file));
  if (!inside || inside.startsWith('..') || isAbsolute(inside))
    throw new CliError(
      `Data file '${data}' is outside the repository '${root}'; copy it in (e.g. to data/) first, so the workflows can train on it.`,
      2,
    );
  return inside.split(sep).join('/');
}

/**
 * Checks the CSV and builds the config: the existing one with what the flags set (mergeConfig),
 * or a new one where every column but the target is a feature.
 */
function initialConfig(
  root: string,
  dataPath: string,
  target: string,
  positive: string,
  name: string | undefined,
  existing: ConfigJson | undefined,
): { config: Config; json: ConfigJson } {
  const file = join(root, dataPath);
  let header: string[];
  try {
    header = readCsvHeader(file);
  } catch (error) {
    // A directory or an unreadable file: a problem with --data, exit 2 as the checks below.
    throw new CliError(error instanceof Error ? error.message : String(error), 2);
  }
  // As training words them (src/data/csv.ts), rather than as a missing column or zero classes.
  if (header.length === 1 && header[0] === '')
    throw new CliError(`${dataPath} is empty; expected a header row of column names.`, 2);
  if (!header.includes(target))
    throw new CliError(
      `${dataPath}: no column '${target}'; the header has ${header.map((h) => `'${h}'`).join(', ')}.`,
      2,
    );
  const classes = targetClasses(file, header.indexOf(target));
  if (classes.length === 0 && !hasDataRows(file))
    throw new CliError(`${dataPath} has a header but no data rows.`, 2);
  if (classes.length !== 2) {
    const listed = classes.slice(0, MAX_LISTED_CLASSES).map((c) => `'${c}'`);
    const more = classes.length > MAX_LISTED_CLASSES ? ', …' : '';
    const found = `${dataPath}: column '${target}' has ${classes.length > MAX_LISTED_CLASSES ? `more than ${MAX_LISTED_CLASSES}` : classes.length} ${classes.length === 1 ? 'class' : 'classes'} (${listed.join(', ')}${more}); expected exactly two.`;
    if (classes.length < 2)
      throw new CliError(`${found} A model needs examples of both classes.`, 2);
    const one = classes.includes(positive) ? positive : classes[0]!;
    const column = `is_${slug(one, '_') || 'positive'}`;
    throw new CliError(
      `${found} OncoClear trains a binary classifier; for more classes, build a one-against-the-rest target: add a column '${column}' that is 'yes' where ${target} is '${one}' and 'no' elsewhere, drop '${target}', and pass --target ${column} --positive yes.`,
      2,
    );
  }
  if (!classes.includes(positive))
    throw new CliError(
      `${dataPath}: positive class '${positive}' never appears in column '${target}'; found ${classes.map((c) => `'${c}'`).join(' and ')}.`,
      2,
    );
  const json = mergeConfig(existing, {
    dataPath,
    target,
    positiveClass: positive,
    name,
    defaultName: slug(basename(dataPath).replace(/\.[^.]*$/, ''), '-') || 'model',
    registryPath: REGISTRY_DIR,
  });
  let config: Config;
  try {
    config = parseConfig(json, '(from init)');
  } catch (error) {
    const hint = name === undefined && existing === undefined;
    throw new CliError(
      `${(error as Error).message}${hint ? ' Pass --name with a lowercase name.' : ''}`,
      2,
    );
  }
  checkTrainable(file, config);
  return { config, json };
}

/**
 * Reads every row, splits them and fits the preprocessing on the training part with training's
 * own functions, so data that training would refuse (a non-numeric cell, a feature with no value
 * in the training rows) fails here, before init writes anything, rather than in CI.
 */
function checkTrainable(file: string, config: Config): void {
  const { data: settings, split, preprocessing } = config;
  try {
    const data = loadDataset(file, settings);
    const rows = splitRows(data.y, split);
    requireBothClasses(data.y, rows, data.classes, split);
    fitPreprocessing(data.x, rows.train.length, data.featureNames, preprocessing, rows.train);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const every =
      settings.features === null
        ? 'init makes every column but the target a feature;'
        : `${CONFIG_FILE} lists it in data.features;`;
    // Exit code 2, as init's other checks of the data it was given.
    if (/is not a number/.test(message))
      throw new CliError(`${message} ${every} drop or encode non-numeric columns first.`, 2);
    if (/has no values in the training rows/.test(message))
      throw new CliError(`${settings.path}: ${message} ${every} drop the empty column first.`, 2);
    // Data errors name their file already; the split's do not.
    throw new CliError(message.includes(file) ? message : `${settings.path}: ${message}`, 2);
  }
}

/** The distinct values of one column, in order of appearance; stops counting past a dozen. */
function targetClasses(file: string, column: number): string[] {
  const seen = new Set<string>();
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  for (let i = 1; i < lines.length && seen.size <= MAX_LISTED_CLASSES; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const value = splitCsvLine(line, file, i + 1)[column]?.trim() ?? '';
    if (value !== '') seen.add(value);
  }
  return [...seen];
}

/** Whether any line after the header has something on it. */
function hasDataRows(file: string): boolean {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .some((line) => line.trim() !== '');
}

/** Lowercase letters and digits joined by `joiner`: `Iris Setosa` → `iris-setosa`. */
function slug(text: string, joiner: '-' | '_'): string {
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return words.join(joiner).slice(0, 63);
}

/**
 * The reusable workflows an adopting repository calls, and what each caller grants: the union of
 * the permissions the called jobs ask for (GitHub refuses a call that grants less). This
 * repository's own callers (.github/workflows/{train,promote,release,rollback}.yml) grant the
 * same; tests/workflows/callers.test.ts checks both against the reusable workflows.
 */
export const REUSABLE_CALLS = {
  'oncoclear-train.yml': {
    title: 'OncoClear train',
    what: 'A push that changes the data or the config trains a candidate.',
    permissions: { contents: 'write', 'pull-requests': 'write', statuses: 'write' },
  },
  'oncoclear-promote.yml': {
    title: 'OncoClear promote',
    what: 'Approving a promotion PR merges it and releases the model.',
    permissions: {
      contents: 'write',
      'pull-requests': 'write',
      statuses: 'write',
      packages: 'write',
      'id-token': 'write',
      attestations: 'write',
    },
  },
  'oncoclear-release.yml': {
    title: 'OncoClear release',
    what: 'A push that changes production (or a manual run) releases the model image.',
    permissions: {
      contents: 'write',
      packages: 'write',
      'id-token': 'write',
      attestations: 'write',
    },
  },
  'oncoclear-rollback.yml': {
    title: 'OncoClear rollback',
    what: 'Run it from the Actions tab to open a rollback PR.',
    permissions: { contents: 'write', 'pull-requests': 'write', statuses: 'write' },
  },
} as const satisfies Record<
  string,
  { title: string; what: string; permissions: Record<string, 'read' | 'write'> }
>;

export type ReusableWorkflow = keyof typeof REUSABLE_CALLS;

/** The job of a caller workflow: its permissions, the call, the inputs and the two secrets. */
export function callerJob(
  job: string,
  workflow: ReusableWorkflow,
  uses: string,
  inputs: Record<string, string>,
): string {
  const permissions = Object.entries(REUSABLE_CALLS[workflow].permissions)
    .map(([scope, level]) => `      ${scope}: ${level}\n`)
    .join('');
  const withLines = Object.entries(inputs)
    .map(([key, value]) => `      ${key}: ${value}\n`)
    .join('');
  return `jobs:
  ${job}:
    permissions:
${permissions}    uses: ${uses}
    with:
${withLines}    secrets:
      ONCOCLEAR_BOT_TOKEN: \${{ secrets.ONCOCLEAR_BOT_TOKEN }}
      ONCOCLEAR_APP_PRIVATE_KEY: \${{ secrets.ONCOCLEAR_APP_PRIVATE_KEY }}
`;
}

/** `${{ code }}`, a workflow expression. */
const expression = (code: string) => `\${{ ${code} }}`;

/** The dispatch inputs a rollback caller asks for, as it forwards them. */
const ROLLBACK_DISPATCH = `  workflow_dispatch:
    inputs:
      version:
        description: Version to roll back to (empty = the previous production version).
        type: string
        required: false
        default: ''
      reason:
        description: Why (recorded in the registry history).
        type: string
        required: true
`;

const RELEASE_DISPATCH = `  workflow_dispatch:
    inputs:
      version:
        description: Production version to release (empty = current production).
        type: string
        required: false
        default: ''
`;

/**
 * The thin caller workflows (path, text): triggers and permissions here, the jobs in OncoClear's
 * workflows. `dataPath` and `branch` are literal names: they are escaped as filter patterns and
 * quoted, so `x]y`, `a,b` or a name with a newline is one branch, matched as itself.
 */
export function callerWorkflows(
  source: { repo: string; ref: string },
  dataPath: string,
  branch: string,
): [string, string][] {
  const uses = (name: ReusableWorkflow) => `${source.repo}/.github/workflows/${name}@${source.ref}`;
  const branches = `[${yamlQuoted(literalFilterPattern(branch))}]`;
  const file = (
    name: ReusableWorkflow,
    on: string,
    job: string,
    inputs: Record<string, string>,
  ) => {
    const { title, what } = REUSABLE_CALLS[name];
    return [
      `.github/workflows/${name}`,
      `# Written by 'oncoclear init'. ${what}\n# The jobs live in ${source.repo}'s reusable workflow at ${source.ref}; change the ref to upgrade.\nname: ${title}\n\non:\n${on}\npermissions: {}\n\n${callerJob(job, name, uses(name), { config: CONFIG_FILE, ...inputs })}`,
    ] as [string, string];
  };
  return [
    file(
      'oncoclear-train.yml',
      `  push:\n    branches: ${branches}\n    paths:\n      - ${yamlQuoted(literalFilterPattern(dataPath))}\n      - ${CONFIG_FILE}\n  workflow_dispatch:\n`,
      'train',
      {},
    ),
    file(
      'oncoclear-promote.yml',
      '  pull_request_review:\n    types: [submitted]\n',
      'promote',
      {},
    ),
    // A promotion merged with a bot token is a push, which starts no workflow_call: this caller
    // releases it. Only promotions and rollbacks rewrite a production file.
    file(
      'oncoclear-release.yml',
      `${RELEASE_DISPATCH}  push:\n    branches: ${branches}\n    paths:\n      - ${REGISTRY_DIR}/*/production.json\n`,
      'release',
      { version: expression('inputs.version') },
    ),
    file('oncoclear-rollback.yml', ROLLBACK_DISPATCH, 'rollback', {
      version: expression('inputs.version'),
      reason: expression('inputs.reason'),
    }),
  ];
}

/** The README section, between markers so a re-run finds it. */
function readmeSection(config: Config, source: { repo: string; ref: string }): string {
  const { data, model } = config;
  return `${README_START}
## Model lifecycle

This repository trains **${model.name}**, a classifier that detects \`${data.positiveClass}\` in
the column \`${data.target}\` of [\`${data.path}\`](${encodeURI(data.path)}), with
[OncoClear](https://github.com/${source.repo}) (${source.ref}); the settings are in
[\`${CONFIG_FILE}\`](${CONFIG_FILE}) and every registered version is in [\`${REGISTRY_DIR}/\`](${REGISTRY_DIR}/).

1. A push that changes the data or the config trains a candidate and registers it
   (**OncoClear train**). When it beats production, a promotion PR shows the evidence.
2. Approving that PR promotes the version and releases a serving image (**OncoClear promote**;
   **OncoClear release** rebuilds it by hand or when a bot's merge changes production).
3. **OncoClear rollback** (Actions tab) opens a PR that puts an earlier version back.

Locally: \`npx oncoclear pipeline\` trains, compares and registers a candidate in the git-ignored
\`.local/registry\`, and \`npx oncoclear serve --registry .local/registry\` serves its production
version on port 8000.
${README_END}
`;
}

/**
 * The config against the one on disk: up to date when it holds the same settings, however it is
 * formatted, so a re-run that changes nothing in it leaves the owner's layout alone.
 */
function planConfig(json: ConfigJson, existing: ExistingConfig): PlannedFile {
  const path = CONFIG_FILE;
  const content = `${JSON.stringify(json, null, 2)}\n`;
  if (existing.state === 'none') return { path, content, state: 'create', action: 'created' };
  if (existing.state === 'valid' && isDeepStrictEqual(existing.json, json))
    return { path, content: existing.text, state: 'up to date', action: 'replaced' };
  return { path, content, state: 'differs', action: 'replaced' };
}

/** Compares one wanted file with the disk. */
function planFile(root: string, path: string, content: string): PlannedFile {
  const full = join(root, path);
  if (!existsSync(full)) return { path, content, state: 'create', action: 'created' };
  const same = readFileSync(full, 'utf8') === content;
  return { path, content, state: same ? 'up to date' : 'differs', action: 'replaced' };
}

/** README.md gains the section, or has it replaced with --force; the rest is never touched. */
function planReadme(root: string, lfSection: string): PlannedFile {
  let section = lfSection;
  const path = 'README.md';
  const full = join(root, path);
  if (!existsSync(full)) return { path, content: section, state: 'create', action: 'created' };
  const text = readFileSync(full, 'utf8');
  // A README written with CRLF line ends gets the section with CRLF too, not mixed endings.
  if (/\r\n/.test(text) && !/(^|[^\r])\n/.test(text)) section = section.replace(/\n/g, '\r\n');
  const nl = section.includes('\r\n') ? '\r\n' : '\n';
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END, start);
  if (start < 0 || end < 0) {
    const gap = text === '' || text.endsWith(nl + nl) ? '' : text.endsWith(nl) ? nl : nl + nl;
    // Adding a section overwrites nothing, so it needs no --force.
    return { path, content: `${text}${gap}${section}`, state: 'create', action: 'appended to' };
  }
  const old = text.slice(start, end + README_END.length + nl.length);
  const content = `${text.slice(0, start)}${section}${text.slice(end + README_END.length + nl.length)}`;
  return {
    path,
    content,
    state: old === section ? 'up to date' : 'differs',
    action: 'updated',
    note: ' (its OncoClear section; the rest is kept)',
  };
}

/** .gitignore gains the lines it lacks; nothing in it is removed or reordered. */
function planGitignore(root: string): PlannedFile {
  const path = '.gitignore';
  const full = join(root, path);
  const text = existsSync(full) ? readFileSync(full, 'utf8') : '';
  const present = new Set(text.split(/\r?\n/).map((line) => line.trim()));
  const missing = GITIGNORE_LINES.filter((line) => !present.has(line) && !present.has(`/${line}`));
  if (missing.length === 0)
    return { path, content: text, state: 'up to date', action: 'appended to' };
  const gap = text === '' || text.endsWith('\n') ? '' : '\n';
  const content = `${text}${gap}# OncoClear: the local registry, train's output, npm's packages\n${missing.join('\n')}\n`;
  // Adding lines overwrites nothing, so it needs no --force.
  return { path, content, state: 'create', action: existsSync(full) ? 'appended to' : 'created' };
}

/** An existing registry is kept as it is (it may hold versions); a broken one is an error. */
function planRegistry(root: string): 'create' | 'add .gitignore' | 'up to date' {
  const dir = join(root, REGISTRY_DIR);
  if (!existsSync(join(dir, MARKER_FILE))) return 'create';
  readRegistryDir(dir);
  return existsSync(join(dir, '.gitignore')) ? 'up to date' : 'add .gitignore';
}

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export interface ActionRun {
  exitCode: number;
  outputs: Record<string, string>;
  summary: string;
  stdout: string;
  stderr: string;
  /** `::error::` / `::warning::` commands the action printed. */
  errors: string[];
  warnings: string[];
}

export interface RunActionOptions {
  inputs?: Record<string, string>;
  /** Working directory, also GITHUB_WORKSPACE. */
  workspace: string;
  env?: Record<string, string>;
  /** Written to a file and passed as GITHUB_EVENT_PATH. */
  event?: unknown;
  /**
   * The action's directory (its action.yml and bundle), e.g. one extracted from a pinned commit
   * of another repository; defaults to this working tree's actions/<name>.
   */
  actionDir?: string;
}

interface ActionManifest {
  inputs?: Record<string, { default?: string; required?: boolean }>;
  runs: { using: string; main: string };
}

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Runs a committed action bundle the way the runner does: `node dist/index.js` with INPUT_* for
 * every input (action.yml defaults filled in, `${{ github.token }}` replaced by GITHUB_TOKEN) and
 * GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_EVENT_PATH pointing at files we read back.
 */
export async function runActionBundle(name: string, options: RunActionOptions): Promise<ActionRun> {
  const actionDir = options.actionDir ?? join(ROOT, 'actions', name);
  const manifest = parse(readFileSync(join(actionDir, 'action.yml'), 'utf8')) as ActionManifest;
  const files = mkdtempSync(join(tmpdir(), `oncoclear-action-${name}-`));
  const output = join(files, 'output');
  const summary = join(files, 'summary');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? files,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_WORKSPACE: options.workspace,
    RUNNER_TEMP: files,
    ...options.env,
  };
  if (options.event !== undefined) {
    const eventPath = join(files, 'event.json');
    writeFileSync(eventPath, JSON.stringify(options.event));
    env.GITHUB_EVENT_PATH = eventPath;
  }
  for (const [input, spec] of Object.entries(manifest.inputs ?? {})) {
    let value = options.inputs?.[input] ?? spec.default ?? '';
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal action.yml default
    if (value === '${{ github.token }}') value = env.GITHUB_TOKEN ?? '';
    env[`INPUT_${input.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  for (const input of Object.keys(options.inputs ?? {})) {
    if (!manifest.inputs?.[input])
      throw new Error(
        `${options.actionDir ? join(actionDir, 'action.yml') : `actions/${name}/action.yml`} has no input '${input}'`,
      );
  }
  const main = join(actionDir, manifest.runs.main);
  const { exitCode, stdout, stderr } = await new Promise<{
    exitCode: number;
    stdout: string;
    stderr: string;
  }>((done) => {
    const child = spawn(process.execPath, [main], { cwd: options.workspace, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => done({ exitCode: code ?? 1, stdout: out, stderr: err }));
  });
  const result = {
    exitCode,
    outputs: parseOutputFile(readFileSync(output, 'utf8')),
    summary: readFileSync(summary, 'utf8'),
    stdout,
    stderr,
    errors: commands(stdout, 'error'),
    warnings: commands(stdout, 'warning'),
  };
  // RUNNER_TEMP and the command files live as long as the job, like on a runner.
  rmSync(files, { recursive: true, force: true });
  return result;
}

/** Parses the `name<<DELIMITER … DELIMITER` blocks @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (m) {
      const [, key, delimiter] = m;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      outputs[key!] = value.join('\n');
    } else if (lines[i]!.includes('=')) {
      const [key, ...rest] = lines[i]!.split('=');
      outputs[key!] = rest.join('=');
    }
  }
  return outputs;
}

function commands(stdout: string, kind: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(`::${kind}`))
    .map((l) =>
      l
        .replace(/^::[a-z]+[^:]*::/, '')
        .replace(/%0A/g, '\n')
        .replace(/%25/g, '%'),
    );
}

import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  callerWorkflows,
  REUSABLE_CALLS,
  type ReusableWorkflow,
} from '../../src/cli/commands/init.js';

const root = resolve(import.meta.dirname, '../..');
const dir = resolve(root, '.github/workflows');

interface Job {
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, unknown> | 'inherit';
  permissions?: Record<string, string>;
}
interface Workflow {
  on?: { workflow_call?: { inputs?: Record<string, { required?: boolean }>; secrets?: object } };
  jobs: Record<string, Job>;
}

const load = (text: string) => parse(text) as Workflow;
const reusable = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.startsWith('oncoclear-'))
    .map((f) => [f, load(readFileSync(resolve(dir, f), 'utf8'))]),
) as Record<string, Workflow>;

/** The most each scope is granted by any job of a workflow (write beats read). */
function askedFor(workflow: Workflow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const job of Object.values(workflow.jobs)) {
    for (const [scope, level] of Object.entries(job.permissions ?? {})) {
      if (level === 'write' || out[scope] === undefined) out[scope] = level;
    }
  }
  return out;
}

/** What is wrong with one job's call of a reusable workflow: empty when GitHub would run it. */
function callProblems(job: Job, callee: Workflow): string[] {
  const call = callee.on?.workflow_call;
  if (!call) return ['the callee has no on.workflow_call'];
  const declared = call.inputs ?? {};
  const given = Object.keys(job.with ?? {});
  const problems = [
    ...given.filter((k) => !(k in declared)).map((k) => `input "${k}" is not declared`),
    ...Object.entries(declared)
      .filter(([k, d]) => d.required && !given.includes(k))
      .map(([k]) => `required input "${k}" is missing`),
  ];
  const secrets = job.secrets === 'inherit' ? [] : Object.keys(job.secrets ?? {});
  const declaredSecrets = Object.keys(call.secrets ?? {});
  problems.push(
    ...secrets
      .filter((s) => !declaredSecrets.includes(s))
      .map((s) => `secret "${s}" is not declared`),
    ...declaredSecrets
      .filter((s) => !secrets.includes(s))
      .map((s) => `secret "${s}" is not passed`),
  );
  const granted = job.permissions ?? {};
  for (const [scope, level] of Object.entries(askedFor(callee))) {
    const has = granted[scope];
    if (has !== 'write' && has !== level)
      problems.push(`grants ${scope}: ${has ?? 'none'}, the callee asks for ${level}`);
  }
  return problems;
}

/** Each job of a workflow that calls one of the reusable workflows, with the callee's file. */
function calls(workflow: Workflow): { job: string; file: ReusableWorkflow; call: Job }[] {
  return Object.entries(workflow.jobs).flatMap(([job, call]) => {
    const file = /\.github\/workflows\/(oncoclear-[\w-]+\.yml)(?:@|$)/.exec(call.uses ?? '')?.[1];
    return file ? [{ job, file: file as ReusableWorkflow, call }] : [];
  });
}

describe('callers of the reusable workflows', () => {
  it('each reusable workflow is only workflow_call and is described once for callers', () => {
    expect(Object.keys(reusable).sort()).toEqual(Object.keys(REUSABLE_CALLS).sort());
    for (const [file, workflow] of Object.entries(reusable)) {
      expect(Object.keys(workflow.on ?? {}), file).toEqual(['workflow_call']);
      // The caller description grants exactly what the callee's jobs ask for.
      expect(REUSABLE_CALLS[file as ReusableWorkflow].permissions, file).toEqual(
        askedFor(workflow),
      );
    }
  });

  const own = ['train.yml', 'promote.yml', 'release.yml', 'rollback.yml'];
  for (const file of [...own, ...Object.keys(reusable)]) {
    const workflow = load(readFileSync(resolve(dir, file), 'utf8'));
    for (const { job, file: callee, call } of calls(workflow)) {
      it(`${file} job "${job}" calls ${callee} with declared inputs, secrets and enough permissions`, () => {
        expect(call.uses).toBe(`./.github/workflows/${callee}`);
        expect(callProblems(call, reusable[callee]!)).toEqual([]);
        if (own.includes(file))
          expect(call.permissions).toEqual(REUSABLE_CALLS[callee].permissions);
      });
    }
  }

  it('this repository calls every reusable workflow through a thin caller', () => {
    const called = own.flatMap((f) => calls(load(readFileSync(resolve(dir, f), 'utf8'))));
    expect(called.map((c) => c.file).sort()).toEqual(Object.keys(REUSABLE_CALLS).sort());
  });

  it("oncoclear init's callers call each reusable workflow the same way", () => {
    const files = callerWorkflows({ repo: 'acme/oncoclear', ref: 'v1' }, 'data/x.csv', 'main');
    expect(files.map(([path]) => path).sort()).toEqual(
      Object.keys(REUSABLE_CALLS)
        .map((f) => `.github/workflows/${f}`)
        .sort(),
    );
    for (const [path, text] of files) {
      const found = calls(load(text));
      expect(found, path).toHaveLength(1);
      const { file, call } = found[0]!;
      expect(call.uses).toBe(`acme/oncoclear/.github/workflows/${file}@v1`);
      expect(callProblems(call, reusable[file]!), path).toEqual([]);
    }
  });

  it('finds a call that would fail: an undeclared input, a missing secret, too few permissions', () => {
    const call: Job = {
      uses: './.github/workflows/oncoclear-rollback.yml',
      with: { config: 'x', colour: 'red' },
      secrets: { ONCOCLEAR_BOT_TOKEN: 'x' },
      permissions: { contents: 'write' },
    };
    expect(callProblems(call, reusable['oncoclear-rollback.yml']!)).toEqual([
      'input "colour" is not declared',
      'required input "reason" is missing',
      'secret "ONCOCLEAR_APP_PRIVATE_KEY" is not passed',
      'grants pull-requests: none, the callee asks for write',
      'grants statuses: none, the callee asks for write',
    ]);
  });
});

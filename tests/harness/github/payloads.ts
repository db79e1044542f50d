/**
 * Webhook event payloads for tests, taken from the real payloads recorded in
 * `@octokit/webhooks-examples` and adjusted to the scenario under test. Only the fields named
 * in the overrides change; everything else stays as GitHub sent it, so code under test sees
 * the real shape (including fields it might not expect).
 */
import { createRequire } from 'node:module';
import type {
  PullRequestEvent,
  PullRequestReviewSubmittedEvent,
  PushEvent,
} from '@octokit/webhooks-types';

interface WebhookDefinition {
  name: string;
  actions: string[];
  examples: Array<Record<string, unknown>>;
}

/** The login, repository and sha every recorded example uses. */
const EXAMPLE_OWNER = 'Codertocat';
const EXAMPLE_REPO = 'Hello-World';

let definitions: WebhookDefinition[] | undefined;

function loadDefinitions(): WebhookDefinition[] {
  // The package's main entry is `api.github.com/index.json`: every event with its examples.
  definitions ??= createRequire(import.meta.url)(
    '@octokit/webhooks-examples',
  ) as WebhookDefinition[];
  return definitions;
}

/**
 * A deep copy of the first recorded example of an event (and action, when given), unchanged.
 * Throws when the package has no such example.
 */
export function webhookExample<T = Record<string, unknown>>(
  event: string,
  action?: string,
  matches: (payload: Record<string, unknown>) => boolean = () => true,
): T {
  const definition = loadDefinitions().find((d) => d.name === event);
  const example = definition?.examples.find(
    (e) => (action === undefined || e.action === action) && matches(e),
  );
  if (!example) throw new Error(`No recorded ${event}${action ? `.${action}` : ''} example`);
  return structuredClone(example) as T;
}

/** Scenario values to write into a payload; anything omitted keeps the recorded value. */
export interface PayloadOverrides {
  /** Repository owner login (also the owner of head/base repos). */
  owner?: string;
  /** Repository name. */
  repo?: string;
  /** Default branch reported on repository objects. */
  defaultBranch?: string;
  /** Pull request number. */
  number?: number;
  title?: string;
  body?: string | null;
  /** Login of the pull request author. */
  author?: string;
  headRef?: string;
  headSha?: string;
  baseRef?: string;
  baseSha?: string;
  /** Names of the labels on the pull request. */
  labels?: string[];
  /** Login of whoever triggered the event. */
  sender?: string;
}

/** Overrides for review payloads. */
export interface ReviewOverrides extends PayloadOverrides {
  /** Login of the reviewer. */
  reviewer?: string;
  /** Webhook spelling (lower case), unlike the REST API's `APPROVED`. */
  reviewState?: 'approved' | 'changes_requested' | 'commented' | 'dismissed';
  reviewBody?: string | null;
}

/** Overrides for push payloads. */
export interface PushOverrides {
  owner?: string;
  repo?: string;
  defaultBranch?: string;
  /** Branch name or full ref (`refs/heads/main`, `refs/tags/v1`). */
  ref?: string;
  before?: string;
  after?: string;
  /** Head commit message. */
  message?: string;
  sender?: string;
}

type Json = Record<string, unknown>;

/** Applies `fn` to every string in a JSON tree, in place. */
function mapStrings(node: unknown, fn: (s: string) => string): unknown {
  if (typeof node === 'string') return fn(node);
  if (Array.isArray(node)) {
    node.forEach((v, i) => {
      node[i] = mapStrings(v, fn);
    });
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) (node as Json)[k] = mapStrings(v, fn);
  }
  return node;
}

function stableId(name: string): number {
  let hash = 11;
  for (const ch of name) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) % 2_000_000_000;
  return hash + 1;
}

/** Turns a recorded user object into another login's, keeping the shape. */
function renameUser(user: Json | null | undefined, login: string): void {
  if (!user) return;
  const previous = String(user.login);
  mapStrings(user, (s) => s.split(previous).join(login));
  user.login = login;
  user.id = stableId(login);
  if ('name' in user) user.name = login;
  user.type = login.endsWith('[bot]') ? 'Bot' : 'User';
}

/** Points every repository reference in a payload at `owner/repo`. */
function moveRepository(payload: Json, o: PayloadOverrides | PushOverrides): void {
  const owner = o.owner ?? EXAMPLE_OWNER;
  const repo = o.repo ?? EXAMPLE_REPO;
  if (owner !== EXAMPLE_OWNER || repo !== EXAMPLE_REPO) {
    mapStrings(payload, (s) =>
      s.split(`${EXAMPLE_OWNER}/${EXAMPLE_REPO}`).join(`${owner}/${repo}`),
    );
  }
  const pull = payload.pull_request as Json | undefined;
  const repos = [
    payload.repository,
    (pull?.head as Json | undefined)?.repo,
    (pull?.base as Json | undefined)?.repo,
  ] as Array<Json | null | undefined>;
  for (const r of repos) {
    if (!r) continue;
    r.name = repo;
    r.full_name = `${owner}/${repo}`;
    if (owner !== EXAMPLE_OWNER) renameUser(r.owner as Json, owner);
    if (o.defaultBranch) {
      r.default_branch = o.defaultBranch;
      if ('master_branch' in r) r.master_branch = o.defaultBranch;
    }
  }
}

/** Applies pull-request-level overrides to `payload.pull_request` (and `payload.number`). */
function applyPullOverrides(payload: Json, o: PayloadOverrides): void {
  const pull = payload.pull_request as Json;
  const head = pull.head as Json;
  const base = pull.base as Json;
  const owner = o.owner ?? EXAMPLE_OWNER;

  if (o.number !== undefined) {
    const old = String(pull.number);
    const numbered = new RegExp(`(/(?:pulls|pull|issues)/)${old}(?=$|[/#.?])`, 'g');
    for (const part of [pull, payload.review]) {
      mapStrings(part, (s) => s.replace(numbered, `$1${o.number}`));
    }
    pull.number = o.number;
    if ('number' in payload) payload.number = o.number;
  }
  // Shas appear in URLs and in review.commit_id too, so replace them everywhere.
  for (const [side, sha] of [
    [head, o.headSha],
    [base, o.baseSha],
  ] as const) {
    if (sha === undefined) continue;
    const old = String(side.sha);
    mapStrings(payload, (s) => s.split(old).join(sha));
  }
  for (const [side, ref] of [
    [head, o.headRef],
    [base, o.baseRef],
  ] as const) {
    if (ref !== undefined) side.ref = ref;
    side.label = `${owner}:${side.ref}`;
    if (owner !== EXAMPLE_OWNER) renameUser(side.user as Json, owner);
  }
  if (o.title !== undefined) pull.title = o.title;
  if (o.body !== undefined) pull.body = o.body;
  if (o.author !== undefined) renameUser(pull.user as Json, o.author);
  if (o.labels !== undefined) {
    const repoApi = `https://api.github.com/repos/${owner}/${o.repo ?? EXAMPLE_REPO}`;
    pull.labels = o.labels.map((name) => ({
      id: stableId(name),
      node_id: Buffer.from(`Label${stableId(name)}`).toString('base64'),
      url: `${repoApi}/labels/${encodeURIComponent(name)}`,
      name,
      color: 'ededed',
      default: false,
      description: null,
    }));
  }
}

/**
 * A `pull_request_review` `submitted` event (the first recorded one), adjusted by `overrides`.
 */
export function pullRequestReviewPayload(
  overrides: ReviewOverrides = {},
): PullRequestReviewSubmittedEvent {
  const payload = webhookExample<Json>('pull_request_review', 'submitted');
  moveRepository(payload, overrides);
  applyPullOverrides(payload, overrides);
  const review = payload.review as Json;
  if (overrides.reviewer !== undefined) renameUser(review.user as Json, overrides.reviewer);
  if (overrides.reviewState !== undefined) review.state = overrides.reviewState;
  if (overrides.reviewBody !== undefined) review.body = overrides.reviewBody;
  if (overrides.sender !== undefined) renameUser(payload.sender as Json, overrides.sender);
  return payload as unknown as PullRequestReviewSubmittedEvent;
}

/** A `pull_request` event for an action (first recorded example), adjusted by `overrides`. */
export function pullRequestPayload(
  action: PullRequestEvent['action'],
  overrides: PayloadOverrides = {},
): PullRequestEvent {
  const payload = webhookExample<Json>('pull_request', action);
  moveRepository(payload, overrides);
  applyPullOverrides(payload, overrides);
  if (overrides.sender !== undefined) renameUser(payload.sender as Json, overrides.sender);
  return payload as unknown as PullRequestEvent;
}

/**
 * A `push` event to a branch (the first recorded branch push, which creates `master` with one
 * commit), adjusted by `overrides`. `after` becomes the head commit's id.
 */
export function pushPayload(overrides: PushOverrides = {}): PushEvent {
  const payload = webhookExample<Json>('push', undefined, (p) =>
    String(p.ref).startsWith('refs/heads/'),
  );
  moveRepository(payload, overrides);
  const oldAfter = String(payload.after);
  if (overrides.after !== undefined) {
    mapStrings(payload, (s) => s.split(oldAfter).join(overrides.after!));
  }
  if (overrides.before !== undefined) {
    payload.before = overrides.before;
    payload.created = /^0+$/.test(overrides.before);
  }
  if (overrides.ref !== undefined) {
    payload.ref = overrides.ref.startsWith('refs/') ? overrides.ref : `refs/heads/${overrides.ref}`;
  }
  if (overrides.message !== undefined) {
    const head = payload.head_commit as Json | null;
    if (head) head.message = overrides.message;
    const commits = payload.commits as Json[];
    if (commits.length > 0) commits[commits.length - 1].message = overrides.message;
  }
  if (overrides.sender !== undefined) {
    renameUser(payload.sender as Json, overrides.sender);
    payload.pusher = {
      name: overrides.sender,
      email: `${overrides.sender}@users.noreply.github.com`,
    };
  }
  return payload as unknown as PushEvent;
}

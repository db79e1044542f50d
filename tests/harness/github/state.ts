/**
 * The emulator's in-memory model of one repository's GitHub-side data (issues, pull requests,
 * labels, comments, reviews, releases, dispatches). Git data itself lives in the bare repo.
 *
 * Records use GitHub's field names so tests can read them like API responses, but carry only
 * the fields the emulator tracks; `shapes.ts` expands them into full response bodies.
 */
import { notFound } from './http.js';
import type { BranchProtectionRules } from './protection.js';

/** A repository role, as configured per user. */
export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

/** A pull request review state as the REST API spells it (webhooks use lower case). */
export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

/** What `mergeable_state` reports, in GitHub's words. */
export type MergeableState = 'clean' | 'dirty' | 'blocked' | 'behind' | 'unstable' | 'unknown';

/** A commit status state (`repos/create-commit-status`). */
export type StatusState = 'error' | 'failure' | 'pending' | 'success';

/** How a completed check run ended; `null` means it is still in progress. */
export type CheckConclusion =
  | 'success'
  | 'failure'
  | 'neutral'
  | 'cancelled'
  | 'skipped'
  | 'timed_out'
  | 'action_required'
  | 'stale';

/** A user reference. */
export interface UserRef {
  login: string;
}

/** A repository label. */
export interface LabelRecord {
  id: number;
  node_id: string;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

/** One side of a pull request. `sha` follows the branch while the PR is open, like GitHub. */
export interface BranchPointer {
  ref: string;
  sha: string;
  /** `owner:ref`. */
  label: string;
  repo: { full_name: string; fork: boolean };
}

/** Fields issues and pull requests share (pull requests are issues on GitHub). */
interface IssueFields {
  id: number;
  node_id: string;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  state_reason: 'completed' | 'not_planned' | 'duplicate' | 'reopened' | null;
  user: UserRef;
  labels: LabelRecord[];
  locked: boolean;
  html_url: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

/** A plain issue. */
export interface IssueRecord extends IssueFields {
  kind: 'issue';
}

/** A pull request. */
export interface PullRequestRecord extends IssueFields {
  kind: 'pull';
  head: BranchPointer;
  base: BranchPointer;
  draft: boolean;
  merged: boolean;
  merged_at: string | null;
  merged_by: UserRef | null;
  merge_commit_sha: string | null;
  /** Last value reported; recomputed with a real trial merge unless forced. */
  mergeable: boolean | null;
  mergeable_state: MergeableState;
  maintainer_can_modify: boolean;
  /** Set by `setMergeable`; wins over the computed value until set again. */
  forcedMergeable?: boolean | null;
  /** Commits the PR contained when it was merged, for `commits/{sha}/pulls`. */
  mergedCommits: string[];
}

/** An issue or pull request comment. */
export interface CommentRecord {
  id: number;
  node_id: string;
  issue_number: number;
  body: string;
  user: UserRef;
  html_url: string;
  created_at: string;
  updated_at: string;
}

/** A pull request review. */
export interface ReviewRecord {
  id: number;
  node_id: string;
  pull_number: number;
  user: UserRef;
  body: string;
  state: ReviewState;
  commit_id: string;
  html_url: string;
  submitted_at: string | null;
}

/** A commit status, as posted to `POST /repos/{owner}/{repo}/statuses/{sha}`. */
export interface StatusRecord {
  id: number;
  node_id: string;
  sha: string;
  state: StatusState;
  context: string;
  description: string | null;
  target_url: string | null;
  creator: UserRef;
  created_at: string;
  updated_at: string;
}

/** A check run on a commit, added by a test with `setCheck`. */
export interface CheckRunRecord {
  id: number;
  node_id: string;
  head_sha: string;
  name: string;
  /** `null` while the run is in progress. */
  conclusion: CheckConclusion | null;
  started_at: string;
  completed_at: string | null;
}

/** One ref update that reached the repository, and who made it. */
export interface PushRecord {
  /** Full ref name, e.g. `refs/heads/main`. */
  ref: string;
  /** Previous sha; all zeros when the ref was created. */
  before: string;
  /** New sha; all zeros when the ref was deleted. */
  after: string;
  login: string;
  /** `git` for smart-HTTP pushes, `api` for REST ref updates, `test` for `recordPush`. */
  via: 'git' | 'api' | 'test';
  pushed_at: string;
}

/** A release. */
export interface ReleaseRecord {
  id: number;
  node_id: string;
  tag_name: string;
  target_commitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  make_latest: 'true' | 'false' | 'legacy';
  author: UserRef;
  html_url: string;
  created_at: string;
  published_at: string | null;
}

/** A recorded `workflow_dispatch`. */
export interface DispatchRecord {
  workflow_id: string | number;
  ref: string;
  inputs: Record<string, unknown>;
  actor: string;
  created_at: string;
}

/** GitHub timestamps have second precision and a `Z` suffix. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Opaque, stable-looking GraphQL node id like GitHub's legacy base64 ones. */
export function nodeId(kind: string, id: number): string {
  return Buffer.from(`0${kind.length}:${kind}${id}`).toString('base64');
}

/** Mutable state for one emulated repository. */
export class RepoState {
  readonly issues = new Map<number, IssueRecord | PullRequestRecord>();
  readonly labels: LabelRecord[] = [];
  readonly comments: CommentRecord[] = [];
  readonly reviews: ReviewRecord[] = [];
  readonly releases: ReleaseRecord[] = [];
  readonly dispatches: DispatchRecord[] = [];
  readonly permissions = new Map<string, Permission>();
  readonly statuses: StatusRecord[] = [];
  readonly checkRuns: CheckRunRecord[] = [];
  readonly pushes: PushRecord[] = [];
  /** Branch protection rules by branch name (see `protection.ts`). */
  readonly protections = new Map<string, BranchProtectionRules>();
  private lastNumber = 0;
  // Ids start high so they never collide with issue numbers in assertions by accident.
  private lastId = 1_000_000;

  constructor(
    readonly owner: string,
    readonly repo: string,
    readonly defaultBranch: string,
  ) {}

  /** `owner/repo`. */
  get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  /** `https://github.com/owner/repo`, the base of every `html_url`. */
  get htmlUrl(): string {
    return `https://github.com/${this.fullName}`;
  }

  /** Next issue/PR number (shared sequence, as on GitHub). */
  nextNumber(): number {
    this.lastNumber += 1;
    return this.lastNumber;
  }

  /** Next database id. */
  nextId(): number {
    this.lastId += 1;
    return this.lastId;
  }

  /** All pull requests, oldest first. */
  get pulls(): PullRequestRecord[] {
    return [...this.issues.values()].filter((i): i is PullRequestRecord => i.kind === 'pull');
  }

  /** An issue or PR by number, or a 404. */
  issue(number: number): IssueRecord | PullRequestRecord {
    const found = this.issues.get(number);
    if (!found) throw notFound();
    return found;
  }

  /** A pull request by number, or a 404 (also for plain issues, as GitHub does). */
  pull(number: number): PullRequestRecord {
    const found = this.issues.get(number);
    if (found?.kind !== 'pull') throw notFound();
    return found;
  }

  /** A label by name; GitHub matches label names case-insensitively. */
  findLabel(name: string): LabelRecord | undefined {
    const wanted = name.toLowerCase();
    return this.labels.find((l) => l.name.toLowerCase() === wanted);
  }

  /** Creates a label. */
  createLabel(name: string, color = 'ededed', description: string | null = null): LabelRecord {
    const id = this.nextId();
    const label = { id, node_id: nodeId('Label', id), name, color, description, default: false };
    this.labels.push(label);
    return label;
  }

  /** The label with that name, created with GitHub's default colour when it does not exist. */
  ensureLabel(name: string): LabelRecord {
    return this.findLabel(name) ?? this.createLabel(name);
  }

  /** Comments on one issue or PR, oldest first. */
  commentsOn(number: number): CommentRecord[] {
    return this.comments.filter((c) => c.issue_number === number);
  }

  /** Reviews on one PR, oldest first. */
  reviewsOn(number: number): ReviewRecord[] {
    return this.reviews.filter((r) => r.pull_number === number);
  }

  /** Adds a review record. */
  addReview(
    pull: PullRequestRecord,
    review: { user: string; state: ReviewState; body?: string; commit_id?: string },
  ): ReviewRecord {
    const id = this.nextId();
    const record: ReviewRecord = {
      id,
      node_id: nodeId('PullRequestReview', id),
      pull_number: pull.number,
      user: { login: review.user },
      body: review.body ?? '',
      state: review.state,
      commit_id: review.commit_id ?? pull.head.sha,
      html_url: `${pull.html_url}#pullrequestreview-${id}`,
      submitted_at: review.state === 'PENDING' ? null : timestamp(),
    };
    this.reviews.push(record);
    return record;
  }

  /** The login of the last recorded push that left `branch` at `sha`, if one is known. */
  lastPusher(branch: string, sha: string): string | undefined {
    const ref = `refs/heads/${branch}`;
    return this.pushes.findLast((p) => p.ref === ref && p.after === sha)?.login;
  }

  /** Marks an issue or PR changed now. */
  touch(issue: IssueRecord | PullRequestRecord): void {
    issue.updated_at = timestamp();
  }
}

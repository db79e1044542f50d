/**
 * Turns the emulator's records into full GitHub response bodies.
 *
 * Every body starts from the example response GitHub publishes for that operation in its
 * OpenAPI description, so responses carry every field real GitHub sends (code under test may
 * read any of them). Example URLs and names are rewritten to the emulated repository and
 * server, and everything the emulator tracks is overwritten with real state. Collections the
 * emulator does not model (assignees, milestones, requested reviewers, reactions) are emptied
 * rather than left with the example's made-up values.
 */
import type { CommitInfo, DiffFile } from './git.js';
import { responseExample } from './openapi.js';
import type {
  CommentRecord,
  IssueRecord,
  LabelRecord,
  Permission,
  PullRequestRecord,
  ReleaseRecord,
  RepoState,
  ReviewRecord,
} from './state.js';
import { nodeId } from './state.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are open-ended JSON built from examples
type Body = Record<string, any>;

/** Extra numbers only the full pull-request shape has; they need git to compute. */
export interface PullStats {
  commits: number;
  additions: number;
  deletions: number;
  changed_files: number;
}

/** GitHub's legacy `permission` value for a role (maintain reads as write, triage as read). */
export function legacyPermission(role: Permission): 'admin' | 'write' | 'read' | 'none' {
  if (role === 'admin') return 'admin';
  if (role === 'maintain' || role === 'write') return 'write';
  if (role === 'triage' || role === 'read') return 'read';
  return 'none';
}

/** A stable positive id for a name, so the same login always gets the same user id. */
function stableId(name: string): number {
  let hash = 7;
  for (const ch of name) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) % 2_000_000_000;
  return hash + 1;
}

const ZERO_REACTIONS = {
  total_count: 0,
  '+1': 0,
  '-1': 0,
  laugh: 0,
  confused: 0,
  heart: 0,
  hooray: 0,
  eyes: 0,
  rocket: 0,
};

/** Builds response bodies for one emulated repository served at `apiUrl`. */
export class Renderer {
  private readonly templates = new Map<string, unknown>();

  constructor(
    private readonly state: RepoState,
    readonly apiUrl: string,
  ) {}

  /** `<apiUrl>/repos/owner/repo`. */
  get repoApi(): string {
    return `${this.apiUrl}/repos/${this.state.fullName}`;
  }

  /** A fresh, rewritten copy of an operation's example response (first item of arrays). */
  template(operationId: string, status: number): Body {
    const key = `${operationId} ${status}`;
    if (!this.templates.has(key)) {
      const example = responseExample(operationId, status);
      if (example === undefined) throw new Error(`No example response for ${key}`);
      this.templates.set(key, this.rewrite(example));
    }
    const found = this.templates.get(key);
    const body = structuredClone(Array.isArray(found) ? found[0] : found) as Body;
    return body;
  }

  /** Points example URLs and names at the emulated repo and server. */
  private rewrite<T>(value: T): T {
    const repoPath = /octocat\/Hello-World/gi;
    const fix = (s: string) =>
      s
        .replace(repoPath, this.state.fullName)
        .replace(/https:\/\/(api|uploads)\.github\.com/g, this.apiUrl);
    const walk = (node: unknown): unknown => {
      if (typeof node === 'string') return fix(node);
      if (Array.isArray(node)) return node.map(walk);
      if (node && typeof node === 'object') {
        return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
      }
      return node;
    };
    return walk(value) as T;
  }

  /** A `simple-user` for a login; `[bot]` logins become `Bot` accounts like GitHub Apps. */
  user(login: string): Body {
    const body = this.template('pulls/get', 200).user as Body;
    const encoded = encodeURIComponent(login);
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === 'string') body[key] = value.replace(/octocat/g, encoded);
    }
    const id = stableId(login);
    const bot = login.endsWith('[bot]');
    return {
      ...body,
      login,
      id,
      node_id: nodeId(bot ? 'Bot' : 'User', id),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      html_url: bot
        ? `https://github.com/apps/${login.slice(0, -5)}`
        : `https://github.com/${login}`,
      type: bot ? 'Bot' : 'User',
      site_admin: false,
    };
  }

  /** How GitHub describes a user's relationship to the repo. */
  association(login: string): string {
    if (login.toLowerCase() === this.state.owner.toLowerCase()) return 'OWNER';
    const role = this.state.permissions.get(login);
    return role && role !== 'none' ? 'COLLABORATOR' : 'NONE';
  }

  /**
   * The repository object: `full` is `full-repository` (GET /repos/{owner}/{repo}, with the
   * caller's `permissions`), otherwise the `repository` shape nested in pull requests.
   */
  repository(full: boolean, actor?: string): Body {
    const body = full
      ? this.template('repos/get', 200)
      : (this.template('pulls/get', 200).base.repo as Body);
    const id = stableId(this.state.fullName);
    const openIssues = [...this.state.issues.values()].filter((i) => i.state === 'open').length;
    Object.assign(body, {
      id,
      node_id: nodeId('Repository', id),
      name: this.state.repo,
      full_name: this.state.fullName,
      owner: this.user(this.state.owner),
      private: false,
      description: null,
      fork: false,
      homepage: null,
      language: null,
      default_branch: this.state.defaultBranch,
      open_issues_count: openIssues,
      open_issues: openIssues,
      topics: [],
      mirror_url: null,
      // Every merge method is allowed and branches are kept after merging, so tests decide
      // explicitly (via git/delete-ref) when a head branch goes away.
      allow_merge_commit: true,
      allow_squash_merge: true,
      allow_rebase_merge: true,
      allow_auto_merge: false,
      delete_branch_on_merge: false,
    });
    // Fork/template/organization links in the example describe repositories that do not exist.
    for (const key of ['organization', 'parent', 'source', 'template_repository']) delete body[key];
    if (full && actor) {
      const role = this.state.permissions.get(actor) ?? 'none';
      const at = (roles: Permission[]) => roles.includes(role);
      body.permissions = {
        admin: at(['admin']),
        maintain: at(['admin', 'maintain']),
        push: at(['admin', 'maintain', 'write']),
        triage: at(['admin', 'maintain', 'write', 'triage']),
        // The emulated repository is public, so anyone can pull.
        pull: true,
      };
    } else {
      delete body.permissions;
    }
    return body;
  }

  /** A `label`. */
  label(label: LabelRecord): Body {
    return {
      ...this.template('issues/get-label', 200),
      id: label.id,
      node_id: label.node_id,
      url: `${this.repoApi}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      description: label.description,
      color: label.color,
      default: label.default,
    };
  }

  /** Fields `pull-request` and `pull-request-simple` share. */
  private pullCommon(pull: PullRequestRecord, body: Body): Body {
    const api = `${this.repoApi}/pulls/${pull.number}`;
    const issue = `${this.repoApi}/issues/${pull.number}`;
    const statuses = `${this.repoApi}/statuses/${pull.head.sha}`;
    const side = (p: PullRequestRecord['head']) => ({
      label: p.label,
      ref: p.ref,
      sha: p.sha,
      user: this.user(this.state.owner),
      repo: this.repository(false),
    });
    return Object.assign(body, {
      url: api,
      id: pull.id,
      node_id: pull.node_id,
      html_url: pull.html_url,
      diff_url: `${pull.html_url}.diff`,
      patch_url: `${pull.html_url}.patch`,
      issue_url: issue,
      commits_url: `${api}/commits`,
      review_comments_url: `${api}/comments`,
      review_comment_url: `${this.repoApi}/pulls/comments{/number}`,
      comments_url: `${issue}/comments`,
      statuses_url: statuses,
      number: pull.number,
      state: pull.state,
      locked: pull.locked,
      title: pull.title,
      user: this.user(pull.user.login),
      body: pull.body,
      labels: pull.labels.map((l) => this.label(l)),
      milestone: null,
      active_lock_reason: null,
      created_at: pull.created_at,
      updated_at: pull.updated_at,
      closed_at: pull.closed_at,
      merged_at: pull.merged_at,
      merge_commit_sha: pull.merge_commit_sha,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: side(pull.head),
      base: side(pull.base),
      _links: {
        self: { href: api },
        html: { href: pull.html_url },
        issue: { href: issue },
        comments: { href: `${issue}/comments` },
        review_comments: { href: `${api}/comments` },
        review_comment: { href: `${this.repoApi}/pulls/comments{/number}` },
        commits: { href: `${api}/commits` },
        statuses: { href: statuses },
      },
      author_association: this.association(pull.user.login),
      auto_merge: null,
      draft: pull.draft,
    });
  }

  /** A full `pull-request` (get, create, update). */
  pull(pull: PullRequestRecord, stats: PullStats): Body {
    const body = this.pullCommon(pull, this.template('pulls/get', 200));
    return Object.assign(body, {
      merged: pull.merged,
      mergeable: pull.mergeable,
      rebaseable: pull.mergeable,
      mergeable_state: pull.mergeable_state,
      merged_by: pull.merged_by ? this.user(pull.merged_by.login) : null,
      comments: this.state.commentsOn(pull.number).length,
      review_comments: 0,
      maintainer_can_modify: pull.maintainer_can_modify,
      ...stats,
    });
  }

  /** A `pull-request-simple` (list endpoints). */
  pullSimple(pull: PullRequestRecord): Body {
    return this.pullCommon(pull, this.template('pulls/list', 200));
  }

  /** An `issue`; pull requests get the `pull_request` link object, as on GitHub. */
  issue(issue: IssueRecord | PullRequestRecord): Body {
    const api = `${this.repoApi}/issues/${issue.number}`;
    const body = Object.assign(this.template('issues/get', 200), {
      id: issue.id,
      node_id: issue.node_id,
      url: api,
      repository_url: this.repoApi,
      labels_url: `${api}/labels{/name}`,
      comments_url: `${api}/comments`,
      events_url: `${api}/events`,
      html_url: issue.html_url,
      number: issue.number,
      state: issue.state,
      title: issue.title,
      body: issue.body,
      user: this.user(issue.user.login),
      pinned_comment: null,
      labels: issue.labels.map((l) => this.label(l)),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: issue.locked,
      active_lock_reason: null,
      comments: this.state.commentsOn(issue.number).length,
      closed_at: issue.closed_at,
      created_at: issue.created_at,
      updated_at: issue.updated_at,
      closed_by: null,
      author_association: this.association(issue.user.login),
      state_reason: issue.state_reason,
    });
    if (issue.kind === 'pull') {
      body.pull_request = {
        url: `${this.repoApi}/pulls/${issue.number}`,
        html_url: issue.html_url,
        diff_url: `${issue.html_url}.diff`,
        patch_url: `${issue.html_url}.patch`,
        merged_at: issue.merged_at,
      };
    } else {
      delete body.pull_request;
    }
    if ('reactions' in body) body.reactions = { url: `${api}/reactions`, ...ZERO_REACTIONS };
    return body;
  }

  /** An `issue-comment`. */
  comment(comment: CommentRecord): Body {
    return Object.assign(this.template('issues/create-comment', 201), {
      id: comment.id,
      node_id: comment.node_id,
      url: `${this.repoApi}/issues/comments/${comment.id}`,
      html_url: comment.html_url,
      body: comment.body,
      user: this.user(comment.user.login),
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      issue_url: `${this.repoApi}/issues/${comment.issue_number}`,
      author_association: this.association(comment.user.login),
      pin: null,
      minimized: null,
    });
  }

  /** A `pull-request-review`. */
  review(review: ReviewRecord): Body {
    const pullUrl = `${this.repoApi}/pulls/${review.pull_number}`;
    const body = Object.assign(this.template('pulls/create-review', 200), {
      id: review.id,
      node_id: review.node_id,
      user: this.user(review.user.login),
      body: review.body,
      state: review.state,
      html_url: review.html_url,
      pull_request_url: pullUrl,
      _links: { html: { href: review.html_url }, pull_request: { href: pullUrl } },
      submitted_at: review.submitted_at ?? undefined,
      commit_id: review.commit_id,
      author_association: this.association(review.user.login),
    });
    if (review.submitted_at === null) delete body.submitted_at;
    return body;
  }

  /** A `release` (no assets: asset uploads are not emulated). */
  release(release: ReleaseRecord): Body {
    const api = `${this.repoApi}/releases/${release.id}`;
    const body = Object.assign(this.template('repos/create-release', 201), {
      url: api,
      html_url: release.html_url,
      assets_url: `${api}/assets`,
      upload_url: `${api}/assets{?name,label}`,
      tarball_url: `${this.repoApi}/tarball/${encodeURIComponent(release.tag_name)}`,
      zipball_url: `${this.repoApi}/zipball/${encodeURIComponent(release.tag_name)}`,
      id: release.id,
      node_id: release.node_id,
      tag_name: release.tag_name,
      target_commitish: release.target_commitish,
      name: release.name,
      body: release.body,
      draft: release.draft,
      prerelease: release.prerelease,
      immutable: false,
      created_at: release.created_at,
      published_at: release.published_at,
      author: this.user(release.author.login),
      assets: [],
    });
    delete body.discussion_url;
    return body;
  }

  /** A `git-ref` for a full ref name. */
  gitRef(refname: string, sha: string, type: string): Body {
    return {
      ref: refname,
      node_id: nodeId('Ref', stableId(refname)),
      url: `${this.repoApi}/git/${refname}`,
      object: { type, sha, url: `${this.repoApi}/git/${type}s/${sha}` },
    };
  }

  /** A `commit` as nested in branch responses. */
  commit(info: CommitInfo): Body {
    const url = `${this.repoApi}/commits/${info.sha}`;
    const html = `${this.state.htmlUrl}/commit/${info.sha}`;
    return {
      sha: info.sha,
      node_id: nodeId('Commit', stableId(info.sha)),
      commit: {
        author: info.author,
        committer: info.committer,
        message: info.message,
        tree: { sha: info.tree, url: `${this.repoApi}/git/trees/${info.tree}` },
        url: `${this.repoApi}/git/commits/${info.sha}`,
        comment_count: 0,
        verification: {
          verified: false,
          reason: 'unsigned',
          signature: null,
          payload: null,
          verified_at: null,
        },
      },
      url,
      html_url: html,
      comments_url: `${url}/comments`,
      // GitHub maps commit emails to accounts; local commits have no account.
      author: null,
      committer: null,
      parents: info.parents.map((p) => ({
        sha: p,
        url: `${this.repoApi}/commits/${p}`,
        html_url: `${this.state.htmlUrl}/commit/${p}`,
      })),
    };
  }

  /** A `branch-with-protection`, protected when `protectBranch` configured rules for it. */
  branch(name: string, info: CommitInfo): Body {
    const api = `${this.repoApi}/branches/${encodeURIComponent(name)}`;
    const rules = this.state.protections.get(name);
    const contexts = rules?.requiredStatusChecks?.contexts ?? [];
    const level = !rules?.requiredStatusChecks
      ? 'off'
      : rules.enforceAdmins
        ? 'everyone'
        : 'non_admins';
    return Object.assign(this.template('repos/get-branch', 200), {
      name,
      commit: this.commit(info),
      _links: { self: api, html: `${this.state.htmlUrl}/tree/${name}` },
      protected: rules !== undefined,
      protection: {
        enabled: rules !== undefined,
        required_status_checks: {
          enforcement_level: level,
          contexts,
          checks: contexts.map((context) => ({ context, app_id: null })),
        },
      },
      protection_url: `${api}/protection`,
    });
  }

  /** A `short-branch`. */
  shortBranch(name: string, sha: string): Body {
    return {
      name,
      commit: { sha, url: `${this.repoApi}/commits/${sha}` },
      protected: this.state.protections.has(name),
    };
  }

  /** A `diff-entry` for a pull request file. */
  diffEntry(file: DiffFile, headSha: string): Body {
    const status: Record<string, string> = {
      A: 'added',
      D: 'removed',
      M: 'modified',
      R: 'renamed',
      C: 'copied',
      T: 'changed',
    };
    const path = file.filename.split('/').map(encodeURIComponent).join('/');
    const body: Body = {
      sha: file.blob,
      filename: file.filename,
      status: status[file.status] ?? 'changed',
      additions: file.additions,
      deletions: file.deletions,
      changes: file.additions + file.deletions,
      blob_url: `${this.state.htmlUrl}/blob/${headSha}/${path}`,
      raw_url: `${this.state.htmlUrl}/raw/${headSha}/${path}`,
      contents_url: `${this.repoApi}/contents/${path}?ref=${headSha}`,
    };
    if (file.patch !== undefined) body.patch = file.patch;
    if (file.previousFilename) body.previous_filename = file.previousFilename;
    return body;
  }

  /** A `repository-collaborator-permission`. */
  collaboratorPermission(login: string, role: Permission): Body {
    const at = (roles: Permission[]) => roles.includes(role);
    return {
      permission: legacyPermission(role),
      role_name: role,
      user: {
        ...this.user(login),
        permissions: {
          admin: at(['admin']),
          maintain: at(['admin', 'maintain']),
          push: at(['admin', 'maintain', 'write']),
          triage: at(['admin', 'maintain', 'write', 'triage']),
          pull: true,
        },
        role_name: role,
      },
    };
  }
}

/**
 * Issue operations: issues themselves, labels and comments. Pull requests are issues on GitHub,
 * so every handler here works for PR numbers too.
 */
import { type Handler, HttpError, notFound, paginate, validationFailed } from './http.js';
import type { CommentRecord, IssueRecord, LabelRecord, RepoState } from './state.js';
import { nodeId, timestamp } from './state.js';

type LabelInput = string | { name: string };

/** Label names from GitHub's accepted forms: strings or `{ name }` objects. */
function labelNames(labels: LabelInput[] | undefined): string[] {
  return (labels ?? []).map((l) => (typeof l === 'string' ? l : l.name));
}

/** Applying an unknown label name creates the label, as GitHub does. */
function applyLabels(state: RepoState, names: string[], existing: LabelRecord[]): LabelRecord[] {
  const result = [...existing];
  for (const name of names) {
    const label = state.ensureLabel(name);
    if (!result.includes(label)) result.push(label);
  }
  return result;
}

const HEX_COLOR = /^[0-9a-fA-F]{6}$/;

const createIssue: Handler = async (ctx) => {
  const { state, body } = ctx;
  const number = state.nextNumber();
  const id = state.nextId();
  const now = timestamp();
  const issue: IssueRecord = {
    kind: 'issue',
    id,
    node_id: nodeId('Issue', id),
    number,
    title: String(body.title),
    body: body.body ?? null,
    state: 'open',
    state_reason: null,
    user: { login: ctx.actor },
    labels: applyLabels(state, labelNames(body.labels), []),
    locked: false,
    html_url: `${state.htmlUrl}/issues/${number}`,
    created_at: now,
    updated_at: now,
    closed_at: null,
  };
  state.issues.set(number, issue);
  return { status: 201, body: ctx.render.issue(issue) };
};

const getIssue: Handler = async (ctx) => {
  return { status: 200, body: ctx.render.issue(ctx.state.issue(Number(ctx.params.issue_number))) };
};

const updateIssue: Handler = async (ctx) => {
  const { state, body } = ctx;
  const issue = state.issue(Number(ctx.params.issue_number));
  if (body.title !== undefined && body.title !== null) issue.title = String(body.title);
  if (body.body !== undefined) issue.body = body.body;
  if (body.labels !== undefined) issue.labels = applyLabels(state, labelNames(body.labels), []);
  if (body.state !== undefined && body.state !== issue.state) {
    if (issue.kind === 'pull' && issue.merged) {
      throw validationFailed({
        resource: 'Issue',
        code: 'custom',
        field: 'state',
        message: 'state cannot be changed. The pull request has been merged.',
      });
    }
    issue.state = body.state;
    issue.closed_at = body.state === 'closed' ? timestamp() : null;
    issue.state_reason = body.state === 'closed' ? (body.state_reason ?? 'completed') : 'reopened';
  } else if (body.state_reason !== undefined && issue.state === 'closed') {
    issue.state_reason = body.state_reason;
  }
  state.touch(issue);
  return { status: 200, body: ctx.render.issue(issue) };
};

const listIssueLabels: Handler = async (ctx) => {
  const issue = ctx.state.issue(Number(ctx.params.issue_number));
  const page = paginate(issue.labels, ctx.query, ctx.requestUrl);
  return { status: 200, body: page.body.map((l) => ctx.render.label(l)), headers: page.headers };
};

const addLabels: Handler = async (ctx) => {
  const { state, body } = ctx;
  const issue = state.issue(Number(ctx.params.issue_number));
  issue.labels = applyLabels(state, labelNames(body.labels), issue.labels);
  state.touch(issue);
  return { status: 200, body: issue.labels.map((l) => ctx.render.label(l)) };
};

const setLabels: Handler = async (ctx) => {
  const { state, body } = ctx;
  const issue = state.issue(Number(ctx.params.issue_number));
  issue.labels = applyLabels(state, labelNames(body.labels), []);
  state.touch(issue);
  return { status: 200, body: issue.labels.map((l) => ctx.render.label(l)) };
};

const removeLabel: Handler = async (ctx) => {
  const { state } = ctx;
  const issue = state.issue(Number(ctx.params.issue_number));
  const label = state.findLabel(ctx.params.name);
  if (!label || !issue.labels.includes(label)) throw notFound('Label does not exist');
  issue.labels = issue.labels.filter((l) => l !== label);
  state.touch(issue);
  return { status: 200, body: issue.labels.map((l) => ctx.render.label(l)) };
};

const removeAllLabels: Handler = async (ctx) => {
  const issue = ctx.state.issue(Number(ctx.params.issue_number));
  issue.labels = [];
  ctx.state.touch(issue);
  return { status: 204 };
};

const listRepoLabels: Handler = async (ctx) => {
  const page = paginate(ctx.state.labels, ctx.query, ctx.requestUrl);
  return { status: 200, body: page.body.map((l) => ctx.render.label(l)), headers: page.headers };
};

const getLabel: Handler = async (ctx) => {
  const label = ctx.state.findLabel(ctx.params.name);
  if (!label) throw notFound();
  return { status: 200, body: ctx.render.label(label) };
};

const createLabel: Handler = async (ctx) => {
  const { state, body } = ctx;
  if (state.findLabel(body.name)) {
    throw validationFailed({ resource: 'Label', code: 'already_exists', field: 'name' });
  }
  const color = (body.color ?? 'ededed').replace(/^#/, '');
  if (!HEX_COLOR.test(color)) {
    throw validationFailed({ resource: 'Label', code: 'invalid', field: 'color' });
  }
  const label = state.createLabel(body.name, color.toLowerCase(), body.description ?? null);
  return { status: 201, body: ctx.render.label(label) };
};

const updateLabel: Handler = async (ctx) => {
  const { state, body } = ctx;
  const label = state.findLabel(ctx.params.name);
  if (!label) throw notFound();
  if (body.new_name !== undefined) {
    const clash = state.findLabel(body.new_name);
    if (clash && clash !== label) {
      throw validationFailed({ resource: 'Label', code: 'already_exists', field: 'name' });
    }
    label.name = body.new_name;
  }
  if (body.color !== undefined) {
    if (!HEX_COLOR.test(body.color)) {
      throw validationFailed({ resource: 'Label', code: 'invalid', field: 'color' });
    }
    label.color = body.color.toLowerCase();
  }
  if (body.description !== undefined) label.description = body.description;
  return { status: 200, body: ctx.render.label(label) };
};

const deleteLabel: Handler = async (ctx) => {
  const { state } = ctx;
  const label = state.findLabel(ctx.params.name);
  if (!label) throw notFound();
  state.labels.splice(state.labels.indexOf(label), 1);
  for (const issue of state.issues.values()) issue.labels = issue.labels.filter((l) => l !== label);
  return { status: 204 };
};

function findComment(state: RepoState, id: string): CommentRecord {
  const comment = state.comments.find((c) => c.id === Number(id));
  if (!comment) throw notFound();
  return comment;
}

const createComment: Handler = async (ctx) => {
  const { state, body } = ctx;
  const issue = state.issue(Number(ctx.params.issue_number));
  if (issue.locked) throw new HttpError(403, 'Unable to create comment because issue is locked.');
  const id = state.nextId();
  const now = timestamp();
  const comment: CommentRecord = {
    id,
    node_id: nodeId('IssueComment', id),
    issue_number: issue.number,
    body: body.body,
    user: { login: ctx.actor },
    html_url: `${issue.html_url}#issuecomment-${id}`,
    created_at: now,
    updated_at: now,
  };
  state.comments.push(comment);
  state.touch(issue);
  return { status: 201, body: ctx.render.comment(comment) };
};

const listComments: Handler = async (ctx) => {
  const { state, query } = ctx;
  const issue = state.issue(Number(ctx.params.issue_number));
  const since = query.get('since');
  const comments = state
    .commentsOn(issue.number)
    .filter((c) => !since || c.updated_at >= since.replace(/\.\d+Z$/, 'Z'));
  const page = paginate(comments, query, ctx.requestUrl);
  return { status: 200, body: page.body.map((c) => ctx.render.comment(c)), headers: page.headers };
};

const getComment: Handler = async (ctx) => {
  return { status: 200, body: ctx.render.comment(findComment(ctx.state, ctx.params.comment_id)) };
};

const updateComment: Handler = async (ctx) => {
  const comment = findComment(ctx.state, ctx.params.comment_id);
  comment.body = ctx.body.body;
  comment.updated_at = timestamp();
  return { status: 200, body: ctx.render.comment(comment) };
};

const deleteComment: Handler = async (ctx) => {
  const comment = findComment(ctx.state, ctx.params.comment_id);
  ctx.state.comments.splice(ctx.state.comments.indexOf(comment), 1);
  return { status: 204 };
};

/** Handlers for issue, label and comment operations, by operationId. */
export const issueHandlers: Record<string, Handler> = {
  'issues/create': createIssue,
  'issues/get': getIssue,
  'issues/update': updateIssue,
  'issues/list-labels-on-issue': listIssueLabels,
  'issues/add-labels': addLabels,
  'issues/set-labels': setLabels,
  'issues/remove-label': removeLabel,
  'issues/remove-all-labels': removeAllLabels,
  'issues/list-labels-for-repo': listRepoLabels,
  'issues/get-label': getLabel,
  'issues/create-label': createLabel,
  'issues/update-label': updateLabel,
  'issues/delete-label': deleteLabel,
  'issues/create-comment': createComment,
  'issues/list-comments': listComments,
  'issues/get-comment': getComment,
  'issues/update-comment': updateComment,
  'issues/delete-comment': deleteComment,
};

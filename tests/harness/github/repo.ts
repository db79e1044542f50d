/**
 * Repository-level operations: the repository itself, collaborators, git refs and branches
 * (read from and written to the bare repository), releases and workflow dispatches.
 */
import { parse as parseYaml } from 'yaml';
import {
  type Handler,
  HttpError,
  notFound,
  paginate,
  type RequestContext,
  validationFailed,
} from './http.js';
import { ZERO_SHA } from './protection.js';
import type { ReleaseRecord } from './state.js';
import { nodeId, timestamp } from './state.js';
import { branchProtectionBody } from './status-shapes.js';

const getRepo: Handler = async (ctx) => {
  return { status: 200, body: ctx.render.repository(true, ctx.actor) };
};

const getPermission: Handler = async (ctx) => {
  const role = ctx.state.permissions.get(ctx.params.username);
  // Users the test did not configure do not exist as far as the emulator knows.
  if (!role) throw notFound();
  return { status: 200, body: ctx.render.collaboratorPermission(ctx.params.username, role) };
};

const checkCollaborator: Handler = async (ctx) => {
  const role = ctx.state.permissions.get(ctx.params.username);
  if (!role || role === 'none') throw notFound();
  return { status: 204 };
};

// --- git refs --------------------------------------------------------------------------------

/** Ref updates through the API are pushes by the token's login, for `pushes` and reviews. */
function recordApiPush(ctx: RequestContext, ref: string, before: string, after: string): void {
  ctx.state.pushes.push({
    ref,
    before,
    after,
    login: ctx.actor,
    via: 'api',
    pushed_at: timestamp(),
  });
}

const getRef: Handler = async (ctx) => {
  // `ref` is `heads/main` or `tags/v1`; a `refs/` prefix is not accepted, just like GitHub.
  const refname = `refs/${ctx.params.ref}`;
  const found = await ctx.git.readRef(refname);
  if (!found) throw notFound();
  return { status: 200, body: ctx.render.gitRef(refname, found.sha, found.type) };
};

const matchingRefs: Handler = async (ctx) => {
  const prefix = `refs/${ctx.params.ref}`;
  const refs = await ctx.git.listRefs(prefix.replace(/\/$/, ''));
  const body = [];
  for (const [name, sha] of refs) {
    if (!name.startsWith(prefix)) continue;
    const found = await ctx.git.readRef(name);
    body.push(ctx.render.gitRef(name, sha, found?.type ?? 'commit'));
  }
  return { status: 200, body };
};

const createRef: Handler = async (ctx) => {
  const { ref, sha } = ctx.body as { ref: string; sha: string };
  if (!/^refs\/[^/]+\/.+/.test(ref)) {
    throw new HttpError(422, `${ref} is not a valid ref name.`);
  }
  if (await ctx.git.readRef(ref)) throw new HttpError(422, 'Reference already exists');
  if (!(await ctx.git.resolveCommit(sha))) throw new HttpError(422, 'Object does not exist');
  await ctx.git.updateRef(ref, sha);
  recordApiPush(ctx, ref, ZERO_SHA, sha);
  const found = await ctx.git.readRef(ref);
  return { status: 201, body: ctx.render.gitRef(ref, sha, found?.type ?? 'commit') };
};

const updateRef: Handler = async (ctx) => {
  const refname = `refs/${ctx.params.ref}`;
  const { sha, force } = ctx.body as { sha: string; force?: boolean };
  const current = await ctx.git.readRef(refname);
  if (!current) throw new HttpError(422, 'Reference does not exist');
  if (!(await ctx.git.resolveCommit(sha))) throw new HttpError(422, 'Object does not exist');
  if (!force && !(await ctx.git.isAncestor(current.sha, sha))) {
    throw new HttpError(422, 'Update is not a fast forward');
  }
  await ctx.git.updateRef(refname, sha, current.sha);
  recordApiPush(ctx, refname, current.sha, sha);
  return { status: 200, body: ctx.render.gitRef(refname, sha, 'commit') };
};

const deleteRef: Handler = async (ctx) => {
  const refname = `refs/${ctx.params.ref}`;
  const current = await ctx.git.readRef(refname);
  if (!current) throw new HttpError(422, 'Reference does not exist');
  await ctx.git.deleteRef(refname);
  recordApiPush(ctx, refname, current.sha, ZERO_SHA);
  // GitHub closes open pull requests whose head branch is deleted.
  const branch = refname.replace(/^refs\/heads\//, '');
  for (const pull of ctx.state.pulls) {
    if (pull.state === 'open' && refname.startsWith('refs/heads/') && pull.head.ref === branch) {
      pull.state = 'closed';
      pull.closed_at = timestamp();
      ctx.state.touch(pull);
    }
  }
  return { status: 204 };
};

// --- branches --------------------------------------------------------------------------------

const getBranch: Handler = async (ctx) => {
  const sha = await ctx.git.resolveCommit(`refs/heads/${ctx.params.branch}`);
  if (!sha) throw notFound('Branch not found');
  const info = await ctx.git.commitInfo(sha);
  return { status: 200, body: ctx.render.branch(ctx.params.branch, info) };
};

const getBranchProtection: Handler = async (ctx) => {
  const { branch } = ctx.params;
  if (!(await ctx.git.resolveCommit(`refs/heads/${branch}`))) throw notFound('Branch not found');
  const rules = ctx.state.protections.get(branch);
  if (!rules) throw notFound('Branch not protected');
  return { status: 200, body: branchProtectionBody(ctx.render, branch, rules) };
};

const listBranches: Handler = async (ctx) => {
  const refs = [...(await ctx.git.listRefs('refs/heads/'))];
  const page = paginate(refs, ctx.query, ctx.requestUrl);
  return {
    status: 200,
    body: page.body.map(([name, sha]) => ctx.render.shortBranch(name.slice(11), sha)),
    headers: page.headers,
  };
};

// --- releases --------------------------------------------------------------------------------

function findRelease(ctx: RequestContext): ReleaseRecord {
  const release = ctx.state.releases.find((r) => r.id === Number(ctx.params.release_id));
  if (!release) throw notFound();
  return release;
}

/**
 * Publishing a release whose tag does not exist creates the tag at `target_commitish`, which
 * is what makes `git fetch --tags` see it afterwards. Drafts have no tag yet.
 */
async function ensureTag(ctx: RequestContext, release: ReleaseRecord): Promise<void> {
  const refname = `refs/tags/${release.tag_name}`;
  if (await ctx.git.readRef(refname)) return;
  const target =
    (await ctx.git.resolveCommit(`refs/heads/${release.target_commitish}`)) ??
    (await ctx.git.resolveCommit(release.target_commitish));
  if (!target) {
    throw validationFailed({ resource: 'Release', code: 'invalid', field: 'target_commitish' });
  }
  await ctx.git.updateRef(refname, target);
}

function releaseHtmlUrl(ctx: RequestContext, release: ReleaseRecord): string {
  const tag = release.draft ? `untagged-${release.node_id.slice(0, 20)}` : release.tag_name;
  return `${ctx.state.htmlUrl}/releases/tag/${encodeURIComponent(tag)}`;
}

function assertUniqueTag(ctx: RequestContext, tag: string, self?: ReleaseRecord): void {
  if (ctx.state.releases.some((r) => r.tag_name === tag && r !== self)) {
    throw validationFailed({ resource: 'Release', code: 'already_exists', field: 'tag_name' });
  }
}

const createRelease: Handler = async (ctx) => {
  const { state, body } = ctx;
  assertUniqueTag(ctx, body.tag_name);
  const id = state.nextId();
  const now = timestamp();
  const release: ReleaseRecord = {
    id,
    node_id: nodeId('Release', id),
    tag_name: body.tag_name,
    target_commitish: body.target_commitish ?? state.defaultBranch,
    name: body.name ?? (body.generate_release_notes ? body.tag_name : null),
    body: body.body ?? null,
    draft: body.draft ?? false,
    prerelease: body.prerelease ?? false,
    make_latest: body.make_latest ?? 'true',
    author: { login: ctx.actor },
    html_url: '',
    created_at: now,
    published_at: body.draft ? null : now,
  };
  if (body.generate_release_notes) {
    const notes = `**Full Changelog**: ${state.htmlUrl}/commits/${release.tag_name}`;
    release.body = release.body ? `${release.body}\n\n${notes}` : notes;
  }
  if (!release.draft) await ensureTag(ctx, release);
  release.html_url = releaseHtmlUrl(ctx, release);
  state.releases.push(release);
  return { status: 201, body: ctx.render.release(release) };
};

const getReleaseByTag: Handler = async (ctx) => {
  // Drafts have no tag yet, so GitHub does not find them by tag name.
  const release = ctx.state.releases.find((r) => r.tag_name === ctx.params.tag && !r.draft);
  if (!release) throw notFound();
  return { status: 200, body: ctx.render.release(release) };
};

const getRelease: Handler = async (ctx) => {
  return { status: 200, body: ctx.render.release(findRelease(ctx)) };
};

const getLatestRelease: Handler = async (ctx) => {
  const published = ctx.state.releases.filter((r) => !r.draft && !r.prerelease);
  const latest =
    published.filter((r) => r.make_latest === 'true').at(-1) ?? published.at(-1) ?? undefined;
  if (!latest) throw notFound();
  return { status: 200, body: ctx.render.release(latest) };
};

const listReleases: Handler = async (ctx) => {
  const newestFirst = [...ctx.state.releases].reverse();
  const page = paginate(newestFirst, ctx.query, ctx.requestUrl);
  return { status: 200, body: page.body.map((r) => ctx.render.release(r)), headers: page.headers };
};

const updateRelease: Handler = async (ctx) => {
  const { body } = ctx;
  const release = findRelease(ctx);
  if (body.tag_name !== undefined) {
    assertUniqueTag(ctx, body.tag_name, release);
    release.tag_name = body.tag_name;
  }
  for (const key of ['target_commitish', 'name', 'body', 'prerelease', 'make_latest'] as const) {
    if (body[key] !== undefined) Object.assign(release, { [key]: body[key] });
  }
  if (body.draft !== undefined && body.draft !== release.draft) {
    release.draft = body.draft;
    release.published_at = body.draft ? null : timestamp();
  }
  if (!release.draft) await ensureTag(ctx, release);
  release.html_url = releaseHtmlUrl(ctx, release);
  return { status: 200, body: ctx.render.release(release) };
};

const deleteRelease: Handler = async (ctx) => {
  const release = findRelease(ctx);
  ctx.state.releases.splice(ctx.state.releases.indexOf(release), 1);
  return { status: 204 };
};

// --- actions ---------------------------------------------------------------------------------

interface DispatchInput {
  required?: boolean;
}

/**
 * Reads the `workflow_dispatch` trigger of a workflow file at a ref, or a reason it cannot be
 * dispatched. GitHub resolves the workflow by file name and rejects undeclared inputs.
 */
async function dispatchTrigger(
  ctx: RequestContext,
  sha: string,
  workflow: string,
): Promise<Record<string, DispatchInput>> {
  const text =
    (await ctx.git.readFile(sha, `.github/workflows/${workflow}`)) ??
    (await ctx.git.readFile(
      `refs/heads/${ctx.state.defaultBranch}`,
      `.github/workflows/${workflow}`,
    ));
  if (text === undefined) throw notFound();
  const doc = parseYaml(text) as { on?: unknown; true?: unknown } | null;
  // YAML 1.1 parsers read a bare `on:` key as boolean true; accept both spellings.
  const on = doc?.on ?? doc?.true;
  const triggers =
    typeof on === 'string'
      ? { [on]: null }
      : Array.isArray(on)
        ? Object.fromEntries(on.map((t) => [t, null]))
        : ((on ?? {}) as Record<string, unknown>);
  if (!('workflow_dispatch' in triggers)) {
    throw new HttpError(422, "Workflow does not have 'workflow_dispatch' trigger");
  }
  const trigger = triggers.workflow_dispatch as { inputs?: Record<string, DispatchInput> } | null;
  return trigger?.inputs ?? {};
}

const dispatchWorkflow: Handler = async (ctx) => {
  const { state, git, body } = ctx;
  const workflowId = ctx.params.workflow_id;
  const ref: string = body.ref;
  const candidates = ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
  let sha: string | undefined;
  for (const candidate of candidates) sha ??= await git.resolveCommit(candidate);
  if (!sha) throw new HttpError(422, `No ref found for: ${ref}`);

  const inputs = (body.inputs ?? {}) as Record<string, unknown>;
  // Numeric workflow ids cannot be mapped to files here; file names are checked for real.
  if (!/^\d+$/.test(workflowId)) {
    const declared = await dispatchTrigger(ctx, sha, workflowId);
    const unexpected = Object.keys(inputs).filter((k) => !(k in declared));
    if (unexpected.length > 0) {
      throw new HttpError(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
    }
    for (const [name, input] of Object.entries(declared)) {
      if (input?.required && !(name in inputs) && !('default' in (input ?? {}))) {
        throw new HttpError(422, `Required input '${name}' not provided`);
      }
    }
  }
  state.dispatches.push({
    workflow_id: /^\d+$/.test(workflowId) ? Number(workflowId) : workflowId,
    ref,
    inputs,
    actor: ctx.actor,
    created_at: timestamp(),
  });
  if (body.return_run_details) {
    const runId = state.nextId();
    return {
      status: 200,
      body: {
        workflow_run_id: runId,
        run_url: `${ctx.render.repoApi}/actions/runs/${runId}`,
        html_url: `${state.htmlUrl}/actions/runs/${runId}`,
      },
    };
  }
  return { status: 204 };
};

/** Handlers for repository-level operations, by operationId. */
export const repoHandlers: Record<string, Handler> = {
  'repos/get': getRepo,
  'repos/get-collaborator-permission-level': getPermission,
  'repos/check-collaborator': checkCollaborator,
  'git/get-ref': getRef,
  'git/list-matching-refs': matchingRefs,
  'git/create-ref': createRef,
  'git/update-ref': updateRef,
  'git/delete-ref': deleteRef,
  'repos/get-branch': getBranch,
  'repos/get-branch-protection': getBranchProtection,
  'repos/list-branches': listBranches,
  'repos/create-release': createRelease,
  'repos/get-release-by-tag': getReleaseByTag,
  'repos/get-release': getRelease,
  'repos/get-latest-release': getLatestRelease,
  'repos/list-releases': listReleases,
  'repos/update-release': updateRelease,
  'repos/delete-release': deleteRelease,
  'actions/create-workflow-dispatch': dispatchWorkflow,
};

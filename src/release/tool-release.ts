/**
 * OncoClear's own releases (not a model's): the release commit whose reusable workflows pin the
 * actions of that same version, and the tags `vX.Y.Z` and `vX` that point at it.
 *
 * The trap it solves: in a reusable workflow, `uses: ./actions/x` resolves against the CALLER's
 * checkout, and `uses:` takes no expression. On main that is right (this repository calls its own
 * workflows at the same commit); for a consumer it would run whatever its own checkout holds. So a
 * release commit R, whose parent is the released commit C on main, rewrites every
 * `uses: ./actions/<name>` to `uses: <owner>/<repo>/actions/<name>@<C> # vX.Y.Z`. C's actions/ is
 * R's actions/ byte for byte, and a commit SHA cannot move, so a consumer pinned to vX.Y.Z runs
 * vX.Y.Z's actions and no others.
 *
 * A reusable workflow that calls another (oncoclear-promote → oncoclear-release) cannot pin it at
 * R: R's SHA depends on the text that would name it. Nested `./.github/workflows/...` calls also
 * resolve against the top-level caller's repository, so they must be pinned too. The callees are
 * committed first: each round commits the workflows whose callees are already final, pinned to
 * the commits that made them final, until none is left (one round per nesting level, two today).
 * Every file is final from its round on, so each pin names the same bytes as the tag.
 *
 * Pure functions here; git and the dist check come in through {@link ToolReleaseGit} and
 * {@link DistCheck} (scripts/release/ has the real ones and the CLI).
 */

import { checkBaseImage } from './model-image.js';

/** A version OncoClear releases: semver 2.0 without build metadata. */
export interface ReleaseVersion {
  version: string;
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated identifiers after `-`, empty for a final release. */
  prerelease: string[];
}

// semver.org's grammar, without build metadata (a tag cannot tell two builds apart anyway).
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$/;

/** Parses `X.Y.Z` or `X.Y.Z-pre.N` (a leading `v` is refused: the tag adds it). */
export function parseReleaseVersion(text: string): ReleaseVersion {
  const m = SEMVER.exec(text);
  if (!m)
    throw new RangeError(
      `Invalid version '${text}'. Expected semver X.Y.Z or X.Y.Z-PRERELEASE without a leading 'v', e.g. 1.2.3 or 1.3.0-rc.1.`,
    );
  return {
    version: text,
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    prerelease: m[4] ? m[4].split('.') : [],
  };
}

/** Semver precedence: negative when a < b. */
export function compareVersions(a: ReleaseVersion, b: ReleaseVersion): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return core;
  if (a.prerelease.length === 0 || b.prerelease.length === 0)
    return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export interface ReleaseTags {
  /** `vX.Y.Z`, annotated, never moves. */
  tag: string;
  /** `vX`, moved to each newest final release of major X; null when this release does not move it. */
  majorTag: string | null;
}

/**
 * The tags a release sets: `1.2.3` → `v1.2.3` and `v1`; a prerelease (`1.3.0-rc.1`) or a release
 * older than the newest of its major (a backport `1.0.1` after `1.1.0`) leaves `v1` alone, so
 * consumers of `@v1` only ever move forward to final releases.
 *
 * @param existing the repository's tags, e.g. from `git tag --list 'v*'`
 */
export function releaseTags(
  version: ReleaseVersion,
  existing: readonly string[] = [],
): ReleaseTags {
  const tag = `v${version.version}`;
  if (version.prerelease.length > 0) return { tag, majorTag: null };
  const newer = existing
    .map((t) =>
      SEMVER.test(t.slice(1)) && t.startsWith('v') ? parseReleaseVersion(t.slice(1)) : null,
    )
    .some(
      (v) =>
        v &&
        v.major === version.major &&
        v.prerelease.length === 0 &&
        compareVersions(v, version) > 0,
    );
  return { tag, majorTag: newer ? null : `v${version.major}` };
}

/** One `uses:` in a workflow that points into this repository's checkout. */
export interface LocalUses {
  /** One-based line. */
  line: number;
  kind: 'action' | 'workflow';
  /** `actions/<name>` or `.github/workflows/<file>`, without `./` or a trailing slash. */
  path: string;
}

// `uses: ./x`, `- uses: './x'`, `uses: "./x" # comment`: the key, the quoted or bare value, the rest.
const USES_LINE = /^(\s*(?:-\s+)?uses:\s*)(['"]?)\.\/([^'"\s#]+?)\/?\2(\s*(?:#.*)?)$/;

function classify(path: string): LocalUses['kind'] | null {
  if (/^actions\/[^/]+$/.test(path)) return 'action';
  if (/^\.github\/workflows\/[^/]+\.ya?ml$/.test(path)) return 'workflow';
  return null;
}

/** Every `uses: ./…` line of a workflow, in order; other local paths are refused. */
export function localUses(text: string, file = 'workflow'): LocalUses[] {
  const out: LocalUses[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = USES_LINE.exec(raw.replace(/\r$/, ''));
    if (!m) return;
    const path = m[3]!;
    const kind = classify(path);
    if (!kind)
      throw new Error(
        `${file}:${i + 1}: 'uses: ./${path}' names neither an action (./actions/<name>) nor a workflow (./.github/workflows/<file>.yml); a release can pin only those.`,
      );
    out.push({ line: i + 1, kind, path });
  });
  return out;
}

export interface PinOptions {
  /** `owner/repo` of OncoClear. */
  repository: string;
  /** The commit that holds the actions (C). */
  actionsCommit: string;
  /** For each `.github/workflows/<file>` a workflow calls: the commit that holds its final text. */
  workflowCommits?: ReadonlyMap<string, string>;
  /** The release's version, written as the pin's comment (`# v1.2.3`) for people and Dependabot. */
  version: string;
}

const SHA = /^[0-9a-f]{40}$/;

/**
 * Rewrites each `uses: ./actions/<name>` to `uses: <owner>/<repo>/actions/<name>@<sha> # v<version>`
 * and each `uses: ./.github/workflows/<file>` to the commit given for it. An existing comment on
 * the line is replaced; quotes are dropped (the pinned form needs none). Everything else is kept.
 */
export function pinLocalUses(text: string, options: PinOptions, file = 'workflow'): string {
  const { repository, actionsCommit, workflowCommits = new Map(), version } = options;
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository))
    throw new TypeError(`Invalid repository '${repository}'. Expected format {owner}/{repo}.`);
  if (!SHA.test(actionsCommit))
    throw new TypeError(`Invalid commit '${actionsCommit}'; expected a 40-hex SHA.`);
  return text
    .split('\n')
    .map((raw, i) => {
      const cr = raw.endsWith('\r') ? '\r' : '';
      const m = USES_LINE.exec(raw.slice(0, raw.length - cr.length));
      if (!m) return raw;
      const path = m[3]!;
      const kind = classify(path);
      let sha: string | undefined;
      if (kind === 'action') sha = actionsCommit;
      else if (kind === 'workflow') sha = workflowCommits.get(path);
      if (!sha || !SHA.test(sha))
        throw new Error(
          `${file}:${i + 1}: no commit to pin 'uses: ./${path}' to; expected an action under actions/ or a reusable workflow released with this one.`,
        );
      return `${m[1]}${repository}/${path}@${sha} # v${version}${cr}`;
    })
    .join('\n');
}

/** The env key in oncoclear-release.yml that names the serving base image (empty on main). */
const BASE_IMAGE_ENV = 'ONCOCLEAR_BASE_IMAGE';

/** Sets `ONCOCLEAR_BASE_IMAGE: <image>` where the workflow declares it; other text is kept. */
export function setBaseImage(text: string, image: string): string {
  checkBaseImage(image);
  const line = new RegExp(`^(\\s*${BASE_IMAGE_ENV}:\\s*)(?:''|""|\\S+)(\\s*(?:#.*)?)$`, 'm');
  return text.replace(line, `$1${image}$2`);
}

/** The default published base image of a release: `ghcr.io/<owner>/<repo>/oncoclear-base:<version>`. */
export function defaultBaseImage(repository: string, version: string): string {
  return `ghcr.io/${repository.toLowerCase()}/oncoclear-base:${version}`;
}

/**
 * package.json must name the repository being released: npm refuses a provenance publish whose
 * `repository.url` is not the repository that built it (E422), and `oncoclear init` takes its
 * default `--from` from it. Checked before anything is tagged.
 */
export function checkPackageRepository(packageJson: string, repository: string): void {
  let url = '';
  try {
    const pkg = JSON.parse(packageJson) as { repository?: string | { url?: string } };
    url = (typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url) ?? '';
  } catch (error) {
    throw new Error(`package.json is not valid JSON (${(error as Error).message}).`);
  }
  const named = /github(?:\.com[/:]|:)([\w.-]+\/[\w.-]+?)(?:\.git)?$/.exec(url)?.[1];
  if (named?.toLowerCase() !== repository.toLowerCase())
    throw new Error(
      `package.json's repository is ${url ? `'${url}'` : 'not set'}; expected it to name ${repository}, e.g. "repository": {"type": "git", "url": "git+https://github.com/${repository}.git"}. npm refuses a provenance publish from another repository, and oncoclear init takes its default --from from it.`,
    );
}

/** Git as the release needs it; scripts/release/git.ts runs the real commands. */
export interface ToolReleaseGit {
  /** The full SHA of a revision. */
  revParse(rev: string): Promise<string>;
  /** Whether the working tree and index match HEAD (untracked files included). */
  isClean(): Promise<boolean>;
  tagExists(tag: string): Promise<boolean>;
  /** Tag names matching a glob, e.g. `v*`. */
  listTags(pattern: string): Promise<string[]>;
  /** Paths of the files in a commit's tree under a folder. */
  listFiles(commit: string, under: string): Promise<string[]>;
  readFile(commit: string, path: string): Promise<string>;
  /** A commit with `parent`'s tree but these files replaced; the work tree and HEAD are untouched. */
  commitFiles(parent: string, files: ReadonlyMap<string, string>, message: string): Promise<string>;
  /** An annotated tag; refuses an existing one. */
  createTag(tag: string, commit: string, message: string): Promise<void>;
  /** A lightweight tag, created or moved. */
  moveTag(tag: string, commit: string): Promise<void>;
  deleteTag(tag: string): Promise<void>;
  /** Pushes the tags in one atomic push; `force` lists those that may move. */
  pushTags(remote: string, tags: readonly string[], force: readonly string[]): Promise<void>;
}

/**
 * Rebuilds the action bundles and returns the committed files that differ from the build
 * (e.g. `actions/train/dist/index.js`), empty when every bundle is fresh.
 */
export type DistCheck = () => Promise<string[]>;

export interface CutToolReleaseInput {
  git: ToolReleaseGit;
  distCheck: DistCheck;
  /** `owner/repo` that hosts OncoClear. */
  repository: string;
  /** `X.Y.Z` or `X.Y.Z-pre`. */
  version: string;
  /** The released commit (default HEAD); it must be what the work tree holds. */
  commit?: string;
  /** The base image consumers' model images build FROM (default {@link defaultBaseImage}). */
  baseImage?: string;
  /** Push the tags to this remote. */
  push?: string | null;
  /** Compute and create the commits, but set and push no tag. */
  dryRun?: boolean;
}

export interface ToolRelease {
  version: string;
  /** A prerelease (`1.3.0-rc.1`): published under npm's `next` and never marked latest. */
  prerelease: boolean;
  tag: string;
  majorTag: string | null;
  /** R: what the tags point at. */
  commit: string;
  /** C: the commit on main whose actions every pin names. */
  pinnedTo: string;
  /** The release commits from C's child to R, one per nesting level of reusable workflows. */
  commits: string[];
  /** Each reusable workflow and the commit that holds its final, pinned text. */
  workflows: Record<string, string>;
  baseImage: string;
  pushed: string | null;
  dryRun: boolean;
}

const WORKFLOW_DIR = '.github/workflows';
/** Reusable workflows a release pins: the ones consumers call. */
const REUSABLE_WORKFLOW = /^\.github\/workflows\/oncoclear-[\w.-]+\.ya?ml$/;

/** Cuts a tool release; see the top of this file. Refuses before it writes anything. */
export async function cutToolRelease(input: CutToolReleaseInput): Promise<ToolRelease> {
  const { git } = input;
  const version = parseReleaseVersion(input.version);
  if (!/^[\w.-]+\/[\w.-]+$/.test(input.repository))
    throw new TypeError(
      `Invalid repository '${input.repository}'. Expected format {owner}/{repo}.`,
    );
  const tags = releaseTags(version, await git.listTags('v*'));
  if (await git.tagExists(tags.tag))
    throw new Error(
      `Tag '${tags.tag}' already exists; a release is never re-cut. Pick the next version.`,
    );
  const pinnedTo = await git.revParse(input.commit ?? 'HEAD');
  if ((await git.revParse('HEAD')) !== pinnedTo || !(await git.isClean()))
    throw new Error(
      `The work tree is not a clean checkout of ${pinnedTo}; the dist check builds the work tree, so it must hold exactly the released commit. Commit or discard the changes (git status) first.`,
    );
  const stale = await input.distCheck();
  if (stale.length > 0)
    throw new Error(
      `Stale action bundles at ${pinnedTo.slice(0, 12)}: ${stale.join(', ')}; expected each to match a fresh build of its src/. Run 'npm run bundle', commit the result on main, and cut the release from that commit.`,
    );

  checkPackageRepository(await git.readFile(pinnedTo, 'package.json'), input.repository);

  const workflowFiles = (await git.listFiles(pinnedTo, WORKFLOW_DIR)).filter((f) =>
    REUSABLE_WORKFLOW.test(f),
  );
  if (workflowFiles.length === 0)
    throw new Error(`No reusable workflows (${WORKFLOW_DIR}/oncoclear-*.yml) at ${pinnedTo}.`);
  const actionFiles = new Set(await git.listFiles(pinnedTo, 'actions'));
  const texts = new Map<string, string>();
  const calls = new Map<string, string[]>();
  for (const file of workflowFiles) {
    const text = await git.readFile(pinnedTo, file);
    texts.set(file, text);
    const uses = localUses(text, file);
    for (const u of uses.filter((x) => x.kind === 'action')) {
      if (!actionFiles.has(`${u.path}/action.yml`) && !actionFiles.has(`${u.path}/action.yaml`))
        throw new Error(`${file}:${u.line}: './${u.path}' has no action.yml at ${pinnedTo}.`);
    }
    const callees = uses.filter((x) => x.kind === 'workflow').map((x) => x.path);
    for (const callee of callees) {
      if (!workflowFiles.includes(callee))
        throw new Error(
          `${file} calls './${callee}', which is not a reusable workflow of this release (${workflowFiles.join(', ')}).`,
        );
    }
    calls.set(file, callees);
  }

  const baseImage = input.baseImage ?? defaultBaseImage(input.repository, version.version);
  const final = new Map<string, string>();
  const commits: string[] = [];
  let parent = pinnedTo;
  while (final.size < workflowFiles.length) {
    const ready = workflowFiles.filter(
      (f) => !final.has(f) && calls.get(f)!.every((callee) => final.has(callee)),
    );
    if (ready.length === 0)
      throw new Error(
        `Reusable workflows call each other in a cycle: ${workflowFiles.filter((f) => !final.has(f)).join(', ')}; expected callees that call nothing back.`,
      );
    const files = new Map<string, string>();
    for (const file of ready) {
      const pinned = pinLocalUses(
        texts.get(file)!,
        {
          repository: input.repository,
          actionsCommit: pinnedTo,
          workflowCommits: final,
          version: version.version,
        },
        file,
      );
      files.set(file, setBaseImage(pinned, baseImage));
    }
    const round = commits.length + 1;
    parent = await git.commitFiles(
      parent,
      files,
      `Release ${tags.tag}${round > 1 ? ` (${round})` : ''}: pin ${[...files.keys()].map((f) => f.slice(WORKFLOW_DIR.length + 1)).join(', ')} to ${pinnedTo.slice(0, 12)}\n\nA tag-only commit: its parent ${pinnedTo} is on main and holds the same actions/.`,
    );
    commits.push(parent);
    for (const file of ready) final.set(file, parent);
  }

  const release: ToolRelease = {
    version: version.version,
    prerelease: version.prerelease.length > 0,
    tag: tags.tag,
    majorTag: tags.majorTag,
    commit: parent,
    pinnedTo,
    commits,
    workflows: Object.fromEntries(final),
    baseImage,
    pushed: null,
    dryRun: input.dryRun ?? false,
  };
  if (input.dryRun) return release;
  const majorWas =
    tags.majorTag && (await git.tagExists(tags.majorTag))
      ? await git.revParse(tags.majorTag)
      : null;
  await git.createTag(tags.tag, parent, `OncoClear ${tags.tag}`);
  if (tags.majorTag) await git.moveTag(tags.majorTag, parent);
  if (input.push) {
    const pushed = tags.majorTag ? [tags.tag, tags.majorTag] : [tags.tag];
    try {
      await git.pushTags(input.push, pushed, tags.majorTag ? [tags.majorTag] : []);
    } catch (error) {
      // The push is atomic, so the remote has neither tag: put the local ones back as they were,
      // so that a re-run is not refused for a tag that exists only here.
      await git.deleteTag(tags.tag);
      if (tags.majorTag) {
        if (majorWas) await git.moveTag(tags.majorTag, majorWas);
        else await git.deleteTag(tags.majorTag);
      }
      throw error;
    }
    release.pushed = withoutCredentials(input.push);
  }
  return release;
}

/** A remote as it may be printed: a URL's user and password (a token) are dropped. */
export function withoutCredentials(remote: string): string {
  return remote.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}

/**
 * The notes of one version in CHANGELOG.md: the text under its `## X.Y.Z` (or `## [X.Y.Z]`)
 * heading up to the next `## `, without HTML comments, trimmed. The tag's GitHub release shows it.
 */
export function changelogSection(changelog: string, version: string): string {
  // Comments are notes for maintainers (CHANGELOG.md ends with one), not release notes.
  const lines = changelog.replace(/<!--[\s\S]*?-->/g, '').split(/\r?\n/);
  const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const heading = new RegExp(`^##\\s+\\[?v?${escaped}\\]?(?:\\s|$)`);
  const start = lines.findIndex((l) => heading.test(l));
  if (start < 0)
    throw new Error(
      `CHANGELOG.md has no section for ${version}; expected a '## ${version}' heading (changeset version writes it).`,
    );
  const end = lines.findIndex((l, i) => i > start && /^##\s/.test(l));
  const body = lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .trim();
  if (!body)
    throw new Error(`CHANGELOG.md's section for ${version} is empty; expected its changes.`);
  return body;
}

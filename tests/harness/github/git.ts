/**
 * Thin async wrapper over the real `git` CLI, shared by the emulator (which treats a bare
 * repository as GitHub's copy of the repo) and the test fixtures.
 */
import { execFile } from 'node:child_process';

/** Result of a git invocation that is allowed to fail. */
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Identity used for commits git writes on someone's behalf. */
export interface GitIdentity {
  name: string;
  email: string;
  /** ISO date; defaults to now. */
  date?: string;
}

/**
 * The environment every git call runs with. Inherited `GIT_*` variables are dropped (vitest may
 * run inside a git hook, which sets `GIT_DIR`/`GIT_INDEX_FILE`), and user/system config is
 * ignored so a developer's `commit.gpgsign` or `init.defaultBranch` cannot change results.
 */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('GIT_')) env[key] = value;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    ...extra,
  };
}

/** Runs git and resolves with its exit code and output instead of throwing. */
export function tryGit(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd: options.cwd, env: gitEnv(options.env), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** Runs git and resolves with stdout; rejects with stderr in the message on failure. */
export async function git(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const result = await tryGit(args, options);
  if (result.code !== 0) {
    throw new Error(`git ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Environment variables that make git attribute a commit to the given author and committer. */
export function identityEnv(author: GitIdentity, committer: GitIdentity): Record<string, string> {
  const now = new Date().toISOString();
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_AUTHOR_DATE: author.date ?? now,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
    GIT_COMMITTER_DATE: committer.date ?? now,
  };
}

/** One entry of a diff between two commits, with what GitHub's diff-entry needs. */
export interface DiffFile {
  filename: string;
  previousFilename?: string;
  /** Git's status letter: A, D, M, R, C, T. */
  status: string;
  /** Blob id on the new side (old side for deletions). */
  blob: string;
  additions: number;
  deletions: number;
  /** Hunks only (from the first `@@`), absent for binary files, like GitHub. */
  patch?: string;
}

/** Commit metadata read back from the object database. */
export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: Required<GitIdentity>;
  committer: Required<GitIdentity>;
  message: string;
}

/**
 * Read and write access to a bare repository, i.e. the emulated GitHub side of the repo.
 * Everything goes through plumbing commands so no working tree is ever needed.
 */
export class BareRepo {
  /** @param gitDir absolute path of the bare repository. */
  constructor(readonly gitDir: string) {}

  private run(args: string[], env?: Record<string, string>): Promise<string> {
    return git(['--git-dir', this.gitDir, ...args], { env });
  }

  private tryRun(args: string[], env?: Record<string, string>): Promise<GitResult> {
    return tryGit(['--git-dir', this.gitDir, ...args], { env });
  }

  /** The commit a revision names, or undefined if it does not exist. */
  async resolveCommit(rev: string): Promise<string | undefined> {
    const r = await this.tryRun(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** The object a full ref name points at directly (a tag object for annotated tags). */
  async readRef(refname: string): Promise<{ sha: string; type: string } | undefined> {
    // One process instead of rev-parse + cat-file: git spawns dominate the emulator's latency.
    const out = await this.run([
      'for-each-ref',
      '--format=%(refname)%00%(objectname)%00%(objecttype)',
      refname,
    ]);
    for (const line of out.split('\n')) {
      const [name, sha, type] = line.split('\0');
      if (name === refname) return { sha, type };
    }
    return undefined;
  }

  /** All refs under a prefix (default `refs/`), by full name. */
  async listRefs(prefix = 'refs/'): Promise<Map<string, string>> {
    const out = await this.run(['for-each-ref', '--format=%(refname) %(objectname)', prefix]);
    const refs = new Map<string, string>();
    for (const line of out.split('\n')) {
      if (!line) continue;
      const [name, sha] = line.split(' ');
      refs.set(name, sha);
    }
    return refs;
  }

  /**
   * Moves (or creates) a ref. With `expectedOld`, the update is atomic compare-and-swap,
   * which is what keeps two concurrent merges from silently overwriting each other.
   */
  async updateRef(refname: string, sha: string, expectedOld?: string): Promise<void> {
    await this.run(['update-ref', refname, sha, ...(expectedOld ? [expectedOld] : [])]);
  }

  /** Deletes a ref; with `expectedOld`, only if it still points there. */
  async deleteRef(refname: string, expectedOld?: string): Promise<void> {
    await this.run(['update-ref', '-d', refname, ...(expectedOld ? [expectedOld] : [])]);
  }

  /**
   * Paths changed by the commits reachable from `tip` that no ref reaches yet, i.e. what a
   * push introduces. Merge commits count against their first parent only, so merging a
   * branch that already exists here does not re-count its changes.
   */
  async introducedPaths(tip: string): Promise<string[]> {
    const out = await this.run([
      'log',
      '--format=',
      '--name-only',
      '--no-renames',
      '--diff-merges=first-parent',
      tip,
      '--not',
      '--all',
    ]);
    return [...new Set(out.split('\n').filter(Boolean))];
  }

  /** Whether `ancestor` is reachable from `descendant`. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const r = await this.tryRun(['merge-base', '--is-ancestor', ancestor, descendant]);
    return r.code === 0;
  }

  /** The best common ancestor of two commits, if any. */
  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const r = await this.tryRun(['merge-base', a, b]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Commits reachable from `head` but not from `base`, oldest first, merges excluded. */
  async commitsBetween(base: string, head: string): Promise<string[]> {
    const out = await this.run(['rev-list', '--reverse', '--no-merges', `${base}..${head}`]);
    return out.split('\n').filter(Boolean);
  }

  /**
   * Three-way merges two commits without a working tree (`git merge-tree --write-tree`, git
   * 2.38+). Returns the resulting tree, or `clean: false` when there are conflicts.
   */
  async mergeTrees(ours: string, theirs: string): Promise<{ clean: boolean; tree?: string }> {
    const r = await this.tryRun(['merge-tree', '--write-tree', '--no-messages', ours, theirs]);
    if (r.code === 0) return { clean: true, tree: r.stdout.split('\n')[0].trim() };
    if (r.code === 1) return { clean: false };
    throw new Error(`git merge-tree failed (${r.code}): ${r.stderr.trim()}`);
  }

  /** Writes a commit object for a tree and returns its id. */
  async commitTree(
    tree: string,
    parents: string[],
    message: string,
    author: GitIdentity,
    committer: GitIdentity,
  ): Promise<string> {
    const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message];
    return (await this.run(args, identityEnv(author, committer))).trim();
  }

  /**
   * Replays `commit` on top of `onto`, like `git cherry-pick`, using plumbing only.
   *
   * `merge-tree --merge-base` needs git 2.40, so instead a throwaway commit is made that has
   * `onto`'s tree but `commit`'s parent as its parent; merging it with `commit` then uses that
   * parent as the merge base, which is exactly the cherry-pick three-way merge.
   */
  async cherryPick(commit: string, onto: string, committer: GitIdentity): Promise<string | null> {
    const info = await this.commitInfo(commit);
    const ontoTree = (await this.run(['rev-parse', `${onto}^{tree}`])).trim();
    const shim = await this.commitTree(
      ontoTree,
      info.parents.slice(0, 1),
      'cherry-pick shim',
      committer,
      committer,
    );
    const merged = await this.mergeTrees(shim, commit);
    if (!merged.clean || !merged.tree) return null;
    return this.commitTree(merged.tree, [onto], info.message, info.author, committer);
  }

  /** Author, committer, parents and message of a commit. */
  async commitInfo(sha: string): Promise<CommitInfo> {
    const format = ['%H', '%T', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%B'].join('%x00');
    const out = await this.run(['show', '-s', `--format=${format}`, sha]);
    const [full, tree, parents, an, ae, ad, cn, ce, cd, ...message] = out.split('\0');
    return {
      sha: full,
      tree,
      parents: parents ? parents.split(' ') : [],
      author: { name: an, email: ae, date: ad },
      committer: { name: cn, email: ce, date: cd },
      message: message.join('\0').replace(/\n+$/, ''),
    };
  }

  /** Whether a path exists in the tree of a revision. */
  async pathExists(rev: string, path: string): Promise<boolean> {
    const r = await this.tryRun(['cat-file', '-e', `${rev}:${path}`]);
    return r.code === 0;
  }

  /** A file's content at a revision, or undefined when it does not exist there. */
  async readFile(rev: string, path: string): Promise<string | undefined> {
    const r = await this.tryRun(['show', `${rev}:${path}`]);
    return r.code === 0 ? r.stdout : undefined;
  }

  /**
   * Totals for what `head` changed since it diverged from `base` (GitHub's three-dot
   * comparison), as the full pull-request shape reports them.
   */
  async diffStat(
    base: string,
    head: string,
  ): Promise<{ files: number; additions: number; deletions: number }> {
    const out = await this.run(['diff', '--numstat', '-M', `${base}...${head}`]);
    let files = 0;
    let additions = 0;
    let deletions = 0;
    for (const line of out.split('\n')) {
      if (!line) continue;
      const [add, del] = line.split('\t');
      files += 1;
      additions += add === '-' ? 0 : Number(add);
      deletions += del === '-' ? 0 : Number(del);
    }
    return { files, additions, deletions };
  }

  /** The unified diff of what `head` changed since it diverged from `base`. */
  diffText(base: string, head: string): Promise<string> {
    return this.run(['diff', '-M', '--full-index', `${base}...${head}`]);
  }

  /** Number of commits on `head` that `base` does not have. */
  async countCommits(base: string, head: string): Promise<number> {
    return Number((await this.run(['rev-list', '--count', `${base}..${head}`])).trim());
  }

  /**
   * Files `head` changed since it diverged from `base`, with rename detection, line counts
   * and per-file patches, in git's (path) order.
   */
  async diffFiles(base: string, head: string): Promise<DiffFile[]> {
    const range = `${base}...${head}`;
    const [raw, numstat, patch] = await Promise.all([
      this.run(['diff', '--raw', '-z', '-M', '--no-abbrev', range]),
      this.run(['diff', '--numstat', '-z', '-M', range]),
      this.run(['diff', '-M', '--no-color', range]),
    ]);

    // --raw -z: ":<mode> <mode> <old> <new> <status>\0<path>\0[<new path>\0]"
    const files: DiffFile[] = [];
    const tokens = raw.split('\0');
    for (let i = 0; i < tokens.length - 1; ) {
      const [, , oldBlob, newBlob, status] = tokens[i].slice(1).split(' ');
      const letter = status[0];
      const twoPaths = letter === 'R' || letter === 'C';
      const first = tokens[i + 1];
      const second = twoPaths ? tokens[i + 2] : undefined;
      i += twoPaths ? 3 : 2;
      files.push({
        filename: second ?? first,
        previousFilename: twoPaths ? first : undefined,
        status: letter,
        blob: /^0+$/.test(newBlob) ? oldBlob : newBlob,
        additions: 0,
        deletions: 0,
      });
    }

    // --numstat -z: "<add>\t<del>\t<path>\0" or "<add>\t<del>\t\0<old>\0<new>\0"
    const counts = numstat.split('\0');
    let fileIndex = 0;
    for (let i = 0; i < counts.length - 1 && fileIndex < files.length; fileIndex++) {
      const [add, del, path] = counts[i].split('\t');
      i += path === '' ? 3 : 1;
      const file = files[fileIndex];
      file.additions = add === '-' ? 0 : Number(add);
      file.deletions = del === '-' ? 0 : Number(del);
    }

    // All three outputs come from the same diff queue, so the patch sections line up with
    // the raw entries. GitHub's `patch` is the hunks only, without the file headers.
    const sections = patch.split(/^(?=diff --git )/m).filter((s) => s.startsWith('diff --git '));
    sections.forEach((section, i) => {
      const hunkStart = section.indexOf('\n@@');
      if (files[i] && hunkStart >= 0)
        files[i].patch = section.slice(hunkStart + 1).replace(/\n$/, '');
    });
    return files;
  }
}

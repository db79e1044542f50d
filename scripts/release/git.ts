// The real git behind src/release/tool-release.ts's ToolReleaseGit: plain git commands in one
// repository. Release commits are written with plumbing (a private index, write-tree,
// commit-tree), so the work tree, the index and HEAD are never touched: the release commit lives
// on tags only.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolReleaseGit } from '../../src/release/tool-release.js';

type Run = (
  args: readonly string[],
  options?: { input?: string; env?: NodeJS.ProcessEnv },
) => Promise<string>;

function runner(dir: string, env: NodeJS.ProcessEnv): Run {
  return (args, options = {}) =>
    new Promise((resolvePromise, reject) => {
      const child = execFile(
        'git',
        [...args],
        { cwd: dir, env: { ...env, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error)
            reject(
              new Error(
                redact(`git ${args.join(' ')} failed: ${(stderr || error.message).trim()}`),
              ),
            );
          else resolvePromise(stdout);
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
}

/** A remote URL's credentials never reach an error message (`https://user:token@host`). */
function redact(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1***@');
}

/** Git in `dir`; `env` is the whole environment of each command (identity, dates). */
export function createToolReleaseGit(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): ToolReleaseGit {
  const git = runner(dir, env);
  return {
    async revParse(rev) {
      return (await git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).trim();
    },
    async isClean() {
      return (await git(['status', '--porcelain', '--untracked-files=normal'])).trim() === '';
    },
    async tagExists(tag) {
      try {
        await git(['rev-parse', '--verify', '--quiet', `refs/tags/${tag}`]);
        return true;
      } catch {
        return false;
      }
    },
    async listTags(pattern) {
      return (await git(['tag', '--list', pattern])).split('\n').filter(Boolean);
    },
    async listFiles(commit, under) {
      const out = await git(['ls-tree', '-r', '--name-only', '-z', commit, '--', `${under}/`]);
      return out.split('\0').filter(Boolean);
    },
    async readFile(commit, path) {
      return git(['show', `${commit}:${path}`]);
    },
    async commitFiles(parent, files, message) {
      const scratch = mkdtempSync(join(tmpdir(), 'oncoclear-release-index-'));
      const index = { GIT_INDEX_FILE: join(scratch, 'index') };
      try {
        await git(['read-tree', parent], { env: index });
        for (const [path, text] of files) {
          const blob = (await git(['hash-object', '-w', '--stdin'], { input: text })).trim();
          await git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], {
            env: index,
          });
        }
        const tree = (await git(['write-tree'], { env: index })).trim();
        return (
          await git(['commit-tree', tree, '-p', parent, '-F', '-'], { input: message })
        ).trim();
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    },
    async createTag(tag, commit, message) {
      await git(['tag', '--annotate', '--file', '-', tag, commit], { input: message });
    },
    async moveTag(tag, commit) {
      await git(['tag', '--force', tag, commit]);
    },
    async deleteTag(tag) {
      await git(['tag', '--delete', tag]);
    },
    async pushTags(remote, tags, force) {
      const specs = tags.map((t) => `${force.includes(t) ? '+' : ''}refs/tags/${t}:refs/tags/${t}`);
      await git(['push', '--atomic', remote, ...specs]);
    },
  };
}

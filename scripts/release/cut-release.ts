// Cuts an OncoClear tool release: refuses a stale actions/*/dist, a malformed version or an
// existing tag; writes the tag-only release commit whose reusable workflows pin this version's
// actions (src/release/tool-release.ts says why); tags vX.Y.Z (annotated) and moves vX; prints
// JSON. docs/releasing.md describes the whole release.
//
// Usage: npx tsx scripts/release/cut-release.ts --repository OWNER/REPO --version X.Y.Z
//          [--dir DIR] [--base-image IMAGE] [--push REMOTE] [--dry-run] [--help]

import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cutToolRelease, type DistCheck } from '../../src/release/tool-release.js';
import { runIfEntryPoint } from '../run-main.js';
import { createToolReleaseGit } from './git.js';

const HELP = `Usage: npx tsx scripts/release/cut-release.ts --repository OWNER/REPO --version X.Y.Z
         [--dir DIR] [--base-image IMAGE] [--push REMOTE] [--dry-run]

Cuts an OncoClear release from the commit checked out in DIR (a clean checkout of main):
  1. refuses a version that is not semver, a tag that exists, or a stale actions/*/dist
     (rebuilt with scripts/build.mjs --check-actions);
  2. writes a release commit (on no branch) whose .github/workflows/oncoclear-*.yml call
     OWNER/REPO/actions/<name>@<this commit> and each other by commit, and whose
     ONCOCLEAR_BASE_IMAGE names the version's serving base image;
  3. tags it vX.Y.Z (annotated) and moves vX (not for a prerelease, nor for a release older than
     the newest of its major), and with --push pushes both in one atomic push.
Prints {version, tag, majorTag, commit, pinnedTo, ...} as JSON.

Options:
  --repository OWNER/REPO  where OncoClear lives on GitHub (the pins name it)
  --version X.Y.Z          the version to release (package.json's, after changeset version)
  --dir DIR                the repository (default: the current directory)
  --base-image IMAGE       the base consumers build FROM (default:
                           ghcr.io/<owner>/<repo>/oncoclear-base:<version>; pass NAME@sha256:… once
                           the base is pushed, so the pin cannot move)
  --push REMOTE            push the tags to REMOTE (e.g. origin)
  --dry-run                create the commits and print the result, but set and push no tag
  -h, --help               show this help
`;

/** `node scripts/build.mjs --check-actions` in `dir`: the committed bundles that a fresh build changes. */
export function buildScriptDistCheck(dir: string): DistCheck {
  return () =>
    new Promise((resolvePromise, reject) => {
      execFile(
        process.execPath,
        ['scripts/build.mjs', '--check-actions'],
        { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (!error) return resolvePromise([]);
          const listed = /Stale action bundles: (.+?)\. Run /.exec(stderr)?.[1];
          if (listed) return resolvePromise(listed.split(', '));
          reject(
            new Error(
              `The dist check (node scripts/build.mjs --check-actions in ${dir}) failed: ${(stderr || stdout || error.message).trim()}`,
            ),
          );
        },
      );
    });
}

export interface CutReleaseDeps {
  distCheck?: (dir: string) => DistCheck;
  env?: NodeJS.ProcessEnv;
}

export async function main(
  argv: readonly string[],
  io: { log: (s: string) => void; error: (s: string) => void } = console,
  deps: CutReleaseDeps = {},
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        repository: { type: 'string' },
        version: { type: 'string' },
        dir: { type: 'string', default: '.' },
        'base-image': { type: 'string' },
        push: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.error(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.log(HELP);
    return 0;
  }
  for (const flag of ['repository', 'version'] as const) {
    if (typeof values[flag] !== 'string') {
      io.error(`Missing --${flag}.\n\n${HELP}`);
      return 2;
    }
  }
  const dir = resolve(values.dir as string);
  try {
    const release = await cutToolRelease({
      git: createToolReleaseGit(dir, deps.env),
      distCheck: (deps.distCheck ?? buildScriptDistCheck)(dir),
      repository: values.repository as string,
      version: values.version as string,
      ...(typeof values['base-image'] === 'string' ? { baseImage: values['base-image'] } : {}),
      push: (values.push as string | undefined) ?? null,
      dryRun: values['dry-run'] as boolean,
    });
    io.log(JSON.stringify(release, null, 2));
    return 0;
  } catch (error) {
    io.error(`cut-release: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

runIfEntryPoint(import.meta.url, (argv) => main(argv));

// Entry of the V8 startup snapshot of `oncoclear serve` (`node scripts/build.mjs --snapshot`,
// run in the image: docs/image.md). Bundled to dist/snapshot.cjs, which `node --build-snapshot`
// runs once: the modules it imports are compiled and evaluated then, and a start from the blob
// (`node --snapshot-blob dist/serve.blob serve ...`) begins with them in its heap, skipping the
// compile and top level that are most of a cold start. The image's entrypoint
// (bin/image-entrypoint.sh) uses the blob only when the node that built it is the one on PATH.
//
// What must not be in a snapshot stays out: node:http and the other built-ins Node does not
// support there are loaded on first use (the build's lazy-builtins plugin), as are
// @hono/node-server (it loads undici) and prom-client; no random bytes or clock reads happen at
// the top level of these modules, so every start draws its own audit key and request ids.
import cluster from 'node:cluster';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startupSnapshot } from 'node:v8';
import { runServe } from './serve-command.js';
import { markStartedFromSnapshot } from './start-mode.js';
// The start path, evaluated into the snapshot: what `serve` and a cluster worker import.
import './serve.js';
import './app.js';
import './audit-key.js';
import './log.js';
import './node/cluster.js';
import './node/fast-predict.js';
import './node/worker-link.js';

/** The id of the dist/ build this snapshot was made with (scripts/build.mjs defines it). */
declare const __ONCOCLEAR_BUILD_ID__: string;

/** What import.meta.url reads in this bundle (scripts/snapshot.mjs's banner and define). */
declare let __ocImportMetaUrl: string;

/**
 * dist/ of the running tree: the blob's directory (dist/serve.blob), not where it was built,
 * since a tree may be built in one place and run in another (the image's /src and /app).
 */
function distDir(flags: readonly string[]): string {
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === '--snapshot-blob' && flags[i + 1]) return dirname(resolve(flags[i + 1]!));
    if (flag.startsWith('--snapshot-blob=')) return dirname(resolve(flag.slice(16)));
  }
  return __dirname;
}

/** The build id dist/ holds now: another build since this snapshot means the snapshot is stale. */
function currentBuildId(dist: string): string | null {
  try {
    return readFileSync(join(dist, 'build-id'), 'utf8').trim();
  } catch {
    return null;
  }
}

/** The node flags this process runs with: its command line's, then NODE_OPTIONS'. */
function nodeFlags(): string[] {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
}

/** Set in the environment of a hand-over, so a second one (a loop) is refused instead. */
const HANDED_OVER_ENV = 'ONCOCLEAR_SNAPSHOT_HANDED_OVER';

/** Node flags that preload code, which a start from a snapshot does not run (--require does). */
const PRELOADS = ['--import', '--loader', '--experimental-loader'];

function withoutSnapshotBlob(flags: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === '--snapshot-blob') i++;
    else if (flag !== '' && !flag.startsWith('--snapshot-blob=')) kept.push(flag);
  }
  return kept;
}

/**
 * Starts `serve` as the plain launcher would, in this process (execve keeps the pid, so a
 * container's PID 1 stays the server): the node flags minus --snapshot-blob, then the arguments.
 */
function fallBack(script: string, reason: string, args: string[]): never {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg: 'startup snapshot not used', reason })}\n`,
  );
  if (!existsSync(script)) {
    // A blob moved away from its tree: say so, not Node's MODULE_NOT_FOUND stack.
    process.stderr.write(
      `oncoclear: no bundle to start instead: ${script} is missing; keep dist/serve.blob in the tree it was built from (beside bin/ and dist/build-id)\n`,
    );
    process.exit(1);
  }
  const flags = withoutSnapshotBlob(process.execArgv);
  // Present from Node 22.15 and 23.11; scripts/build.mjs builds no snapshot on an older Node.
  const execve = (process as { execve?: (file: string, args: string[], env: object) => never })
    .execve!;
  // Nor through NODE_OPTIONS, or the bundle's process would start from the snapshot again.
  const env: NodeJS.ProcessEnv = { ...process.env, [HANDED_OVER_ENV]: '1' };
  if (env.NODE_OPTIONS !== undefined)
    env.NODE_OPTIONS = withoutSnapshotBlob(env.NODE_OPTIONS.split(/\s+/)).join(' ');
  return execve(process.execPath, [process.execPath, ...flags, script, ...args], env);
}

startupSnapshot.setDeserializeMainFunction(() => {
  const flags = nodeFlags();
  const dist = distDir(flags);
  __ocImportMetaUrl = pathToFileURL(join(dist, 'snapshot.cjs')).href;
  // The launcher `serve` runs from without the snapshot.
  const bin = join(dist, '..', 'bin', 'oncoclear.js');
  // A cluster worker runs the blob too (its execArgv carries --snapshot-blob), forked by a
  // primary that has made the checks below; it reads its options from that primary. (node:cluster
  // is loaded here, on first use: at load it decides whether this process is a worker.)
  if (cluster.isWorker) {
    markStartedFromSnapshot();
    return void runServe([]);
  }
  if (process.env[HANDED_OVER_ENV]) {
    process.stderr.write(
      'oncoclear: the startup snapshot was handed over to the bundle and started again; is --snapshot-blob in NODE_OPTIONS? Pass it on the command line only.\n',
    );
    process.exit(1);
  }
  // From a blob, argv is [node, ...arguments]: no script.
  const args = process.argv.slice(1);
  const built = __ONCOCLEAR_BUILD_ID__;
  const found = currentBuildId(dist);
  if (found !== built)
    fallBack(
      bin,
      `dist/ is build ${found ?? '(none: dist/build-id is missing)'}, the snapshot is of build ${built}`,
      args,
    );
  if (args[0] !== 'serve') {
    const reason = `it holds only 'serve', not '${args[0] ?? ''}'`;
    // A script named after the blob's flags (node --snapshot-blob B script.js, or B through
    // NODE_OPTIONS): run it; else an oncoclear command, which the launcher runs.
    if (args[0] !== undefined && /\.[cm]?js$/.test(args[0]) && existsSync(args[0]))
      fallBack(args[0], reason, args.slice(1));
    fallBack(bin, reason, args);
  }
  // An --import preload (OpenTelemetry, an APM agent) would silently not run from a snapshot.
  const preload = flags.find((flag) =>
    PRELOADS.some((p) => flag === p || flag.startsWith(`${p}=`)),
  );
  if (preload)
    fallBack(bin, `${preload.split('=')[0]} preloads do not run from a startup snapshot`, args);
  markStartedFromSnapshot();
  // As under the launcher, [node, bin, command, ...flags]: cluster.fork runs argv[1].
  process.argv.splice(1, 0, bin);
  void runServe(args.slice(1));
});

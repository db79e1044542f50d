// The V8 startup snapshot of `oncoclear serve`: dist/snapshot.cjs (service/snapshot.ts, one
// CommonJS file, as `node --build-snapshot` requires) and dist/serve.blob, which this node builds
// from it. A blob runs only on the node binary that built it, so it is built where it runs: in the
// image (service/Dockerfile), never shipped in the npm package.
import { spawnSync } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const SNAPSHOT_ENTRY = join('dist', 'snapshot.cjs');
export const SNAPSHOT_BLOB = join('dist', 'serve.blob');
/**
 * Which node built the blob: `<size> <mtime in s> <path>` of its binary, as `ls -lnL
 * --time-style=+%s` prints them, so bin/image-entrypoint.sh can check the node on PATH is it
 * (another node aborts on the blob) with no node start of its own.
 */
export const SNAPSHOT_NODE_STAMP = join('dist', 'serve.blob.node');

/**
 * Built-ins that a snapshot cannot hold (node:http aborts the build) or that Node has not verified
 * there ("may be out of sync after deserialization"): node:cluster, for one, decides at load time
 * whether the process is a worker. Each resolves to a stand-in that loads the real module on first
 * use, which must come after deserialization: a use while the snapshot is built fails it.
 */
const LAZY_BUILTINS = [
  'child_process',
  'cluster',
  'http',
  'http2',
  'https',
  'inspector',
  'module',
  'perf_hooks',
  'worker_threads',
];

function lazyBuiltinSource(name) {
  // The export names, so esbuild's interop can copy them as getters without loading the module.
  const keys = Object.keys(createRequire(import.meta.url)(`node:${name}`));
  return `const v8 = require('node:v8');
let real;
function load() {
  if (real) return real;
  if (v8.startupSnapshot.isBuildingSnapshot())
    throw new Error('node:${name} was used while the startup snapshot was built: load it on first use (scripts/snapshot.mjs)');
  return (real = require('node:${name}'));
}
const keys = ${JSON.stringify(keys)};
// Writes go to the real module too: a method called on the stand-in (cluster.on) has it as this.
module.exports = new Proxy({}, {
  get: (_, key) => (key === '__esModule' ? undefined : load()[key]),
  set: (_, key, value) => Reflect.set(load(), key, value),
  defineProperty: (_, key, descriptor) => Reflect.defineProperty(load(), key, descriptor),
  deleteProperty: (_, key) => Reflect.deleteProperty(load(), key),
  has: (_, key) => key in load(),
  ownKeys: () => keys,
  getOwnPropertyDescriptor: (_, key) =>
    keys.includes(key) ? { configurable: true, enumerable: true, get: () => load()[key] } : undefined,
});
`;
}

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      // The stand-in's own require is of the real module.
      args.namespace === 'lazy-builtin'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: lazyBuiltinSource(args.path),
      loader: 'js',
    }));
  },
};

/**
 * Bundles service/snapshot.ts to dist/snapshot.cjs and has this node build dist/serve.blob from
 * it. `build` is esbuild's, `common` the service bundle's options, `buildId` dist/build-id's.
 */
export async function buildSnapshot({ build, common, plugins, buildId }) {
  // A blob of an earlier build or another node is never left behind.
  for (const file of [SNAPSHOT_BLOB, SNAPSHOT_NODE_STAMP]) rmSync(file, { force: true });
  if (typeof process.execve !== 'function') {
    // The image then starts from the bundle (bin/image-entrypoint.sh finds no blob).
    console.log(
      `no startup snapshot: it needs Node 22.15+ or 23.11+ (process.execve, its hand-over to the bundle); this is ${process.version}`,
    );
    return;
  }
  await build({
    ...common,
    entryPoints: { snapshot: 'service/snapshot.ts' },
    outfile: SNAPSHOT_ENTRY,
    outdir: undefined,
    format: 'cjs',
    splitting: false,
    minify: true,
    // No ESM banner: a CommonJS file has require. import.meta.url becomes a variable, read where
    // it is used: the URL of dist/snapshot.cjs where it was built, until service/snapshot.ts sets
    // it to the running blob's directory, so the paths the service finds beside dist/service.js
    // hold wherever the tree was built (the image builds it in /src and runs it in /app).
    banner: { js: "var __ocImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: {
      'import.meta.url': '__ocImportMetaUrl',
      __ONCOCLEAR_BUILD_ID__: JSON.stringify(buildId),
    },
    plugins: [...plugins, lazyBuiltins],
  });
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ['--snapshot-blob', SNAPSHOT_BLOB, '--build-snapshot', SNAPSHOT_ENTRY],
    { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' },
  );
  // Node warns about modules it has not verified in snapshots; those are the lazy ones above.
  const stderr = result.stderr
    .split('\n')
    .filter(
      (line) =>
        line &&
        !/not yet fully verified|It may still work|To request support|--trace-warnings/.test(line),
    )
    .join('\n');
  if (result.status !== 0) {
    rmSync(SNAPSHOT_BLOB, { force: true });
    throw new Error(
      `node --build-snapshot failed (exit ${result.status ?? result.signal}):\n${stderr}`,
    );
  }
  if (stderr) process.stderr.write(`${stderr}\n`);
  const node = statSync(process.execPath);
  writeFileSync(SNAPSHOT_NODE_STAMP, `${node.size} ${Math.floor(node.mtimeMs / 1000)}\n`);
  const mb = (statSync(SNAPSHOT_BLOB).size / 1e6).toFixed(1);
  console.log(
    `startup snapshot ${SNAPSHOT_BLOB} (${mb} MB) for node ${process.version} in ${Math.round(performance.now() - started)} ms`,
  );
}

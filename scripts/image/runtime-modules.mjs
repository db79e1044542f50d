#!/usr/bin/env node
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
// Copies into --out only the node_modules packages the built bundles still load at run time: the
// packages named by a bare import, import(), require() or *.resolve() in dist/*.js, and
// everything those depend on. scripts/build.mjs bundles the dependencies, so this is usually
// nothing; were a package left external (or a file read from one, e.g. static assets found with
// require.resolve), it comes along. A plain text scan: it may take a package named in a comment
// (harmless), never miss one loaded in these forms. Run after `npm prune --omit=dev`, so no dev
// dependency can come along.
//
// Never copied: source maps (*.map: Swagger UI alone ships 9 MB of them, and nothing at run time
// reads them) and install-time telemetry packages (TELEMETRY below: @scarf/scarf, a dependency of
// swagger-ui-dist, which only runs as an install script; the bundles no longer load
// swagger-ui-dist, whose two assets scripts/build.mjs copies into dist/swagger-ui/).
//
//   node scripts/image/runtime-modules.mjs [--dist dist] [--modules node_modules] --out DIR
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const dist = opt('dist', 'dist');
const modules = opt('modules', 'node_modules');
const out = opt('out', '');
if (!out) {
  process.stderr.write('runtime-modules: --out DIR is required\n');
  process.exit(2);
}

/** Packages that only report installs; nothing loads them at run time. */
const TELEMETRY = new Set(['@scarf/scarf']);

const builtins = new Set(builtinModules);
const packageOf = (specifier) => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
};
// `.resolve(` covers require.resolve, import.meta.resolve and createRequire(...).resolve.
const reference =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\.resolve\s*\(\s*)['"]([^'"]+)['"]/g;

const wanted = new Set();
for (const file of readdirSync(dist).filter((f) => /\.(m?js|cjs)$/.test(f))) {
  const code = readFileSync(join(dist, file), 'utf8');
  for (const [, specifier] of code.matchAll(reference)) {
    if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) {
      continue;
    }
    const name = packageOf(specifier);
    if (builtins.has(name) || !existsSync(join(modules, name, 'package.json'))) continue;
    wanted.add(name);
  }
}

// Transitive closure over installed dependencies (hoisted to the top level by npm; a package's
// own nested node_modules is copied with it).
const keep = new Set();
const queue = [...wanted];
while (queue.length > 0) {
  const name = queue.pop();
  if (keep.has(name) || TELEMETRY.has(name)) continue;
  keep.add(name);
  const manifest = JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8'));
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
    for (const dep of Object.keys(manifest[field] ?? {})) {
      if (existsSync(join(modules, dep, 'package.json'))) queue.push(dep);
    }
  }
}

// A package's own nested node_modules may hold a telemetry package too.
const isTelemetry = (source) =>
  [...TELEMETRY].some((name) => source.replaceAll('\\', '/').includes(`/node_modules/${name}`));

mkdirSync(out, { recursive: true });
for (const name of [...keep].sort()) {
  cpSync(join(modules, name), join(out, name), {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => !source.endsWith('.map') && !isTelemetry(source),
  });
}
const list = [...keep].sort().join(', ') || 'none: the bundles are self-contained';
const left = [...TELEMETRY].join(', ');
process.stdout.write(
  `runtime-modules: ${keep.size} package(s) for ${dist}/: ${list} (left out: *.map, ${left})\n`,
);

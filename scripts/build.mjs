// Builds the CLI and service into dist/ (git-ignored, rebuilt by `npm ci` via `prepare` and by
// `npm pack` via `prepack`) and, with --actions, the committed action bundles under actions/*/dist.
// One esbuild call each: ~100 ms. Beside each bundle goes its THIRD_PARTY_NOTICES.md.

import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { bundledPackages, noticesMarkdown } from './notices.mjs';
import { buildSnapshot } from './snapshot.mjs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: false,
  // Licence comments are dropped: they cover only the few packages that write them. Instead each
  // output directory gets a THIRD_PARTY_NOTICES.md of every bundled package (scripts/notices.mjs).
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __ocCreateRequire } from 'node:module'; const require = __ocCreateRequire(import.meta.url);",
  },
};

const NOTICES = 'THIRD_PARTY_NOTICES.md';

/**
 * zod bundles all of its ~50 message locales (260 KB, over a third of dist/service.js) for
 * `z.locales`, which nothing here uses; it configures English itself. Every start parses them.
 * This resolves zod's locale index to English alone, so `z.locales.en` still works and the
 * messages stay byte-identical.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: 'zod-locales-en', namespace: 'zod-english-only' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: process.cwd(),
    }));
  },
};

// Minified: V8 parses a third less code on every start (cold start is a service goal).
// Dependencies are bundled too: one file loads several times faster than hundreds of
// node_modules files, which is most of the CLI's start-up and the service's cold start.
const cli = await build({
  ...common,
  entryPoints: { cli: 'src/cli/run.ts' },
  minify: true,
  outdir: 'dist',
  splitting: false,
  plugins: [zodEnglishOnly],
});
// The service is split (esbuild's code splitting): each dynamic import() in service/ becomes a
// file of its own, dist/service-*.js, which V8 compiles only when it is imported. A cluster
// primary then compiles only its own code, and a worker's start path leaves out the documented
// app (service/start-app.ts), which loads right after the server listens. The chunks sit beside
// service.js, so package.json "files" (dist/service*.js), the image's COPY of dist/ and
// scripts/image/runtime-modules.mjs (which reads dist/*.js) all take them as they are.
const service = await build({
  ...common,
  entryPoints: { service: 'service/main.ts' },
  minify: true,
  outdir: 'dist',
  splitting: true,
  chunkNames: 'service-[name]-[hash]',
  plugins: [zodEnglishOnly],
});
// A chunk of an earlier build would be dead weight in the package and the image: keep exactly
// this build's.
const outputs = new Set(Object.keys(service.metafile.outputs).map((f) => f.replace(/\\/g, '/')));
for (const file of readdirSync('dist')) {
  if (/^service-.+\.js$/.test(file) && !outputs.has(`dist/${file}`)) rmSync(join('dist', file));
}
// dist/build-id names this build of the service: a startup snapshot (below) records the id it
// was made with and is not used once dist/ holds another build (service/snapshot.ts).
const buildId = createHash('sha256');
for (const file of [...outputs].sort()) buildId.update(file).update(readFileSync(file));
const BUILD_ID = buildId.digest('hex').slice(0, 16);
writeFileSync(join('dist', 'build-id'), `${BUILD_ID}\n`);

// Swagger UI's two asset files go beside the service (service/routes/docs.ts serves them from
// there), so the package needs no swagger-ui-dist at run time: it would bring @scarf/scarf, whose
// install script reports every install. Its licence is in the notices like a bundled package's.
const swaggerManifest = createRequire(import.meta.url).resolve('swagger-ui-dist/package.json');
mkdirSync(join('dist', 'swagger-ui'), { recursive: true });
for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js'])
  copyFileSync(join(dirname(swaggerManifest), file), join('dist', 'swagger-ui', file));
writeFileSync(
  join('dist', NOTICES),
  noticesMarkdown(
    ['dist/cli.js', 'dist/service.js', 'dist/service-*.js', 'dist/swagger-ui/*'],
    bundledPackages({
      inputs: { ...cli.metafile.inputs, ...service.metafile.inputs, [swaggerManifest]: {} },
    }),
  ),
);

// --snapshot: also the V8 startup snapshot of `serve` (dist/serve.blob, from dist/snapshot.cjs),
// for this very node binary. The image builds it (service/Dockerfile); see scripts/snapshot.mjs.
if (process.argv.includes('--snapshot')) {
  try {
    await buildSnapshot({ build, common, plugins: [zodEnglishOnly], buildId: BUILD_ID });
  } catch (error) {
    console.error(`build: ${error.message}`);
    process.exit(1);
  }
}

// --check-actions: build the bundles elsewhere and fail if the committed ones differ (check-dist).
const check = process.argv.includes('--check-actions');
if (process.argv.includes('--actions') || check) {
  const actions = readdirSync('actions', { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`actions/${d.name}/src/index.ts`))
    .map((d) => d.name);
  const outRoot = check ? mkdtempSync(join(tmpdir(), 'oncoclear-dist-')) : 'actions';
  const stale = [];
  for (const name of actions) {
    const outfile = join(outRoot, name, 'dist', 'index.js');
    const result = await build({
      ...common,
      entryPoints: [`actions/${name}/src/index.ts`],
      outfile,
      minify: false,
    });
    const notices = join(outRoot, name, 'dist', NOTICES);
    writeFileSync(
      notices,
      noticesMarkdown([`actions/${name}/dist/index.js`], bundledPackages(result.metafile)),
    );
    if (check) {
      for (const [built, committed] of [
        [outfile, `actions/${name}/dist/index.js`],
        [notices, `actions/${name}/dist/${NOTICES}`],
      ]) {
        if (!existsSync(committed) || !readFileSync(committed).equals(readFileSync(built)))
          stale.push(committed);
      }
    }
  }
  if (stale.length) {
    console.error(
      `Stale action bundles: ${stale.join(', ')}. Run 'npm run bundle' and commit the result.`,
    );
    process.exit(1);
  }
  console.log(`${check ? 'checked' : 'bundled'} ${actions.length} actions: ${actions.join(', ')}`);
}

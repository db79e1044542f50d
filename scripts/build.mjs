// Builds the CLI and service into dist/ (git-ignored, rebuilt by `npm ci` via `prepare`) and, with
// --actions, the committed action bundles under actions/*/dist. One esbuild call each: ~100 ms.
import { existsSync, readdirSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __ocCreateRequire } from 'node:module'; const require = __ocCreateRequire(import.meta.url);",
  },
};

await build({
  ...common,
  entryPoints: { cli: 'src/cli/main.ts', service: 'service/main.ts' },
  outdir: 'dist',
  packages: 'external',
});

if (process.argv.includes('--actions')) {
  const actions = readdirSync('actions', { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`actions/${d.name}/src/index.ts`))
    .map((d) => d.name);
  for (const name of actions) {
    await build({
      ...common,
      entryPoints: [`actions/${name}/src/index.ts`],
      outfile: `actions/${name}/dist/index.js`,
      minify: false,
    });
  }
  console.log(`bundled ${actions.length} actions: ${actions.join(', ')}`);
}

#!/usr/bin/env node
// Dispatches to the built CLI or, for `serve` and `start`, the service, which src/ never imports.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// Node 22+ keeps V8's compiled code on disk between runs, a large part of a cold start; older
// Node has no such API and simply skips it.
module.enableCompileCache?.();

const root = fileURLToPath(new URL('..', import.meta.url));
const command = process.argv[2];
const entry = command === 'serve' || command === 'start' ? 'dist/service.js' : 'dist/cli.js';
if (!existsSync(`${root}${entry}`)) {
  console.error(`oncoclear: ${entry} is missing; run 'npm run build' (npm ci does it for you).`);
  process.exit(1);
}
await import(`${root}${entry}`);

#!/usr/bin/env node
// Dispatches to the built CLI or, for `serve` and `start`, the service, which src/ never imports.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const command = process.argv[2];
const entry = command === 'serve' || command === 'start' ? 'dist/service.js' : 'dist/cli.js';
if (!existsSync(`${root}${entry}`)) {
  console.error(`oncoclear: ${entry} is missing; run 'npm run build' (npm ci does it for you).`);
  process.exit(1);
}
await import(`${root}${entry}`);

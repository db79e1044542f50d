// Prints the CHANGELOG.md section of one version: the notes of its GitHub release.
//
// Usage: npx tsx scripts/release/notes.ts X.Y.Z [CHANGELOG.md]

import { readFileSync } from 'node:fs';
import { changelogSection } from '../../src/release/tool-release.js';

const [version, file = 'CHANGELOG.md'] = process.argv.slice(2);
if (!version || version === '--help' || version === '-h') {
  console.error('Usage: npx tsx scripts/release/notes.ts X.Y.Z [CHANGELOG.md]');
  process.exitCode = 2;
} else {
  try {
    process.stdout.write(`${changelogSection(readFileSync(file, 'utf8'), version)}\n`);
  } catch (error) {
    console.error(`notes: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** A throwaway copy of what a checkout holds that the actions read: config, data and registry. */
export function projectWorkspace(prefix = 'oncoclear-ws-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const entry of ['oncoclear.config.json', 'package.json', 'data', 'registry']) {
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  return dir;
}

import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SiteFiles } from './site.js';

/** Marks a folder as a built dashboard, so a rebuild may clear it and nothing else. */
export const SITE_MARKER = '.oncoclear-dashboard';

/**
 * Writes the site to `out`, replacing what a previous build left there so that no removed page
 * lingers. Refuses a non-empty folder that is not a previous build. Returns the size in bytes.
 */
export function writeSite(out: string, files: SiteFiles): number {
  if (existsSync(out) && readdirSync(out).length > 0) {
    if (!existsSync(join(out, SITE_MARKER)))
      throw new Error(
        `Output folder '${out}' is not empty and holds no ${SITE_MARKER}; expected a new folder or a previous dashboard build.`,
      );
    rmSync(out, { recursive: true, force: true });
  }
  let bytes = 0;
  for (const [path, text] of [...files, [SITE_MARKER, ''] as const]) {
    const target = join(out, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    bytes += Buffer.byteLength(text);
  }
  return bytes;
}

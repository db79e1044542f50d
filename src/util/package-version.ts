import { readFileSync } from 'node:fs';

// Apart from src/cli/context.ts (git, progress) so the service can name its version without
// loading node:child_process on its start path.

/** The package version, read from package.json beside the bundle or the source tree. */
export function packageVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'oncoclear' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

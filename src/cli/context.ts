import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

/** The current git commit, or null outside a repository or without git. */
export function gitCommit(cwd = process.cwd()): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/** Progress goes to stderr so stdout stays clean for --json and pipes. */
export function progress(json: boolean): (message: string) => void {
  return json ? () => {} : (message) => process.stderr.write(`• ${message}\n`);
}

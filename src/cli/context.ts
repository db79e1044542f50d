import { execFileSync } from 'node:child_process';

export { packageVersion } from '../util/package-version.js';

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

/** A warning: to stderr, even with --json (unlike progress), so it is never lost. */
export function warning(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

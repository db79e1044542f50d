// The entry-point idiom of the scripts that are also imported by tests: run `main` only when the
// file itself is what node (or tsx) was started with, and turn its result into the exit code.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Whether the module at `moduleUrl` is the process's entry point (symlinks resolved). */
export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/**
 * Runs `main(argv)` when `moduleUrl` is the entry point: its number becomes the exit code, and an
 * unexpected rejection is printed whole and exits 2 (a bug, not a finding).
 */
export function runIfEntryPoint(
  moduleUrl: string,
  main: (argv: string[]) => Promise<number>,
): void {
  if (!isEntryPoint(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 2;
    },
  );
}

import { execFileSync } from 'node:child_process';

/**
 * Builds dist/ once before any test file runs: tests spawn the real CLI,
 * service and action entry points, and parallel files must not rebuild them under each other.
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}

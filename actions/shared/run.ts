import * as core from '@actions/core';

/**
 * Runs an action's main function and fails the step once, at the edge, with a clear message —
 * including for throws that are not Error objects.
 */
export async function runAction(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}

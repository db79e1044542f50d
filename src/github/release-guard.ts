import type { GitClient } from './git.js';

/**
 * Refuses a release of a commit that is not on the default branch's history as the remote has it
 * now: a `production` image must come from reviewed code, whatever ref the run was started on.
 */
export async function assertOnDefaultBranch(
  git: GitClient,
  sha: string,
  defaultBranch: string,
): Promise<void> {
  await git.fetch('origin', defaultBranch);
  const tip = await git.revParse('FETCH_HEAD');
  let contained = true;
  try {
    await git.run(['merge-base', '--is-ancestor', sha, tip]);
  } catch {
    contained = false;
  }
  if (!contained)
    throw new Error(
      `Commit ${sha.slice(0, 7)} is not on ${defaultBranch} (origin/${defaultBranch} is ${tip.slice(0, 7)}); a production image is built only from the default branch's history. Release from ${defaultBranch}.`,
    );
}

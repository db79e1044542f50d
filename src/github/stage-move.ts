/**
 * Stage-move branches: the bot's promotion and rollback PR branches. Each holds main plus one
 * commit the bot made, and the bot records what that commit is as a commit status it creates
 * itself. The review trusts the record only from the PR's author, so a commit pushed by anyone
 * else, or a record written by anyone else, does not count.
 */

import type { StageMoveKind } from '../promotion/registry-change.js';
import { type StageMoveRecord, stageMoveTitlePrefix } from '../promotion/review-rules.js';
import { promote, rollback } from '../registry/operations.js';
import type { RegistryStore } from '../registry/store.js';
import type { GitHubClient } from './client.js';
import type { GitClient } from './git.js';

export const RECORD_CONTEXT = 'oncoclear/stage-move';

/** The status description: a fixed machine format, written and read only here. */
export function formatRecord(r: StageMoveRecord): string {
  return `${r.kind} model=${r.model} version=${r.version} from=${r.from ?? 'none'}`;
}

export function parseRecord(text: string): StageMoveRecord | null {
  const m = /^(promotion|rollback|replacement) model=([^ ]+) version=(\d+) from=(none|\d+)$/.exec(
    text,
  );
  if (!m) return null;
  return {
    kind: m[1] as StageMoveKind,
    model: m[2]!,
    version: Number(m[3]),
    from: m[4] === 'none' ? null : Number(m[4]),
  };
}

/** Records on `sha` what the bot pushed there. */
export async function writeRecord(
  gh: GitHubClient,
  repo: { owner: string; repo: string },
  sha: string,
  record: StageMoveRecord,
  targetUrl: string | null,
): Promise<void> {
  await gh.rest.repos.createCommitStatus({
    ...repo,
    sha,
    state: 'success',
    context: RECORD_CONTEXT,
    description: formatRecord(record),
    ...(targetUrl ? { target_url: targetUrl } : {}),
  });
}

/** The bot's newest record on `sha`, written by `bot`; null when there is none. */
export async function readRecord(
  gh: GitHubClient,
  repo: { owner: string; repo: string },
  sha: string,
  bot: string,
): Promise<StageMoveRecord | null> {
  const statuses = await gh.paginate(gh.rest.repos.listCommitStatusesForRef, {
    ...repo,
    ref: sha,
    per_page: 100,
  });
  // Newest first, as GitHub lists them.
  const mine = statuses.find(
    (s) => s.context === RECORD_CONTEXT && s.creator?.login?.toLowerCase() === bot.toLowerCase(),
  );
  return mine?.description ? parseRecord(mine.description) : null;
}

export interface StageMoveInput {
  kind: StageMoveKind;
  model: string;
  version: number;
  /** The default branch the move is made on top of. */
  base: string;
  branch: string;
  store: RegistryStore;
  meta: { actor: string; reason: string; link: string | null; now: () => Date };
}

/**
 * Makes the stage-move commit on the newest `base` and force-pushes it to `branch`, the bot's
 * own branch. Returns the pushed commit and the move as recorded (from = production on `base`).
 */
export async function pushStageMove(
  git: GitClient,
  input: StageMoveInput,
): Promise<{ sha: string; record: StageMoveRecord }> {
  await git.fetch('origin', input.base);
  await git.run(['checkout', '-q', '-B', input.branch, 'FETCH_HEAD']);
  await git.run(['clean', '-fdq', '--', input.store.dir]);
  const from = await input.store.update((registry) => {
    const before =
      registry.models[input.model]?.versions.find((v) => v.stage === 'production')?.version ?? null;
    const next =
      input.kind === 'rollback'
        ? rollback(registry, input.model, input.version, input.meta)
        : promote(registry, input.model, input.version, input.meta);
    return { registry: next, result: before };
  });
  const title = stageMoveTitlePrefix(input.kind, input.model, input.version);
  await git.commit([input.store.dir], title);
  if ((await git.push('origin', input.branch, { force: true })) === 'rejected')
    throw new Error(`Could not push ${input.branch}; check that the token may push branches.`);
  return {
    sha: await git.revParse('HEAD'),
    record: { kind: input.kind, model: input.model, version: input.version, from },
  };
}

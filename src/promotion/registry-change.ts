import { isMetadataPath } from '../registry/layout.js';
import type { Registry, RegistryEvent } from '../registry/schema.js';

/** A registry move as the registry records it: a promotion or a rollback. */
export type RegistryMoveKind = 'promotion' | 'rollback';
/**
 * What the bot says a stage-move PR is: a promotion, a rollback, or a replacement (a promotion of
 * a candidate that could not be compared with production on the same rows).
 */
export type StageMoveKind = RegistryMoveKind | 'replacement';

/** The registry move a stage-move kind makes. */
export const registryMoveOf = (kind: StageMoveKind): RegistryMoveKind =>
  kind === 'rollback' ? 'rollback' : 'promotion';

export type RegistryChange =
  | { kind: RegistryMoveKind; model: string; version: number; from: number | null }
  | { kind: 'invalid'; reason: string };

const STAGE_EVENTS = new Set<RegistryEvent['type']>(['promoted', 'archived', 'rolled_back']);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Classifies the difference between two registries as exactly one stage move for one model
 * (a promotion or a rollback) or explains why it is something else. Versions may differ only in
 * `stage`; history may only gain promoted/archived/rolled_back events, and the move must start
 * from the production version of `before`.
 */
export function classifyRegistryChange(before: Registry, after: Registry): RegistryChange {
  const names = new Set([...Object.keys(before.models), ...Object.keys(after.models)]);
  const changed = [...names].filter((n) => !same(before.models[n], after.models[n]));
  if (changed.length !== 1) {
    return {
      kind: 'invalid',
      reason:
        changed.length === 0
          ? 'the registry is unchanged'
          : `it changes ${changed.length} models (${changed.join(', ')}); expected one`,
    };
  }
  const model = changed[0]!;
  const a = before.models[model];
  const b = after.models[model];
  if (!a || !b) return { kind: 'invalid', reason: `it adds or removes model '${model}'` };
  if (a.versions.length !== b.versions.length)
    return { kind: 'invalid', reason: 'it adds or removes versions' };
  for (let i = 0; i < a.versions.length; i++) {
    const { stage: _s1, ...va } = a.versions[i]!;
    const { stage: _s2, ...vb } = b.versions[i]!;
    if (!same(va, vb))
      return { kind: 'invalid', reason: `it edits v${a.versions[i]!.version} beyond its stage` };
  }
  // Events are files named by their id; in memory (before they are written) by their content.
  const key = (e: RegistryEvent) => e.id ?? JSON.stringify(e);
  const afterById = new Map(b.history.map((e) => [key(e), e]));
  for (const e of a.history) {
    if (!same(afterById.get(key(e)), e))
      return { kind: 'invalid', reason: 'it rewrites existing history; history is append-only' };
  }
  const known = new Set(a.history.map(key));
  const added = b.history.filter((e) => !known.has(key(e)));
  if (added.length === 0 || added.some((e) => !STAGE_EVENTS.has(e.type))) {
    return {
      kind: 'invalid',
      reason: `its new history events are [${added.map((e) => e.type).join(', ')}]; expected only promoted/archived/rolled_back`,
    };
  }
  const moves = added.filter((e) => e.type === 'promoted' || e.type === 'rolled_back');
  if (moves.length !== 1)
    return {
      kind: 'invalid',
      reason: `it records ${moves.length} promotions or rollbacks; expected exactly one`,
    };
  const move = moves[0]!;
  const newProd = b.versions.filter((v) => v.stage === 'production').map((v) => v.version);
  if (newProd.length !== 1 || newProd[0] !== move.version) {
    return {
      kind: 'invalid',
      reason: `its stages do not match its history: production is [${newProd.join(', ')}], history says v${move.version}`,
    };
  }
  const oldProd = a.versions.find((v) => v.stage === 'production')?.version ?? null;
  if ((move.from ?? null) !== oldProd)
    return {
      kind: 'invalid',
      reason: `its history says it moves production from v${move.from ?? 'none'}, but production was v${oldProd ?? 'none'}`,
    };
  return {
    kind: move.type === 'promoted' ? 'promotion' : 'rollback',
    model,
    version: move.version,
    from: oldProd,
  };
}

/**
 * The changed files a stage move may contain, and the ones it may not: only the model's
 * production file and new history events under the registry directory.
 */
export function disallowedFiles(
  files: Array<{ filename: string; status: string }>,
  registryDir: string,
): string[] {
  const dir = `${registryDir.replace(/\/+$/, '')}/`;
  return files
    .filter((f) => {
      if (!f.filename.startsWith(dir)) return true;
      const relative = f.filename.slice(dir.length);
      if (!isMetadataPath(relative)) return true;
      if (/^[^/]+\/production\.json$/.test(relative))
        return f.status !== 'modified' && f.status !== 'added';
      if (/^[^/]+\/history\/[^/]+\.json$/.test(relative)) return f.status !== 'added';
      return true;
    })
    .map((f) => f.filename);
}

/** Whether `version` of `model` was ever in production, by the history: a rollback's only targets. */
export function wasInProduction(
  registry: Registry,
  model: string,
  version: number,
): { since: string; until: string | null } | null {
  const history = registry.models[model]?.history ?? [];
  let since: string | null = null;
  let until: string | null = null;
  for (const e of history) {
    if ((e.type === 'promoted' || e.type === 'rolled_back') && e.version === version) {
      since = e.at;
      until = null;
    } else if (e.type === 'archived' && e.version === version && since && until === null) {
      until = e.at;
    }
  }
  return since ? { since, until } : null;
}

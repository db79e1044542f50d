import type { Registry, RegistryEvent } from '../registry/schema.js';

export type RegistryChange =
  | { kind: 'promotion' | 'rollback'; model: string; version: number; from: number | null }
  | { kind: 'invalid'; reason: string };

const STAGE_EVENTS = new Set<RegistryEvent['type']>(['promoted', 'archived', 'rolled_back']);

/**
 * Classifies the difference between two registries as exactly one stage move for one model
 * (a promotion or a rollback) or explains why it is something else. Versions may differ only in
 * `stage`; history may only grow by promoted/archived/rolled_back events.
 */
export function classifyRegistryChange(before: Registry, after: Registry): RegistryChange {
  const names = new Set([...Object.keys(before.models), ...Object.keys(after.models)]);
  const changed = [...names].filter(
    (n) => JSON.stringify(before.models[n]) !== JSON.stringify(after.models[n]),
  );
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
    if (JSON.stringify(va) !== JSON.stringify(vb)) {
      return { kind: 'invalid', reason: `it edits v${a.versions[i]!.version} beyond its stage` };
    }
  }
  const prefix = b.history.slice(0, a.history.length);
  if (JSON.stringify(prefix) !== JSON.stringify(a.history))
    return { kind: 'invalid', reason: 'it rewrites existing history; history is append-only' };
  const added = b.history.slice(a.history.length);
  if (added.length === 0 || added.some((e) => !STAGE_EVENTS.has(e.type))) {
    return {
      kind: 'invalid',
      reason: `its new history events are [${added.map((e) => e.type).join(', ')}]; expected only promoted/archived/rolled_back`,
    };
  }
  const move = added.find((e) => e.type === 'promoted' || e.type === 'rolled_back')!;
  if (!move) return { kind: 'invalid', reason: 'it records no promotion or rollback' };
  const newProd = b.versions.filter((v) => v.stage === 'production').map((v) => v.version);
  if (newProd.length !== 1 || newProd[0] !== move.version) {
    return {
      kind: 'invalid',
      reason: `its stages do not match its history: production is [${newProd.join(', ')}], history says v${move.version}`,
    };
  }
  return {
    kind: move.type === 'promoted' ? 'promotion' : 'rollback',
    model,
    version: move.version,
    from: move.from ?? null,
  };
}

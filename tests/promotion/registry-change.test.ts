import { describe, expect, it } from 'vitest';
import {
  classifyRegistryChange,
  disallowedFiles,
  wasInProduction,
} from '../../src/promotion/registry-change.js';
import { readRegistryDir } from '../../src/registry/layout.js';
import { promote, recordRelease, rollback } from '../../src/registry/operations.js';
import type { Registry } from '../../src/registry/schema.js';

const meta = { actor: 'bot', reason: 'test', now: () => new Date('2026-05-01T00:00:00Z') };

/** The committed registry (v1 in production) plus v2 registered in staging. */
function base(): Registry {
  const registry = readRegistryDir('registry');
  const entry = registry.models.oncoclear!;
  const v1 = entry.versions[0]!;
  entry.versions.push({
    ...structuredClone(v1),
    version: 2,
    stage: 'staging',
    artifact: 'oncoclear/v2/model.json',
  });
  entry.history.push({
    id: '20260401T000000000Z-00-registered-v2-000000',
    at: '2026-04-01T00:00:00.000Z',
    type: 'registered',
    version: 2,
    actor: 'bot',
    reason: 'trained',
    link: null,
  });
  return registry;
}

const copy = (r: Registry) => structuredClone(r);

describe('classifyRegistryChange', () => {
  it('recognises a promotion and where production came from', () => {
    const before = base();
    expect(classifyRegistryChange(before, promote(before, 'oncoclear', 2, meta))).toEqual({
      kind: 'promotion',
      model: 'oncoclear',
      version: 2,
      from: 1,
    });
  });

  it('recognises a rollback', () => {
    const promoted = promote(base(), 'oncoclear', 2, meta);
    expect(classifyRegistryChange(promoted, rollback(promoted, 'oncoclear', 1, meta))).toEqual({
      kind: 'rollback',
      model: 'oncoclear',
      version: 1,
      from: 2,
    });
  });

  it('recognises the first promotion of a model with no production', () => {
    const before = base();
    before.models.oncoclear!.versions[0]!.stage = 'staging';
    expect(classifyRegistryChange(before, promote(before, 'oncoclear', 2, meta))).toMatchObject({
      kind: 'promotion',
      version: 2,
      from: null,
    });
  });

  const invalid = (after: (r: Registry) => Registry, reason: string | RegExp) => {
    const result = classifyRegistryChange(base(), after(base()));
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(result.reason).toMatch(reason);
  };

  it('refuses an unchanged registry', () => {
    invalid((r) => r, 'the registry is unchanged');
  });

  it('refuses changes to more than one model', () => {
    invalid((r) => {
      const next = promote(r, 'oncoclear', 2, meta);
      next.models.other = copy(r).models.oncoclear!;
      return next;
    }, 'it changes 2 models (oncoclear, other); expected one');
  });

  it('refuses adding a model', () => {
    invalid((r) => {
      const next = copy(r);
      next.models.other = next.models.oncoclear!;
      return next;
    }, "it adds or removes model 'other'");
  });

  it('refuses adding or removing versions', () => {
    invalid((r) => {
      const next = promote(r, 'oncoclear', 2, meta);
      next.models.oncoclear!.versions.push({
        ...next.models.oncoclear!.versions[0]!,
        version: 3,
        stage: 'staging',
      });
      return next;
    }, 'it adds or removes versions');
  });

  it('refuses edits to a version beyond its stage (metrics, artifact checksum)', () => {
    invalid((r) => {
      const next = promote(r, 'oncoclear', 2, meta);
      next.models.oncoclear!.versions[1]!.metrics.test.accuracy = 1;
      return next;
    }, 'it edits v2 beyond its stage');
    invalid((r) => {
      const next = promote(r, 'oncoclear', 2, meta);
      next.models.oncoclear!.versions[1]!.sha256 = `sha256:${'0'.repeat(64)}`;
      return next;
    }, 'it edits v2 beyond its stage');
  });

  it('refuses rewritten history', () => {
    invalid((r) => {
      const next = promote(r, 'oncoclear', 2, meta);
      next.models.oncoclear!.history[0]!.reason = 'rewritten';
      return next;
    }, 'it rewrites existing history; history is append-only');
    invalid((r) => {
      const next = promote(r, 'oncoclear', 2, meta);
      next.models.oncoclear!.history.splice(0, 1);
      return next;
    }, /append-only|expected only/);
  });

  it('refuses a stage move without history, and history events that are not stage moves', () => {
    invalid((r) => {
      const next = copy(r);
      next.models.oncoclear!.versions[0]!.stage = 'archived';
      next.models.oncoclear!.versions[1]!.stage = 'production';
      return next;
    }, 'its new history events are []; expected only promoted/archived/rolled_back');
    invalid(
      (r) =>
        recordRelease(
          promote(r, 'oncoclear', 2, meta),
          'oncoclear',
          2,
          { digest: `sha256:${'a'.repeat(64)}`, tags: ['production'] },
          meta,
        ),
      'its new history events are [archived, promoted, released]',
    );
  });

  it('refuses history that records no promotion, or stages that contradict it', () => {
    invalid((r) => {
      const next = promote(r, 'oncoclear', 2, meta);
      next.models.oncoclear!.history.pop(); // keep only the 'archived' event
      return next;
    }, 'it records 0 promotions or rollbacks; expected exactly one');
    invalid((r) => {
      const next = promote(r, 'oncoclear', 2, meta);
      next.models.oncoclear!.versions[0]!.stage = 'production';
      next.models.oncoclear!.versions[1]!.stage = 'staging';
      return next;
    }, 'its stages do not match its history: production is [1], history says v2');
    invalid((r) => {
      const next = promote(r, 'oncoclear', 2, meta);
      next.models.oncoclear!.versions[0]!.stage = 'production';
      return next;
    }, 'production is [1, 2]');
  });
});

describe('disallowedFiles', () => {
  it('allows only the production file and new history events under the registry', () => {
    expect(
      disallowedFiles(
        [
          { filename: 'registry/oncoclear/production.json', status: 'modified' },
          {
            filename: 'registry/oncoclear/history/20260501T000000000Z-00-promoted-v2-aa.json',
            status: 'added',
          },
        ],
        'registry',
      ),
    ).toEqual([]);
    expect(
      disallowedFiles(
        [
          { filename: 'registry/oncoclear/history/x.json', status: 'modified' },
          { filename: 'registry/oncoclear/v2/version.json', status: 'modified' },
          { filename: 'registry/oncoclear/v2/model.json', status: 'modified' },
          { filename: 'service/app.ts', status: 'modified' },
          { filename: 'registry/registry.json', status: 'modified' },
        ],
        'registry',
      ),
    ).toEqual([
      'registry/oncoclear/history/x.json',
      'registry/oncoclear/v2/version.json',
      'registry/oncoclear/v2/model.json',
      'service/app.ts',
      'registry/registry.json',
    ]);
  });
});

describe('wasInProduction', () => {
  it('answers from the history: when a version served, and never for a staging version', () => {
    const promoted = promote(base(), 'oncoclear', 2, meta);
    expect(wasInProduction(promoted, 'oncoclear', 1)).toEqual({
      since: '2026-11-25T09:29:48.134Z',
      until: '2026-05-01T00:00:00.000Z',
    });
    expect(wasInProduction(promoted, 'oncoclear', 2)).toEqual({
      since: '2026-05-01T00:00:00.000Z',
      until: null,
    });
    expect(wasInProduction(base(), 'oncoclear', 2)).toBeNull();
  });
});

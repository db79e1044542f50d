import { describe, expect, it } from 'vitest';
import type { Check, PromotionDecision } from '../../src/promotion/policy.js';
import { decideReview, type ReviewFacts } from '../../src/promotion/review-rules.js';
import { readRegistryDir } from '../../src/registry/layout.js';

const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const BOT = 'github-actions[bot]';

const check = (name: Check['name'], passed: boolean, extra: Partial<Check> = {}): Check => ({
  name,
  passed,
  metric: 'accuracy',
  candidate: 0.97,
  production: 0.92,
  delta: 0.05,
  direction: 'higher',
  threshold: 0.8,
  pValue: null,
  interval: null,
  test: null,
  note: null,
  rows: 114,
  missing: null,
  ...extra,
});

const passing: PromotionDecision = {
  promote: true,
  outcome: 'promote',
  metric: 'accuracy',
  comparedOn: 'accuracy',
  candidate: { version: 2, value: 0.97 },
  production: { version: 1, value: 0.92 },
  alpha: 0.05,
  evaluatedOn: { rows: 114, testRowsHash: 'h', dataSha256: 'd' },
  checks: [
    check('minimum', true),
    check('test-rows', true, { candidate: 114, threshold: 50 }),
    check('beats-production', true),
  ],
};

/** An approval that must merge: every rule below breaks exactly one of these facts. */
function facts(edit: (f: ReviewFacts) => void = () => {}): ReviewFacts {
  const f: ReviewFacts = {
    event: { action: 'submitted', state: 'approved', reviewer: 'maintainer', commitId: HEAD },
    repository: 'octo/oncoclear',
    defaultBranch: 'main',
    registryDir: 'registry',
    pr: {
      number: 7,
      state: 'open',
      merged: false,
      title: 'Promote oncoclear v2 to production (accuracy 0.9700 vs v1 0.9200)',
      author: BOT,
      headRef: 'promote/oncoclear/v2',
      headSha: HEAD,
      headRepo: 'octo/oncoclear',
      baseRef: 'main',
      labels: ['model-promotion'],
      mergeable: true,
      mergeableState: 'clean',
    },
    permissions: { maintainer: 'write', reader: 'read', owner: 'admin' },
    reviews: [{ user: 'maintainer', state: 'APPROVED', commitId: HEAD }],
    record: { kind: 'promotion', model: 'oncoclear', version: 2, from: 1 },
    disallowedFiles: [],
    change: { kind: 'promotion', model: 'oncoclear', version: 2, from: 1 },
    before: readRegistryDir('registry'),
    currentProduction: 1,
    policy: { decision: passing },
  };
  edit(f);
  return f;
}

const reasonOf = (f: ReviewFacts) => {
  const d = decideReview(f);
  return 'reasons' in d ? `${d.action}: ${d.reasons.map((r) => r.message).join('; ')}` : d.action;
};

describe('the promotion guard', () => {
  it('merges an approved, policy-passing stage move by the bot on main', () => {
    expect(decideReview(facts())).toEqual({
      action: 'merge',
      kind: 'promotion',
      model: 'oncoclear',
      version: 2,
      approvers: ['maintainer'],
    });
  });

  it('ignores anything but a submitted approval', () => {
    expect(decideReview(facts((f) => (f.event.state = 'commented'))).action).toBe('ignore');
    expect(decideReview(facts((f) => (f.event.action = 'dismissed'))).action).toBe('ignore');
  });

  it('refuses a PR whose base is not the default branch', () => {
    expect(reasonOf(facts((f) => (f.pr.baseRef = 'unreviewed')))).toMatch(
      /^refuse: its base is `unreviewed`, not the default branch `main`/,
    );
  });

  it('refuses forks, a missing label and a closed PR', () => {
    expect(reasonOf(facts((f) => (f.pr.headRepo = 'mallory/oncoclear')))).toContain(
      'promotions from forks are never merged',
    );
    expect(reasonOf(facts((f) => (f.pr.labels = [])))).toContain(
      'lacks the `model-promotion` label',
    );
    expect(reasonOf(facts((f) => (f.pr.state = 'closed')))).toContain('the PR is closed');
  });

  it('refuses a head commit the bot did not record (someone else pushed to its branch)', () => {
    expect(reasonOf(facts((f) => (f.record = null)))).toMatch(
      /^refuse: the head commit `aaaaaaa` carries no record by @github-actions\[bot\]/,
    );
  });

  it('refuses a rollback force-pushed onto a promotion branch, whatever its title says', () => {
    // The bot recorded a promotion; the branch now holds a rollback.
    const rolledOnto = facts((f) => {
      f.change = { kind: 'rollback', model: 'oncoclear', version: 2, from: 1 };
    });
    expect(reasonOf(rolledOnto)).toMatch(
      /refuse: the registry change is a rollback .* but the bot recorded a promotion/,
    );
    // A rollback record on a promote/ branch, or a title that does not say rollback.
    expect(
      reasonOf(
        facts((f) => (f.record = { kind: 'rollback', model: 'oncoclear', version: 2, from: 1 })),
      ),
    ).toContain('does not belong on branch `promote/oncoclear/v2`');
    expect(
      reasonOf(
        facts((f) => {
          f.record = { kind: 'rollback', model: 'oncoclear', version: 1, from: 2 };
          f.pr.headRef = 'rollback/oncoclear/v1-99';
        }),
      ),
    ).toContain('does not say what the change is: the bot recorded "Roll back oncoclear to v1"');
  });

  it('refuses files beyond the stage move and changes that are not one', () => {
    expect(reasonOf(facts((f) => (f.disallowedFiles = ['service/app.ts'])))).toContain(
      'this PR also changes `service/app.ts`',
    );
    expect(
      reasonOf(
        facts((f) => (f.change = { kind: 'invalid', reason: 'it edits v2 beyond its stage' })),
      ),
    ).toContain('not a single stage move: it edits v2 beyond its stage');
  });

  it("refuses while any writer's latest review requests changes, even after another's approval", () => {
    const f = facts((x) => {
      x.reviews = [
        { user: 'owner', state: 'CHANGES_REQUESTED', commitId: HEAD },
        { user: 'maintainer', state: 'APPROVED', commitId: HEAD },
      ];
    });
    expect(reasonOf(f)).toBe(
      "refuse: @owner requested changes; a promotion merges only when no writer's latest review requests changes",
    );
    // A later approval by the same person lifts it; a comment does not.
    f.reviews.push({ user: 'owner', state: 'COMMENTED', commitId: HEAD });
    expect(decideReview(f).action).toBe('refuse');
    f.reviews.push({ user: 'owner', state: 'APPROVED', commitId: HEAD });
    expect(decideReview(f).action).toBe('merge');
  });

  it('refuses a dismissed approval, a stale one, and one from a reader', () => {
    expect(
      reasonOf(
        facts((f) => f.reviews.push({ user: 'maintainer', state: 'DISMISSED', commitId: HEAD })),
      ),
    ).toContain("@maintainer's approval is no longer their latest review");
    expect(
      reasonOf(
        facts((f) => (f.reviews = [{ user: 'maintainer', state: 'APPROVED', commitId: OLD }])),
      ),
    ).toContain('the approval is for `bbbbbbb` but the PR head is now `aaaaaaa`');
    expect(
      reasonOf(
        facts((f) => {
          f.event.reviewer = 'reader';
          f.reviews = [{ user: 'reader', state: 'APPROVED', commitId: HEAD }];
        }),
      ),
    ).toContain('@reader has `read` permission');
  });

  it('refuses an approval by whoever made the last push', () => {
    const f = facts((x) => {
      x.event.reviewer = BOT;
      x.permissions[BOT] = 'write';
      x.reviews = [{ user: BOT, state: 'APPROVED', commitId: HEAD }];
    });
    expect(reasonOf(f)).toBe(`refuse: @${BOT} made the last push, so cannot approve it`);
  });

  it('closes a candidate that no longer passes the policy, with its numbers', () => {
    const failing: PromotionDecision = {
      ...passing,
      promote: false,
      checks: [check('beats-production', false, { production: 0.97, delta: 0, note: 'tie' })],
    };
    const f = facts((x) => {
      x.policy = { decision: failing };
      x.currentProduction = 3;
    });
    expect(reasonOf(f)).toBe(
      'close: v2 does not pass the promotion policy against production v3: accuracy 0.9700 ties with production v1 on the same 114 rows; a tie does not promote',
    );
  });

  it('closes a candidate whose rows the default branch config does not produce', () => {
    expect(reasonOf(facts((f) => (f.policy = { cannotCompare: 'seed 7 is not seed 42' })))).toBe(
      'close: seed 7 is not seed 42',
    );
  });

  it('closes a rollback to a version that was never in production, and allows one that was', () => {
    const rollbackTo = (version: number) =>
      facts((f) => {
        f.pr.headRef = `rollback/oncoclear/v${version}-1`;
        f.pr.title = `Roll back oncoclear to v${version} (from v1)`;
        f.record = { kind: 'rollback', model: 'oncoclear', version, from: 1 };
        f.change = { kind: 'rollback', model: 'oncoclear', version, from: 1 };
      });
    expect(reasonOf(rollbackTo(2))).toBe(
      'close: v2 was never in production; a rollback may only return to a version that was',
    );
    // v1 was in production (the committed history); a rollback need not beat production.
    const back = rollbackTo(1);
    back.policy = {
      decision: {
        ...passing,
        promote: false,
        checks: [check('beats-production', false)],
      },
    };
    expect(decideReview(back).action).toBe('merge');
    back.policy = {
      decision: {
        ...passing,
        promote: false,
        checks: [check('minimum', false, { candidate: 0.63 })],
      },
    };
    expect(reasonOf(back)).toContain('close: v1 does not pass the promotion policy');
  });

  it('refreshes a passing PR when production moved or main conflicts, instead of stranding it', () => {
    expect(decideReview(facts((f) => (f.currentProduction = 3)))).toMatchObject({
      action: 'refresh',
      why: 'production is now v3, but this PR moved it from v1',
    });
    expect(decideReview(facts((f) => (f.pr.mergeableState = 'dirty')))).toMatchObject({
      action: 'refresh',
    });
    expect(decideReview(facts((f) => (f.pr.mergeableState = 'behind')))).toMatchObject({
      action: 'refresh',
    });
  });

  it('explains blocked, unstable and still-computing mergeability, keeping the PR open', () => {
    expect(reasonOf(facts((f) => (f.pr.mergeableState = 'blocked')))).toMatch(
      /^refuse: GitHub reports the merge as blocked by branch protection .* pass a GitHub App token/,
    );
    expect(reasonOf(facts((f) => (f.pr.mergeableState = 'unstable')))).toContain(
      'a status check on the head is failing',
    );
    expect(
      reasonOf(
        facts((f) => {
          f.pr.mergeable = null;
          f.pr.mergeableState = 'unknown';
        }),
      ),
    ).toContain('still computing');
  });

  it('merges an explicit replacement while production cannot be compared, and judges it as a promotion once it can', () => {
    const replacement = (outcome: PromotionDecision['outcome'], promote: boolean) =>
      facts((f) => {
        f.pr.title = 'Replace production with oncoclear v2 (not compared on the same rows)';
        f.record = { kind: 'replacement', model: 'oncoclear', version: 2, from: 1 };
        f.policy = {
          decision: {
            ...passing,
            promote,
            outcome,
            checks: [
              check('minimum', true),
              check('comparable', false, { missing: ['worst symmetry'] }),
            ],
          },
        };
      });
    expect(decideReview(replacement('not-comparable', false))).toMatchObject({
      action: 'merge',
      kind: 'replacement',
    });
    expect(reasonOf(replacement('keep', false))).toMatch(
      /^close: v2 does not pass the promotion policy/,
    );
    // A promotion record never stands in for a replacement.
    const asPromotion = replacement('not-comparable', false);
    asPromotion.record = { kind: 'promotion', model: 'oncoclear', version: 2, from: 1 };
    expect(reasonOf(asPromotion)).toContain('does not say what the change is');
  });
});

import { METRICS, metricInfo } from '../evaluate/metric-catalog.js';
import { comparisonMarkdown, markdownTable } from '../evaluate/report.js';
import type { Comparison } from '../pipeline/compare.js';
import type { RegistryVersion } from '../registry/schema.js';
import { decisionMarkdown, f4 } from '../report/decision.js';

/** Hidden marker so the bot can recognise its own PRs and the version they promote. */
export function promotionMarker(model: string, version: number): string {
  return `<!-- oncoclear:promotion model=${model} version=${version} -->`;
}

export interface PromotionBodyInput {
  model: string;
  version: RegistryVersion;
  comparison: Comparison;
  runUrl: string | null;
  /** What did not happen because the PR was opened with GITHUB_TOKEN, if so. */
  tokenNote?: string | null;
  /** Production's registry record, shown beside the candidate when the two were not comparable. */
  production?: RegistryVersion | null;
}

/** Two metric sets each on its own rows: for a replacement, where no same-row comparison exists. */
function separateReports(
  candidate: Comparison['candidate'],
  production: RegistryVersion | null | undefined,
) {
  const rows = METRICS.map((m) => [
    metricInfo(m.key).label,
    typeof candidate[m.key] === 'number' ? f4(candidate[m.key] as number) : '—',
    production && typeof production.metrics.test[m.key] === 'number'
      ? f4(production.metrics.test[m.key] as number)
      : '—',
  ]);
  return markdownTable(
    [
      'metric (each on its own held-out rows)',
      'candidate',
      production ? `production v${production.version} (recorded at registration)` : 'production',
    ],
    rows,
  );
}

/** The promotion PR's body: evidence first, then lineage, then what approving does. */
export function promotionBody(input: PromotionBodyInput): string {
  const { model, version, comparison, runUrl } = input;
  const lineage = markdownTable(
    ['lineage', 'value'],
    [
      ['commit', version.lineage.commit ? `\`${version.lineage.commit}\`` : '—'],
      ['data (sha256)', `\`${version.lineage.dataSha256}\``],
      ['config hash', `\`${version.lineage.configHash}\``],
      ['test rows', `\`${version.lineage.testRowsHash}\``],
      ['artifact', `\`registry/${version.artifact}\` (\`${version.sha256}\`)`],
      ['model card', `\`registry/${version.artifact.replace(/model\.json$/, 'model-card.md')}\``],
      ['training run', runUrl ?? version.lineage.runUrl ?? '—'],
    ],
  );
  const replacement = comparison.decision.outcome === 'not-comparable';
  const missing = comparison.decision.checks.find((c) => c.name === 'comparable')?.missing ?? [];
  return [
    promotionMarker(model, version.version),
    replacement
      ? `## Replace production with \`${model}\` v${version.version}`
      : `## Promote \`${model}\` v${version.version} to production`,
    '',
    ...(replacement
      ? [
          `> [!WARNING]\n> The candidate and production v${comparison.decision.production?.version ?? '?'} were **not compared on the same rows**: the data no longer holds production's columns ${missing.map((c) => `\`${c}\``).join(', ')}. Both reports are shown as measured, each on its own held-out rows. Approving replaces production on that basis, with the same review as a promotion.`,
          '',
        ]
      : []),
    decisionMarkdown(comparison.decision),
    '',
    ...(replacement
      ? [
          '### Candidate and production, each on its own rows',
          '',
          separateReports(comparison.candidate, input.production),
          '',
        ]
      : [
          '### Candidate vs production, on the same held-out rows',
          '',
          comparisonMarkdown(comparison),
          '',
        ]),
    '### Lineage',
    '',
    lineage,
    '',
    '### What approving does',
    '',
    `Approving this PR (as a user with write access) re-checks the policy against the current production model, squash-merges it, and starts the release: the serving image \`${model}-v${version.version}\` is built with this model baked in and pushed to GHCR as \`production\`. This PR changes only the registry's \`${model}/production.json\` and adds its history events; registrations and releases landing on main meanwhile never conflict with it. If production moves before it is approved, the approval re-applies the move on the newest main, re-checks the policy and asks for a fresh approval.`,
    ...(input.tokenNote ? ['', `> [!NOTE]\n> ${input.tokenNote}`] : []),
    '',
    runUrl ? `_Opened by [this run](${runUrl})._` : '',
  ].join('\n');
}

export interface RollbackBodyInput {
  model: string;
  target: RegistryVersion;
  from: number | null;
  reason: string;
  /** When the target was in production before, from the history. */
  wasInProduction: { since: string; until: string | null };
  /** The target and the current production scored on the same rows, when they could be. */
  comparison: Comparison | null;
  /** Why they could not be compared, otherwise. */
  cannotCompare?: string;
  runUrl: string | null;
  tokenNote?: string | null;
}

/** The rollback PR's body: why, when the target served before, and how it compares now. */
export function rollbackBody(input: RollbackBodyInput): string {
  const { model, target } = input;
  const when = `${input.wasInProduction.since.slice(0, 19).replace('T', ' ')} UTC until ${input.wasInProduction.until ? `${input.wasInProduction.until.slice(0, 19).replace('T', ' ')} UTC` : 'now'}`;
  return [
    `## Roll back \`${model}\` from v${input.from ?? 'none'} to v${target.version}`,
    '',
    `Reason: ${input.reason}`,
    '',
    `v${target.version} was in production from ${when}.`,
    '',
    '### Target vs current production, on the same held-out rows',
    '',
    input.comparison
      ? comparisonMarkdown(input.comparison)
      : `Not compared: ${input.cannotCompare ?? 'no current production'}.`,
    '',
    '### What approving does',
    '',
    'Approving re-checks that the target was in production before and still meets the policy minimum on the rows the default branch holds out, then squash-merges and releases its image, exactly like a promotion.',
    ...(input.tokenNote ? ['', `> [!NOTE]\n> ${input.tokenNote}`] : []),
    '',
    input.runUrl ? `_Opened by [this run](${input.runUrl})._` : '',
  ].join('\n');
}

import { comparisonMarkdown, decisionMarkdown, markdownTable } from '../evaluate/report.js';
import type { Comparison } from '../pipeline/compare.js';
import type { RegistryVersion } from '../registry/schema.js';

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
      ['training run', runUrl ?? version.lineage.runUrl ?? '—'],
    ],
  );
  return [
    promotionMarker(model, version.version),
    `## Promote \`${model}\` v${version.version} to production`,
    '',
    decisionMarkdown(comparison.decision),
    '',
    '### Candidate vs production, on the same held-out rows',
    '',
    comparisonMarkdown(comparison),
    '',
    '### Lineage',
    '',
    lineage,
    '',
    '### What approving does',
    '',
    `Approving this PR (as a user with write access) re-checks the policy against the current production model, squash-merges it, and starts the release: the serving image \`${model}-v${version.version}\` is built with this model baked in and pushed to GHCR as \`production\`. This PR changes only \`registry/registry.json\`: the stage of v${version.version} and the history.`,
    ...(input.tokenNote ? ['', `> [!NOTE]\n> ${input.tokenNote}`] : []),
    '',
    runUrl ? `_Opened by [this run](${runUrl})._` : '',
  ].join('\n');
}

import { loadRegisteredArtifact, productionVersion } from '../registry/operations.js';
import type { Registry } from '../registry/schema.js';
import type { RegistryStore } from '../registry/store.js';

export interface ReleasePlan {
  model: string;
  version: number;
  sha256: string;
  /** Registry-relative artifact path that the Dockerfile bakes in. */
  artifact: string;
  /** `ghcr.io/<owner>/<repo>`, lower-cased as GHCR requires. */
  image: string;
  tags: string[];
  /** OCI labels linking the package to the repository, the commit and the model. */
  labels: Record<string, string>;
}

export interface ReleasePlanInput {
  store: RegistryStore;
  model: string;
  /** `owner/repo`. */
  repository: string;
  serverUrl: string;
  /** The commit being released. */
  sha: string;
  packageVersion: string;
  registryHost?: string;
  /** Release this version instead of production (it must be in production anyway). */
  version?: number | null;
}

/**
 * What the release job builds and pushes: the production version (checksum verified), its tags
 * `<model>-v<N>`, `production` and `sha-<short>`, and the OCI labels.
 */
export function releasePlan(input: ReleasePlanInput): ReleasePlan {
  const registry = input.store.read();
  const production = productionVersion(registry, input.model);
  if (!production)
    throw new Error(
      `Model '${input.model}' has no production version; nothing to release. Merge a promotion PR first.`,
    );
  if (input.version && input.version !== production.version) {
    throw new Error(
      `Asked to release v${input.version}, but production is v${production.version}; only the production version is released.`,
    );
  }
  // Refuses a tampered artifact before anything is built.
  loadRegisteredArtifact(input.store, input.model, production.version);
  const host = input.registryHost ?? 'ghcr.io';
  const image = `${host}/${input.repository.toLowerCase()}`;
  const source = `${input.serverUrl}/${input.repository}`;
  return {
    model: input.model,
    version: production.version,
    sha256: production.sha256,
    artifact: production.artifact,
    image,
    tags: [`${input.model}-v${production.version}`, 'production', `sha-${input.sha.slice(0, 7)}`],
    labels: {
      'org.opencontainers.image.source': source,
      'org.opencontainers.image.revision': input.sha,
      'org.opencontainers.image.version': `${input.model}-v${production.version}`,
      'org.opencontainers.image.licenses': 'MIT',
      'org.opencontainers.image.title': `${input.model} serving image`,
      'org.opencontainers.image.description': `OncoClear ${input.model} v${production.version}, served with Hono (/predict, OIP v2, /metrics)`,
      'org.oncoclear.model.name': input.model,
      'org.oncoclear.model.version': String(production.version),
      'org.oncoclear.model.sha256': production.sha256,
    },
  };
}

/** True when the production version differs between two registry snapshots. */
export function productionChanged(
  before: Registry | null,
  after: Registry,
  model: string,
): boolean {
  const a = before ? (productionVersion(before, model)?.version ?? null) : null;
  return a !== (productionVersion(after, model)?.version ?? null);
}

/** Release notes: what is in the image and how to trace it. */
export function releaseNotes(plan: ReleasePlan, digest: string, registry: Registry): string {
  const v = registry.models[plan.model]!.versions.find((x) => x.version === plan.version)!;
  return [
    `## ${plan.model} v${plan.version}`,
    '',
    '```sh',
    `docker pull ${plan.image}@${digest}`,
    '```',
    '',
    `| | |`,
    `|:--|:--|`,
    `| image | \`${plan.image}\` tags ${plan.tags.map((t) => `\`${t}\``).join(', ')} |`,
    `| digest | \`${digest}\` |`,
    `| model artifact | \`registry/${plan.artifact}\` (\`${plan.sha256}\`) |`,
    `| model card | \`registry/${plan.artifact.replace(/model\.json$/, 'model-card.md')}\` |`,
    `| test accuracy / ROC AUC | ${v.metrics.test.accuracy.toFixed(4)} / ${v.metrics.test.rocAuc.toFixed(4)} |`,
    `| trained from commit | \`${v.lineage.commit ?? 'unknown'}\` |`,
    `| data | \`${v.lineage.dataSha256}\` |`,
    '',
    "Trace a prediction: the audit line's model version → this release → the registry entry → the commit → the data hash.",
  ].join('\n');
}

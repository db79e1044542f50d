import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// service/Dockerfile's bases must be immutable: an image pinned by digest, or BASE_IMAGE whose
// default names a stage that is (so Dependabot, which reads FROM lines only, can move the pin).
const dockerfile = readFileSync('service/Dockerfile', 'utf8');
const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({
  image: m[1]!,
  stage: m[2],
}));
const DIGEST = /^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$/;

describe('service/Dockerfile', () => {
  it('pins every base image by digest, directly or through BASE_IMAGE’s default stage', () => {
    const baseDefault = dockerfile.match(/^ARG BASE_IMAGE=(\S+)/m)?.[1];
    const stages = new Map(froms.filter((f) => f.stage).map((f) => [f.stage!, f.image]));

    for (const { image } of froms) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text of a FROM line.
      const resolved = image === '${BASE_IMAGE}' ? stages.get(baseDefault ?? '') : image;
      expect(resolved, `FROM ${image}`).toMatch(DIGEST);
    }
    expect(stages.get(baseDefault ?? '')).toMatch(/^docker\.io\/library\/node:24-bookworm-slim@/);
  });

  it('runs as the uid the manifests under deploy/ expect', () => {
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
  });
});

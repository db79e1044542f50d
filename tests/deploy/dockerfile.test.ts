import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { modelDockerfile } from '../../src/release/model-image.js';

const DIGEST = /^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$/;
const REPO_DIGEST = /^[^@\s]+@sha256:[0-9a-f]{64}$/;

/** Each FROM's image with its stage name, and what `${BASE_IMAGE}` defaults to. */
function froms(dockerfile: string) {
  return {
    froms: [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({
      image: m[1]!,
      stage: m[2],
    })),
    baseDefault: dockerfile.match(/^ARG BASE_IMAGE=(\S+)/m)?.[1],
  };
}

// service/Dockerfile, the serving base image: its bases must be immutable, an image pinned by
// digest or BASE_IMAGE whose default names a stage that is (so Dependabot, which reads FROM
// lines only, can move the pin).
describe('service/Dockerfile (the model-free base image)', () => {
  const dockerfile = readFileSync('service/Dockerfile', 'utf8');

  it('pins every base image by digest, directly or through BASE_IMAGE’s default stage', () => {
    const { froms: all, baseDefault } = froms(dockerfile);
    const stages = new Map(all.filter((f) => f.stage).map((f) => [f.stage!, f.image]));

    for (const { image } of all) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text of a FROM line.
      const resolved = image === '${BASE_IMAGE}' ? stages.get(baseDefault ?? '') : image;
      expect(resolved, `FROM ${image}`).toMatch(DIGEST);
    }
    expect(stages.get(baseDefault ?? '')).toMatch(/^docker\.io\/library\/node:24-bookworm-slim@/);
  });

  it('runs as the uid the manifests under deploy/ expect', () => {
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
  });

  it('bakes no model: no registry export, no model labels, an empty /mnt/models', () => {
    const instructions = dockerfile.replace(/^#.*$/gm, '');
    expect(instructions).not.toMatch(
      /export-model|REGISTRY_DIR|MODEL_VERSION|org\.oncoclear\.model/,
    );
    expect(instructions).toMatch(/mkdir -p [^\n]*\/out\/mnt\/models/);
    expect(instructions).toMatch(/ln -s \/mnt\/models \/out\/app\/model/);
  });

  it('keeps the registry out of its build context (.dockerignore)', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    expect(ignored).toContain('registry');
    expect(ignored.filter((l) => l.startsWith('!'))).toEqual([]);
  });
});

// The model image's Dockerfile (src/release/model-image.ts): FROM the BASE_IMAGE arg only, whose
// default is the base it was generated for, so a digest given is a digest pinned.
describe('the model image Dockerfile', () => {
  const base = `ghcr.io/owner/repo/oncoclear-base@sha256:${'b'.repeat(64)}`;

  it('builds FROM the BASE_IMAGE arg only, defaulting to the base it was given, pinned by digest', () => {
    const { froms: all, baseDefault } = froms(modelDockerfile(base, {}));

    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text of a FROM line.
    expect(all).toEqual([{ image: '${BASE_IMAGE}', stage: undefined }]);
    expect(baseDefault).toBe(base);
    expect(baseDefault).toMatch(REPO_DIGEST);
  });

  it('keeps a tag-only base as given (local builds), and refuses what is not a reference', () => {
    expect(froms(modelDockerfile('localhost/oncoclear-base:test', {})).baseDefault).toBe(
      'localhost/oncoclear-base:test',
    );
    expect(() => modelDockerfile('', {})).toThrow(/Base image '' is not an image reference/);
    expect(() => modelDockerfile('base image', {})).toThrow(/'base image' is not an image/);
    expect(() => modelDockerfile(`x@sha256:${'b'.repeat(63)}`, {})).toThrow(/not an image/);
  });
});

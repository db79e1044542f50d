import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CliError } from '../../src/cli/args.js';
import { registryCommand } from '../../src/cli/commands/registry.js';
import { readSidecar } from '../../src/model/artifact.js';
import { productionVersion } from '../../src/registry/operations.js';
import { createRegistryStore } from '../../src/registry/store.js';
import {
  checkBaseImage,
  modelDockerfile,
  writeModelImageContext,
} from '../../src/release/model-image.js';
import { ModelInfoSchema } from '../../src/release/model-info.js';
import { tempDir } from '../support/fixtures.js';

const BASE = `ghcr.io/owner/repo-base@sha256:${'a'.repeat(64)}`;
const dir = tempDir('oncoclear-model-image-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A private copy of the committed registry (production v1), so a test may tamper with it. */
function registryCopy(name: string) {
  const copy = join(dir, name);
  cpSync('registry', copy, { recursive: true });
  return createRegistryStore(copy);
}

describe('writeModelImageContext', () => {
  it('writes a Dockerfile and the verified model with its sidecar and model-info.json', () => {
    // Arrange
    const store = registryCopy('registry-ok');
    const production = productionVersion(store.read(), 'oncoclear')!;
    const outDir = join(dir, 'ctx-ok');

    // Act
    const context = writeModelImageContext({
      store,
      model: 'oncoclear',
      baseImage: BASE,
      labels: { source: 'https://github.com/owner/repo', revision: 'abc1234' },
      outDir,
    });

    // Assert
    expect(readdirSync(outDir).sort()).toEqual(['Dockerfile', 'model']);
    expect(readdirSync(join(outDir, 'model')).sort()).toEqual([
      'model-info.json',
      'model.json',
      'model.json.sha256',
    ]);
    const bytes = readFileSync(join(outDir, 'model', 'model.json'));
    const sha = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    expect(bytes.equals(readFileSync(store.resolve(production.artifact)))).toBe(true);
    expect(readSidecar(join(outDir, 'model', 'model.json'))).toBe(sha);
    const info = ModelInfoSchema.parse(
      JSON.parse(readFileSync(join(outDir, 'model', 'model-info.json'), 'utf8')),
    );
    expect(info).toEqual({
      name: 'oncoclear',
      version: production.version,
      stage: 'production',
      sha256: sha,
    });
    expect(context.info).toEqual(info);
    expect(context.labels).toMatchObject({
      'org.opencontainers.image.source': 'https://github.com/owner/repo',
      'org.opencontainers.image.revision': 'abc1234',
      'org.opencontainers.image.base.name': 'ghcr.io/owner/repo-base',
      'org.opencontainers.image.base.digest': `sha256:${'a'.repeat(64)}`,
      'org.oncoclear.model.name': 'oncoclear',
      'org.oncoclear.model.version': String(production.version),
      'org.oncoclear.model.sha256': sha,
    });
    const dockerfile = readFileSync(context.dockerfile, 'utf8');
    expect(dockerfile).toContain(`ARG BASE_IMAGE=${BASE}\n`);
    expect(dockerfile).toContain(`org.oncoclear.model.sha256="${sha}"`);
    expect(dockerfile).toMatch(/^COPY model\/ \/mnt\/models\/$/m);
  });

  it('refuses an artifact changed after it was registered, and writes no Dockerfile', () => {
    // Arrange: one byte appended to the production artifact in the registry.
    const store = registryCopy('registry-tampered');
    const production = productionVersion(store.read(), 'oncoclear')!;
    appendFileSync(store.resolve(production.artifact), ' ');
    const outDir = join(dir, 'ctx-tampered');

    // Act / Assert
    expect(() => writeModelImageContext({ store, baseImage: BASE, outDir })).toThrow(
      /Checksum mismatch for '.*': the registry recorded sha256:[0-9a-f]{64}, the file has sha256:[0-9a-f]{64}/,
    );
    expect(readdirSync(outDir)).not.toContain('Dockerfile');
  });

  it('refuses a directory that already holds files, naming them', () => {
    const outDir = join(dir, 'ctx-used');
    writeModelImageContext({ store: registryCopy('registry-used'), baseImage: BASE, outDir });
    writeFileSync(join(outDir, 'stale.txt'), 'x');

    expect(() =>
      writeModelImageContext({ store: registryCopy('registry-used-2'), baseImage: BASE, outDir }),
    ).toThrow(/Image context '.*ctx-used' is not empty \(it holds Dockerfile, model, stale\.txt\)/);
  });

  it('refuses a base image that is not a reference, quoting it', () => {
    expect(() =>
      writeModelImageContext({
        store: registryCopy('registry-bad-base'),
        baseImage: 'ghcr.io/o/r@sha256:short',
        outDir: join(dir, 'ctx-bad-base'),
      }),
    ).toThrow("Base image 'ghcr.io/o/r@sha256:short' is not an image reference");
  });

  it('accepts what registries accept and refuses capitals in a repository name', () => {
    for (const ok of [
      'ghcr.io/octo/oncoclear/oncoclear-base:0.2.0',
      `127.0.0.1:5000/oncoclear-base@sha256:${'a'.repeat(64)}`,
      'localhost/oncoclear:Test_1',
    ])
      expect(checkBaseImage(ok)).toBe(ok);
    expect(() => checkBaseImage('ghcr.io/Octo/oncoclear-base:1')).toThrow(
      "Base image 'ghcr.io/Octo/oncoclear-base:1' is not an image reference; expected a lower-case NAME",
    );
  });
});

describe('modelDockerfile', () => {
  it('has no RUN: the model image is a COPY on the base, with no npm and no shell', () => {
    const text = modelDockerfile(BASE, { 'org.oncoclear.model.name': 'oncoclear' });
    const instructions = text
      .split('\n')
      .filter((l) => /^[A-Z]+\s/.test(l))
      .map((l) => l.split(/\s/)[0]);
    expect(instructions).toEqual(['ARG', 'FROM', 'LABEL', 'COPY']);
    expect(text).not.toMatch(/^\s*RUN\b/im);
  });

  it('escapes quotes and $ in label values so the builder reads them literally', () => {
    const text = modelDockerfile(BASE, { k: 'say "hi" to $HOME\\' });
    expect(text).toContain('k="say \\"hi\\" to \\$HOME\\\\"');
    expect(() => modelDockerfile(BASE, { k: 'two\nlines' })).toThrow(/has a line break/);
  });
});

describe('oncoclear registry export-model --image-context', () => {
  it('writes the same context from the CLI, and names --base when it is missing', async () => {
    const store = registryCopy('registry-cli');
    const outDir = join(dir, 'ctx-cli');
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
      printed.push(String(text));
      return true;
    });
    try {
      await expect(
        registryCommand(['export-model', '--registry', store.dir, '--image-context', outDir]),
      ).rejects.toThrow(new CliError('Missing --base IMAGE', 2).message);
      await registryCommand([
        'export-model',
        '--registry',
        store.dir,
        '--image-context',
        outDir,
        '--base',
        BASE,
        '--json',
      ]);
    } finally {
      write.mockRestore();
    }
    expect(JSON.parse(printed.at(-1)!).info.stage).toBe('production');
    expect(readFileSync(join(outDir, 'Dockerfile'), 'utf8')).toContain(`ARG BASE_IMAGE=${BASE}\n`);
  });
});

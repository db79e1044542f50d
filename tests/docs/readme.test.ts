import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codeBlocks, documentationPages, relativeLinks, shellCommands } from './markdown.js';

const readme = readFileSync('README.md', 'utf8');

/** The README's section under a `## ` heading, up to the next one. */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no '## ${heading}' section.`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README', () => {
  it('is a front door: at most 160 lines, the reference lives in docs/', () => {
    const lines = readme.trimEnd().split('\n').length;
    expect(lines, `README.md has ${lines} lines; expected at most 160`).toBeLessThanOrEqual(160);
  });

  it('gives the two set-up commands the CI and users rely on', () => {
    expect(shellCommands(section('Quick start'))).toEqual(
      expect.arrayContaining(['npm ci && npm start', 'npm test']),
    );
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toContain('oncoclear.js start');
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm test$/m);
  });

  it('draws the lifecycle from a push to /predict as a Mermaid diagram, in order', () => {
    const mermaid = codeBlocks(readme).filter((b) => b.lang === 'mermaid');
    expect(mermaid).toHaveLength(1);
    const diagram = mermaid[0]!.body;
    const stages = [
      'push',
      'Train',
      'registry',
      'promotion PR',
      'approves',
      'merges',
      'Release',
      'image',
      '/predict',
    ];
    const at = stages.map((s) => diagram.indexOf(s));
    expect(stages.filter((_, i) => at[i]! < 0)).toEqual([]);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('shows how to adopt it in four steps, with init pinned to a version', () => {
    const adopt = section('Adopt it in your repository');
    expect(adopt.match(/^\d+\. /gm)).toEqual(['1. ', '2. ', '3. ', '4. ']);
    const init = shellCommands(adopt).find((c) => c.startsWith('npx oncoclear init'));
    expect(init).toMatch(/--data \S+ --target \S+ --positive \S+ --from [\w-]+\/[\w.-]+@v/);
    expect(shellCommands(adopt)).toContain('npm install --save-dev oncoclear');
    expect(adopt).toContain('](docs/adopt.md)');
  });

  it('names the three people who use it and the team that adopts it', () => {
    const who = section('Who uses it');
    for (const person of [
      'You push to `main`',
      'You approve a promotion PR',
      'You pull the released image',
      'The team adopting it',
    ]) {
      expect(who).toContain(person);
    }
  });

  it('links every page under docs/, and the two pages other work adds', () => {
    const linked = new Set(relativeLinks(readme).map((l) => l.replace(/#.*$/, '')));
    const pages = documentationPages().filter((p) => p !== 'README.md');
    expect(pages.filter((p) => !linked.has(p))).toEqual([]);
    expect([...linked]).toEqual(expect.arrayContaining(['docs/image.md', 'docs/releasing.md']));
  });
});

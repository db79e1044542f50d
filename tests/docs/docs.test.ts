import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTION_DOCS_PATH, actionDocs, fillActionDocs } from '../../scripts/action-docs.js';
import { registrySource } from '../../service/served-model.js';
import { testApp } from '../service/fixture.js';
import {
  documentationPages,
  headingAnchors,
  page,
  relativeLinks,
  shellCommands,
  shellWords,
} from './markdown.js';

const pages = documentationPages();

/** Every simple command the pages show, `a && b` and `a & b` split apart, with its page. */
const shown = pages.flatMap((path) =>
  shellCommands(page(path)).flatMap((line) =>
    line
      .split(/\s(?:&&|\|\||;|&)\s/)
      .map((command) => ({ path, command: command.trim(), words: shellWords(command) })),
  ),
);

const helpCache = new Map<string, string>();
/** `oncoclear [command] --help`, from the built CLI, as a user runs it. */
function help(command?: string): string {
  const key = command ?? '';
  if (!helpCache.has(key)) {
    const args = command ? [command, '--help'] : ['--help'];
    helpCache.set(key, execFileSync('node', ['bin/oncoclear.js', ...args], { encoding: 'utf8' }));
  }
  return helpCache.get(key)!;
}

describe('the documentation', () => {
  it('documents every action input and output exactly as action.yml declares them', () => {
    // Regenerate with: npx tsx scripts/action-docs.ts
    const reference = page(ACTION_DOCS_PATH);
    expect(fillActionDocs(reference, actionDocs())).toBe(reference);
  });

  it('shows only oncoclear commands that exist, with options their --help lists', () => {
    const known = [...help().matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]!);
    expect(known).toEqual(expect.arrayContaining(['train', 'serve', 'start', 'init']));
    const lines = shown.filter(({ words }) =>
      words[0] === 'npx' ? words[1] === 'oncoclear' : words[0] === 'oncoclear',
    );
    expect(lines.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const { path, command, words } of lines) {
      const rest = words.slice(words.indexOf('oncoclear') + 1);
      const name = rest[0]?.startsWith('-') ? undefined : rest[0];
      if (name !== undefined && !known.includes(name)) {
        problems.push(`${path}: '${command}': no command '${name}'`);
        continue;
      }
      const text = help(name);
      // `registry show|history|diff`: each subcommand is listed in registry's help.
      if (name === 'registry') {
        for (const sub of (rest[1] ?? '').split('|')) {
          if (!new RegExp(`^ {2}${sub}\\b`, 'm').test(text)) {
            problems.push(`${path}: '${command}': registry has no subcommand '${sub}'`);
          }
        }
      }
      for (const [flag] of command.matchAll(/(?<![\w-])--[a-z][\w-]*/g)) {
        if (!new RegExp(`(?<![\\w-])${flag}(?![\\w-])`).test(text)) {
          problems.push(`${path}: '${command}': oncoclear ${name ?? ''} --help has no ${flag}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // One CLI process per command shown: generous, since the machine may be busy.
  }, 60_000);

  it('names only npm scripts that package.json has and script files that exist', () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
        .scripts,
    );
    const problems: string[] = [];
    for (const { path, command, words } of shown) {
      if (words[0] === 'npm' && words[1] === 'run' && !scripts.includes(words[2]!)) {
        problems.push(`${path}: '${command}': package.json has no script '${words[2]}'`);
      }
      const file =
        words[0] === 'bash' || words[0] === 'node'
          ? words[1]
          : words[0] === 'npx' && words[1] === 'tsx'
            ? words[2]
            : undefined;
      if (file && !file.startsWith('-') && !existsSync(file)) {
        problems.push(`${path}: '${command}': no file ${file}`);
      }
    }
    expect(problems).toEqual([]);
  });

  describe('every request it shows to localhost:8000', () => {
    const requests = shown
      .filter(({ words }) => ['curl', 'open'].includes(words[0]!))
      .map(({ path, command, words }) => {
        const url = words.find((w) => /^(https?:\/\/)?localhost:8000\//.test(w));
        const flag = (name: string) => {
          const i = words.indexOf(name);
          return i < 0 ? undefined : words[i + 1];
        };
        const body = flag('-d');
        const header = flag('-H');
        return {
          path,
          command,
          route: url?.replace(/^(https?:\/\/)?localhost:8000/, ''),
          init: {
            method: flag('-X') ?? (body === undefined ? 'GET' : 'POST'),
            body,
            headers: header
              ? { [header.split(':')[0]!.trim()]: header.split(':').slice(1).join(':').trim() }
              : undefined,
          } satisfies RequestInit,
        };
      })
      .filter((r) => r.route !== undefined);

    let app: ReturnType<typeof testApp>['app'];
    beforeAll(async () => {
      // The committed production model, the one `npm start` serves on a fresh clone.
      ({ app } = testApp(await registrySource('registry').load()));
    });

    it('is answered with 200 by the service', async () => {
      expect(requests.length).toBeGreaterThan(10);
      const failed: string[] = [];
      for (const { path, command, route, init } of requests) {
        const res = await app.request(route!, init);
        if (res.status !== 200) {
          failed.push(`${path}: '${command.slice(0, 80)}…' got ${res.status}`);
        }
      }
      expect(failed).toEqual([]);
    });

    it('covers every route the OpenAPI document describes, and the docs UI', async () => {
      const spec = (await (await app.request('/openapi.json')).json()) as {
        paths: Record<string, unknown>;
      };
      // One versioned example stands for the `/versions/{version}` form of every model route.
      const routes = new Set(
        Object.keys(spec.paths).map((p) =>
          p.replace('/versions/{version}', '').replace('{name}', 'oncoclear'),
        ),
      );
      routes.add('/openapi.json').add('/docs');
      const documented = new Set(requests.map((r) => r.route!));
      expect([...routes].filter((r) => !documented.has(r))).toEqual([]);
      expect([...documented].some((r) => r.includes('/versions/'))).toBe(true);
    });
  });

  it('has relative links that all resolve to a file, and anchors to a heading', () => {
    const broken: string[] = [];
    for (const path of pages) {
      for (const link of relativeLinks(page(path))) {
        const [file, anchor] = link.split('#') as [string, string | undefined];
        const target = file === '' ? path : join(dirname(path), file);
        if (!existsSync(target)) {
          broken.push(`${path}: ${link}: no file ${target}`);
          continue;
        }
        if (anchor === undefined) continue;
        if (statSync(target).isDirectory() || !target.endsWith('.md')) {
          broken.push(`${path}: ${link}: an anchor into ${target}, which is not a Markdown page`);
        } else if (!headingAnchors(page(target)).has(anchor)) {
          broken.push(`${path}: ${link}: ${target} has no heading '#${anchor}'`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

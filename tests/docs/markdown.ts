// Just enough Markdown reading for the docs tests: fenced code blocks, the shell lines in them,
// relative links and the anchors GitHub gives headings. Not a Markdown parser: the pages are ours,
// and the tests fail loudly if one of them stops fitting these rules.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** README.md and every page under docs/, as repo-relative paths. */
export function documentationPages(root = '.'): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

export interface CodeBlock {
  lang: string;
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;

/** The fenced code blocks of a page, in order. */
export function codeBlocks(text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = text.split('\n');
  let open: { fence: string; lang: string; line: number; body: string[] } | null = null;
  lines.forEach((line, i) => {
    const m = FENCE.exec(line);
    if (open) {
      if (m && m[2]!.startsWith(open.fence)) {
        blocks.push({ lang: open.lang, body: open.body.join('\n'), line: open.line });
        open = null;
      } else open.body.push(line.replace(/^ {0,3}/, ''));
    } else if (m) open = { fence: m[2]!, lang: m[3]!, line: i + 1, body: [] };
  });
  if (open) throw new Error(`Unclosed code fence opened on line ${(open as CodeBlock).line}.`);
  return blocks;
}

/** The page without its fenced code blocks and inline code, so links and headings are prose only. */
export function prose(text: string): string {
  const kept: string[] = [];
  let fence: string | null = null;
  for (const line of text.split('\n')) {
    const m = FENCE.exec(line);
    if (fence) {
      if (m && m[2]!.startsWith(fence)) fence = null;
      kept.push('');
    } else if (m) {
      fence = m[2]!;
      kept.push('');
    } else kept.push(line.replace(/`[^`]*`/g, (code) => code.replace(/[[\]()]/g, ' ')));
  }
  return kept.join('\n');
}

const SHELL = new Set(['sh', 'bash', 'shell', 'console']);

/**
 * The commands a page shows in its shell blocks: continuation lines joined, trailing comments
 * dropped (`# …` after whitespace, outside quotes), blank lines skipped.
 */
export function shellCommands(text: string): string[] {
  return codeBlocks(text)
    .filter((b) => SHELL.has(b.lang))
    .flatMap((b) => b.body.replace(/\s*\\\n\s*/g, ' ').split('\n'))
    .map(stripComment)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** Splits a shell line into words, honouring single and double quotes (no expansion). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | null = null;
  let inWord = false;
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`Unclosed ${quote} in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

/** Every `[text](target)` link in the prose whose target is not a URL or a mail address. */
export function relativeLinks(text: string): string[] {
  const links: string[] = [];
  for (const m of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push(target);
  }
  return links;
}

/**
 * The anchors GitHub generates for a page's headings: lowercased, punctuation dropped, spaces
 * turned into hyphens, and `-1`, `-2`, … appended to repeats (github-slugger's rules).
 */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(text).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    // Backticks and asterisks go with the other punctuation; underscores stay, as on GitHub.
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    anchors.add(n === 0 ? base : `${base}-${n}`);
    seen.set(base, n + 1);
  }
  return anchors;
}

/** The text of a page. */
export const page = (path: string) => readFileSync(path, 'utf8');

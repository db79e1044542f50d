// The dashboard in a real browser: built from a registry with several versions, a rollback and a
// release, served from a sub-path (as GitHub Pages serves /<repo>/) and opened from a file URL.
// Debian's chromium driven by playwright-core; skipped only when /usr/bin/chromium is missing.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDashboardInput } from '../../src/dashboard/input.js';
import { buildSite } from '../../src/dashboard/site.js';
import { writeSite } from '../../src/dashboard/write-site.js';
import { productionAt } from '../../src/registry/operations.js';
import type { Registry } from '../../src/registry/schema.js';
import { buildLifecycleRegistry, dayAt, MODEL } from '../dashboard/registry-fixture.js';
import { tempDir } from '../support/fixtures.js';
import { CHROMIUM, launchChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Git-ignored (bench/results/): screenshots are artifacts of the run, not sources.
const SHOTS = join(ROOT, 'bench', 'results', 'dashboard-screenshots');
const SUB_PATH = '/oncoclear/';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  process.stderr.write(`tests/browser/dashboard.test.ts: skipped, ${CHROMIUM} is missing\n`);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css',
  '.js': 'text/javascript',
};

/** Serves `dir` under SUB_PATH only, like a project site; anything else is a 404. */
function serveUnderSubPath(dir: string): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.startsWith(SUB_PATH) ? normalize(join(dir, path.slice(SUB_PATH.length))) : '';
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'text/plain',
    });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ server, base: `http://127.0.0.1:${port}${SUB_PATH}` });
    }),
  );
}

describe.skipIf(!hasChromium)('the dashboard in chromium', () => {
  let browser: Browser | undefined;
  let server: Server | undefined;
  let base = '';
  let site = '';
  let registry: Registry;
  const offOrigin: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    const root = tempDir('oncoclear-dashboard-browser-');
    const built = await buildLifecycleRegistry(root);
    registry = built.registry;
    site = join(root, 'site');
    const files = buildSite(
      readDashboardInput(built.dir, () => {}),
      {
        primaryMetric: 'accuracy',
        repoUrl: 'https://github.com/acme/oncoclear',
      },
    );
    writeSite(site, files);
    ({ server, base } = await serveUnderSubPath(site));
    browser = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  });

  /** A page that records console errors and aborts (and records) any request off the site. */
  async function open(path: string, width = 1440): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width, height: 900 } });
    const origin = new URL(base).origin;
    await page.route('**/*', (route) => {
      const url = route.request().url();
      const local = url.startsWith(`${origin}${SUB_PATH}`) || url.startsWith('file:');
      if (!local) {
        offOrigin.push(url);
        return route.abort();
      }
      return route.continue();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${path}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${path}: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${path}: ${r.url()} HTTP ${r.status()}`);
    });
    await page.goto(`${base}${path}`, { waitUntil: 'load' });
    return page;
  }

  interface Drawn {
    id: string;
    points: number;
    xLabels: number;
  }

  /**
   * The charts uPlot drew: each container must hold a canvas and report (`data-drawn`) as many
   * points as its data has; returns the script's registry of drawn charts.
   */
  async function drawnCharts(page: Page): Promise<Drawn[]> {
    await page.waitForFunction('(window.oncoclearCharts || []).length > 0');
    const containers = await page.$$eval('.chart', (els) =>
      els.map((el) => ({
        id: el.id,
        canvases: el.querySelectorAll('.uplot canvas').length,
        legend: el.querySelectorAll('.u-legend .u-series').length,
        points: Number(el.getAttribute('data-points')),
        drawn: Number(el.getAttribute('data-drawn')),
      })),
    );
    for (const c of containers) {
      expect(c.canvases, `${c.id} has no canvas`).toBe(1);
      expect(c.legend, `${c.id} has no legend`).toBeGreaterThan(1);
      expect(c.drawn, `${c.id} drew ${c.drawn} of ${c.points} points`).toBe(c.points);
    }
    const drawn = await page.evaluate<Drawn[]>('window.oncoclearCharts');
    expect(drawn.map((d) => d.id)).toEqual(containers.map((c) => c.id));
    return drawn;
  }

  it('renders the overview with charts that have data points, at 375 and 1440 px', async () => {
    for (const width of [375, 1440]) {
      const page = await open(`${MODEL}/index.html`, width);
      await expect(page.locator('#current-production').textContent()).resolves.toBe('v2');
      const charts = await drawnCharts(page);
      expect(charts.map((c) => [c.id, c.points])).toEqual([
        ['chart-primary', 4],
        ['chart-guards', 8],
      ]);
      // The stylesheet loaded from the sub-path: cards are laid out as a grid.
      const display = await page.locator('.cards').evaluate(
        (el) =>
          (el.ownerDocument.defaultView as {
            getComputedStyle(e: unknown): { display: string };
          } | null)!.getComputedStyle(el).display,
      );
      expect(display).toBe('grid');
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - innerWidth',
      );
      expect(overflow, `the page scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SHOTS, `overview-${width}.png`), fullPage: true });
      if (width === 1440) {
        // The charts follow their container when the window narrows.
        await page.setViewportSize({ width: 375, height: 900 });
        await page.waitForFunction(
          "[...document.querySelectorAll('.chart canvas')].every((c) => c.getBoundingClientRect().right <= 375)",
        );
      }
      await page.close();
    }
  });

  it('renders a version page with ROC, calibration, confusion matrix and lineage', async () => {
    for (const width of [375, 1440]) {
      const page = await open(`${MODEL}/v2.html`, width);
      const charts = await drawnCharts(page);
      expect(charts.map((c) => c.id)).toEqual(['chart-roc', 'chart-calibration']);
      expect(charts.every((c) => c.points > 0)).toBe(true);
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - innerWidth',
      );
      expect(overflow, `the page scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
      await expect(page.locator('table.confusion').count()).resolves.toBe(1);
      await expect(page.locator('.lineage li').count()).resolves.toBe(7);
      await expect(page.locator('#decision').getAttribute('data-outcome')).resolves.toBe('promote');
      await page.screenshot({ path: join(SHOTS, `version-${width}.png`), fullPage: true });
      await page.close();
    }
  });

  it('labels a handful of the 1,000 versions on the x axis, not all of them', async () => {
    const base = registry.models[MODEL]!;
    const versions = Array.from({ length: 1000 }, (_, i) => ({
      ...base.versions[1]!,
      version: i + 1,
      stage: 'staging' as const,
      artifact: `${MODEL}/v${i + 1}/model.json`,
    }));
    const big = buildSite(
      {
        registry: { ...registry, models: { [MODEL]: { versions, history: [] } } },
        extras: new Map(),
      },
      { primaryMetric: 'accuracy' },
    );
    const keep = new Map(
      [...big].filter(([path]) => path.startsWith('assets/') || path === `${MODEL}/index.html`),
    );
    writeSite(join(site, 'big'), keep);
    for (const width of [375, 1440]) {
      const page = await open(`big/${MODEL}/index.html`, width);
      const charts = await drawnCharts(page);
      expect(charts.map((c) => c.points)).toEqual([1000, 2000]);
      for (const c of charts) {
        expect(c.xLabels, `${c.id} at ${width} px`).toBeGreaterThanOrEqual(2);
        expect(c.xLabels, `${c.id} at ${width} px`).toBeLessThanOrEqual(width < 500 ? 7 : 12);
      }
      await page.screenshot({ path: join(SHOTS, `overview-1000-${width}.png`), fullPage: false });
      await page.close();
    }
  });

  it('renders the diff of two chosen versions with metrics and hyperparameters', async () => {
    const page = await open(`${MODEL}/diff.html?a=1&b=3`);
    const rows = page.locator('#diff-body tr');
    await expect(rows.filter({ hasText: 'accuracy' }).first().textContent()).resolves.toMatch(
      /0\.\d{4}.*0\.\d{4}.*\+0\.0100/,
    );
    await expect(rows.filter({ hasText: 'training.l2' }).count()).resolves.toBe(1);
    await page.locator('select[name=a]').selectOption('2');
    await expect(rows.filter({ hasText: 'accuracy' }).first().textContent()).resolves.toContain(
      '+0.0050',
    );
    await page.screenshot({ path: join(SHOTS, 'diff-1440.png'), fullPage: true });
    await page.close();
  });

  it('answers "what was in production on…" like registry history --at', async () => {
    const page = await open(`${MODEL}/index.html`);
    const input = page.locator('#production-on input');
    const output = page.locator('#production-on output');
    const dates = [
      '2026-01-15',
      dayAt(1).toISOString(),
      '2026-02-03',
      dayAt(5).toISOString(),
      new Date(dayAt(6).getTime() - 1).toISOString(),
      '2026-02-08',
      '2027-01-01',
    ];
    for (const text of dates) {
      await input.fill(text);
      await page.locator('#production-on button').click();
      const expected = productionAt(registry, MODEL, new Date(text));
      await expect(output.getAttribute('data-version'), text).resolves.toBe(
        expected === null ? '' : String(expected),
      );
      await expect(output.textContent()).resolves.toContain(new Date(text).toISOString());
    }
    await page.close();
  });

  it('works from a file URL too', async () => {
    const page = await browser!.newPage();
    page.on('pageerror', (e) => problems.push(`file: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`file: ${m.text()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) offOrigin.push(r.url());
    });
    await page.goto(pathToFileURL(join(site, 'index.html')).href);
    await page.locator(`a[href="${MODEL}/index.html"]`).click();
    await expect(page.locator('#current-production').textContent()).resolves.toBe('v2');
    expect((await drawnCharts(page)).length).toBe(2);
    await page.locator('a[href="v2.html"]').first().click();
    await expect(page.locator('h1').textContent()).resolves.toContain('v2');
    expect((await drawnCharts(page)).length).toBe(2);
    await page.close();
  });

  it('made no request off its origin and logged no console error', () => {
    expect(offOrigin).toEqual([]);
    expect(problems).toEqual([]);
  });
});

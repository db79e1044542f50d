import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChartSpec } from '../../src/dashboard/charts.js';
import { productionOn } from '../../src/dashboard/client-script.js';
import { readDashboardInput } from '../../src/dashboard/input.js';
import { buildSite, type SiteFiles, VERSION_PAGE_SIZE } from '../../src/dashboard/site.js';
import { SITE_MARKER, writeSite } from '../../src/dashboard/write-site.js';
import { productionAt } from '../../src/registry/operations.js';
import type { Registry } from '../../src/registry/schema.js';
import { tempDir } from '../support/fixtures.js';
import {
  buildLifecycleRegistry,
  DIGEST,
  dayAt,
  MODEL,
  RELEASE_URL,
  ROLLBACK_PR,
} from './registry-fixture.js';

let registry: Registry;
let site: SiteFiles;
let warnings: string[];
let root: string;

beforeAll(async () => {
  root = tempDir('oncoclear-dashboard-');
  const built = await buildLifecycleRegistry(root);
  registry = built.registry;
  warnings = [];
  const input = readDashboardInput(built.dir, (m) => warnings.push(m));
  site = buildSite(input, {
    primaryMetric: 'accuracy',
    repoUrl: 'https://github.com/acme/oncoclear',
  });
});

const file = (path: string) => {
  const text = site.get(path);
  if (text === undefined) throw new Error(`the site has no ${path}; it has ${[...site.keys()]}`);
  return text;
};

/** The charts a page embeds: each container's `data-points` and its JSON spec, by id. */
function charts(html: string): Map<string, { points: number; spec: ChartSpec }> {
  const out = new Map<string, { points: number; spec: ChartSpec }>();
  for (const m of html.matchAll(
    /<div class="chart" id="([^"]+)" data-chart="([^"]+)" data-points="(\d+)"/g,
  )) {
    const json = new RegExp(
      `<script type="application/json" id="${m[2]}">(.*?)</script>`,
      's',
    ).exec(html);
    expect(json, `${m[1]} has no embedded data`).not.toBeNull();
    out.set(m[1]!, { points: Number(m[3]), spec: JSON.parse(json![1]!) as ChartSpec });
  }
  return out;
}

describe('the dashboard site', () => {
  it('has an index, an overview, a page per version, the lists and a diff', () => {
    expect([...site.keys()].sort()).toEqual(
      [
        '.nojekyll',
        'assets/dashboard.css',
        'assets/dashboard.js',
        'assets/uplot.iife.min.js',
        'assets/uplot.min.css',
        'index.html',
        `${MODEL}/diff.html`,
        `${MODEL}/history-1.html`,
        `${MODEL}/index.html`,
        `${MODEL}/v1.html`,
        `${MODEL}/v2.html`,
        `${MODEL}/v3.html`,
        `${MODEL}/v4.html`,
        `${MODEL}/versions-1.html`,
      ].sort(),
    );
    expect(warnings).toEqual([]);
  });

  it('links only relatively and loads nothing from another origin', () => {
    for (const [path, text] of site) {
      if (!path.endsWith('.html')) continue;
      const refs = [...text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      for (const ref of refs) {
        if (/^https?:/.test(ref)) {
          // Outbound links to GitHub are fine; nothing loads from them.
          expect(text).not.toMatch(new RegExp(`(src|rel="stylesheet" href)="${ref}"`));
          continue;
        }
        expect(ref, `${path} links ${ref}`).not.toMatch(/^\//);
        const target = ref.split(/[?#]/)[0]!;
        if (!target) continue;
        const resolved = new URL(target, `http://x/${path}`).pathname.slice(1);
        expect(site.has(resolved), `${path} links ${ref}, which is not in the site`).toBe(true);
      }
    }
  });

  it('shows the current production version, the release digest and the rollback in the overview', () => {
    const overview = file(`${MODEL}/index.html`);
    expect(overview).toMatch(/id="current-production">v2</);
    expect(overview).toContain(DIGEST);
    expect(overview).toContain('rolled back to');
    expect(overview).toContain(ROLLBACK_PR);
    // Both trend charts have one point per version and series, with their 95% intervals.
    const found = charts(overview);
    expect([...found.keys()]).toEqual(['chart-primary', 'chart-guards']);
    expect([...found.values()].map((c) => c.points)).toEqual([4, 8]);
    const guards = found.get('chart-guards')!.spec;
    expect(guards.xKind).toBe('version');
    expect(guards.versions).toEqual([1, 2, 3, 4]);
    expect(guards.xLabel).toContain('model version');
    expect(guards.yLabel).toContain('(proportion)');
    expect(guards.series.map((s) => s.label)).toEqual(
      ['sensitivity', 'specificity'].map((l) => expect.stringMatching(new RegExp(l, 'i'))),
    );
    for (const s of guards.series) {
      expect(s.values.every((v) => typeof v === 'number')).toBe(true);
      expect(s.low!.some((v, i) => typeof v === 'number' && v <= s.values[i]!)).toBe(true);
      expect(s.high!.some((v, i) => typeof v === 'number' && v >= s.values[i]!)).toBe(true);
    }
    // uPlot is loaded from the site itself, before the script that draws with it.
    const uplotAt = overview.indexOf('<script src="../assets/uplot.iife.min.js">');
    expect(uplotAt).toBeGreaterThan(0);
    expect(overview.indexOf('<script src="../assets/dashboard.js">')).toBeGreaterThan(uplotAt);
    expect(overview).toContain('href="../assets/uplot.min.css"');
    expect(file('assets/uplot.iife.min.js')).toMatch(
      /^\/\*! https:\/\/github\.com\/leeoniya\/uPlot/,
    );
    expect(overview).toContain('Table of these values');
  });

  it('gives each version its metrics, curves, confusion matrix, decision and lineage', () => {
    const v2 = file(`${MODEL}/v2.html`);
    expect(v2).toContain('95% CI');
    const curves = charts(v2);
    expect([...curves.keys()]).toEqual(['chart-roc', 'chart-calibration']);
    for (const { points, spec } of curves.values()) {
      expect(points).toBeGreaterThan(0);
      expect(spec.xRange).toEqual([0, 1]);
      // The curve and its reference diagonal (chance, perfect calibration), with a legend label.
      expect(spec.series.map((s) => Boolean(s.reference))).toEqual([false, true]);
      expect(spec.x.length).toBe(spec.series[0]!.values.length);
      expect(spec.x.every((x, i) => i === 0 || x >= spec.x[i - 1]!)).toBe(true);
    }
    expect(curves.get('chart-roc')!.spec.yLabel).toBe('true positive rate, 0–1');
    // Without scripts, the report's SVG charts stand in.
    expect(v2).toMatch(/<noscript><svg [^>]*aria-label="ROC curve/);
    expect(v2).toContain('Table of the curve');
    expect(v2).toContain('true positives');
    expect(v2).toMatch(/id="decision" data-outcome="promote"/);
    expect(v2).toContain(`https://github.com/acme/oncoclear/commit/c0ffee2`);
    expect(v2).toContain('https://github.com/acme/oncoclear/actions/runs/1002');
    expect(v2).toContain(ROLLBACK_PR);
    expect(v2).toContain(RELEASE_URL);
    expect(v2).toContain(DIGEST);
    // The card's "not for" text is labelled as such, not shown bold as if it were the model's use.
    expect(v2).toContain('<p><strong>Not for:</strong> Decisions about people without');
    const order = [
      'commit',
      'data fingerprint',
      'config hash',
      'workflow run',
      'promotion PR',
      'GitHub release',
      'image digest',
    ];
    const at = order.map((label) => v2.indexOf(`<strong>${label}</strong>`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('degrades gracefully for a version registered before model cards', () => {
    const v1 = file(`${MODEL}/v1.html`);
    expect(v1).toContain('registered before model cards');
    expect(v1).toContain('records no policy decision');
    expect(v1).toMatch(/id="roc">/);
  });

  it('records the kept-out decision for a staging version', () => {
    expect(file(`${MODEL}/v4.html`)).toMatch(/data-outcome="keep"/);
  });

  it('embeds every version and its hyperparameters for the diff', () => {
    const diff = file(`${MODEL}/diff.html`);
    const json = /<script type="application\/json" id="diff-data">(.*?)<\/script>/s.exec(diff)![1]!;
    const data = JSON.parse(json) as {
      versions: Array<{ version: number; params: Record<string, unknown> }>;
    };
    expect(data.versions.map((v) => v.version)).toEqual([1, 2, 3, 4]);
    expect(data.versions[0]!.params).toHaveProperty('training.l2');
  });

  it('escapes registry text so that a reason cannot inject markup', () => {
    const hostile = structuredClone(registry);
    hostile.models[MODEL]!.history[0]!.reason = '</script><script>alert(1)</script>';
    const out = buildSite({ registry: hostile, extras: new Map() }, { primaryMetric: 'accuracy' });
    for (const text of out.values()) expect(text).not.toContain('<script>alert(1)');
  });

  it('refuses a repository URL that is not http(s)', () => {
    expect(() =>
      buildSite(
        { registry, extras: new Map() },
        { primaryMetric: 'accuracy', repoUrl: 'javascript:x' },
      ),
    ).toThrow(/not an http\(s\) URL/);
  });
});

describe('the date picker', () => {
  it('answers like productionAt on every event time, between events and outside the history', () => {
    const overview = file(`${MODEL}/index.html`);
    const json = /<script type="application\/json" id="history-data">(.*?)<\/script>/s.exec(
      overview,
    )![1]!;
    const { history } = JSON.parse(json) as { history: Parameters<typeof productionOn>[0] };
    const moments = [
      new Date('2020-01-01T00:00:00Z'),
      ...registry.models[MODEL]!.history.flatMap((e) => {
        const t = Date.parse(e.at);
        return [new Date(t - 1), new Date(t), new Date(t + 1)];
      }),
      new Date('2030-01-01T00:00:00Z'),
    ];
    for (const at of moments)
      expect(productionOn(history, at.getTime()), at.toISOString()).toBe(
        productionAt(registry, MODEL, at),
      );
    // The story the fixture tells, day by day.
    expect([0, 1, 3, 5, 6, 8].map((d) => productionOn(history, dayAt(d).getTime() + 1))).toEqual([
      null,
      1,
      2,
      3,
      2,
      2,
    ]);
  });
});

describe('a large registry', () => {
  it('paginates the version list and thins the chart labels', () => {
    const base = registry.models[MODEL]!;
    const template = base.versions[1]!;
    const versions = Array.from({ length: 1000 }, (_, i) => ({
      ...template,
      version: i + 1,
      stage: 'staging' as const,
      artifact: `${MODEL}/v${i + 1}/model.json`,
    }));
    const big: Registry = {
      ...registry,
      models: { [MODEL]: { versions, history: [] } },
    };
    const out = buildSite({ registry: big, extras: new Map() }, { primaryMetric: 'accuracy' });
    expect(out.has(`${MODEL}/versions-${1000 / VERSION_PAGE_SIZE}.html`)).toBe(true);
    expect(out.has(`${MODEL}/versions-${1000 / VERSION_PAGE_SIZE + 1}.html`)).toBe(false);
    const overview = out.get(`${MODEL}/index.html`)!;
    const primary = charts(overview).get('chart-primary')!;
    expect(primary.points).toBe(1000);
    // Evenly spaced indexes labelled by version; uPlot picks integer steps at least 56 px apart
    // (the browser test counts the labels it draws).
    expect(primary.spec.x).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(primary.spec.versions!.at(-1)).toBe(1000);
  });
});

describe('writeSite', () => {
  it('writes the files and replaces a previous build', () => {
    const out = join(root, 'site');
    writeSite(out, site);
    expect(existsSync(join(out, SITE_MARKER))).toBe(true);
    expect(readFileSync(join(out, MODEL, 'v2.html'), 'utf8')).toBe(site.get(`${MODEL}/v2.html`));
    writeSite(out, new Map([['index.html', 'x']]));
    expect(existsSync(join(out, MODEL))).toBe(false);
  });

  it('refuses a non-empty folder that is not a dashboard build', () => {
    const out = join(root, 'other');
    writeSite(join(out, 'nested'), new Map());
    writeFileSync(join(out, 'keep.txt'), 'precious');
    expect(() => writeSite(out, site)).toThrow(/not empty and holds no \.oncoclear-dashboard/);
  });
});

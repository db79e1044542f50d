/**
 * The dashboard site: a pure function from the registry view and each version's extras to files
 * by relative path. Plain HTML, our stylesheet and script plus uPlot's, all local; every link is relative.
 *
 *   index.html                     the models
 *   <model>/index.html             overview: production, release, picker, charts, timeline
 *   <model>/v<N>.html              one version
 *   <model>/versions-<k>.html      every version, newest first, VERSION_PAGE_SIZE a page
 *   <model>/history-<k>.html       every event, newest first, HISTORY_PAGE_SIZE a page
 *   <model>/diff.html              any two versions side by side
 *   assets/dashboard.css|js
 *   assets/uplot.iife.min.js|uplot.min.css   uPlot, copied from the installed package
 */
import type { MetricKey } from '../evaluate/metric-catalog.js';
import { uplotFiles } from './charts.js';
import { DASHBOARD_JS } from './client-script.js';
import { page } from './html.js';
import { type DashboardInput, extrasKey } from './input.js';
import { paginate } from './pages/common.js';
import { diffPage } from './pages/diff.js';
import { historyListPage, indexPage, versionListPage } from './pages/lists.js';
import { overviewPage } from './pages/overview.js';
import { versionPage } from './pages/version.js';
import { DASHBOARD_CSS } from './style.js';

export const VERSION_PAGE_SIZE = 50;
export const HISTORY_PAGE_SIZE = 100;

export interface SiteOptions {
  /** The metric the promotion policy ranks on (the config's `promotion.metric`). */
  primaryMetric: MetricKey;
  /** e.g. https://github.com/owner/repo: turns commits and data files into links. */
  repoUrl?: string | null;
}

/** The site's files, by POSIX path relative to the site root. */
export type SiteFiles = Map<string, string>;

/** Builds every page of the dashboard. */
export function buildSite(input: DashboardInput, options: SiteOptions): SiteFiles {
  const repoUrl = options.repoUrl ?? null;
  if (repoUrl !== null && !/^https?:\/\/[^\s"<>]+$/.test(repoUrl))
    throw new TypeError(
      `Repository URL '${repoUrl}' is not an http(s) URL; expected e.g. https://github.com/owner/repo.`,
    );
  const files: SiteFiles = new Map();
  files.set('assets/dashboard.css', DASHBOARD_CSS);
  files.set('assets/dashboard.js', DASHBOARD_JS);
  const uplot = uplotFiles();
  files.set('assets/uplot.iife.min.js', uplot.js);
  files.set('assets/uplot.min.css', uplot.css);
  files.set('.nojekyll', '');
  files.set(
    'index.html',
    page({
      title: 'Models',
      root: '',
      body: indexPage(input.registry, options.primaryMetric),
    }),
  );
  for (const [model, entry] of Object.entries(input.registry.models)) {
    const crumbs = (here: string) => [
      { text: 'models', href: '../index.html' },
      { text: model, href: 'index.html' },
      { text: here },
    ];
    const newestFirst = [...entry.versions].reverse();
    const versionPages = paginate(newestFirst, VERSION_PAGE_SIZE);
    const historyPages = paginate([...entry.history].reverse(), HISTORY_PAGE_SIZE);
    files.set(
      `${model}/index.html`,
      page({
        title: model,
        root: '../',
        crumbs: [{ text: 'models', href: '../index.html' }, { text: model }],
        script: true,
        charts: true,
        body: overviewPage({
          model,
          entry,
          primaryMetric: options.primaryMetric,
          versionPages: versionPages.length,
          historyPages: historyPages.length,
        }),
      }),
    );
    versionPages.forEach((versions, i) => {
      files.set(
        `${model}/versions-${i + 1}.html`,
        page({
          title: `${model} versions`,
          root: '../',
          crumbs: crumbs(`versions ${i + 1}/${versionPages.length}`),
          body: versionListPage(
            model,
            versions,
            i + 1,
            versionPages.length,
            entry.versions.length,
            options.primaryMetric,
          ),
        }),
      );
    });
    historyPages.forEach((events, i) => {
      files.set(
        `${model}/history-${i + 1}.html`,
        page({
          title: `${model} history`,
          root: '../',
          crumbs: crumbs(`history ${i + 1}/${historyPages.length}`),
          // timelineTable reverses its input; hand it this page's events in history order.
          body: historyListPage(
            model,
            [...events].reverse(),
            i + 1,
            historyPages.length,
            entry.history.length,
          ),
        }),
      );
    });
    for (const v of entry.versions) {
      files.set(
        `${model}/v${v.version}.html`,
        page({
          title: `${model} v${v.version}`,
          root: '../',
          crumbs: crumbs(`v${v.version}`),
          charts: true,
          body: versionPage({
            model,
            entry,
            version: v,
            extras: input.extras.get(extrasKey(model, v.version)),
            repoUrl,
          }),
        }),
      );
    }
    files.set(
      `${model}/diff.html`,
      page({
        title: `${model} diff`,
        root: '../',
        crumbs: crumbs('compare'),
        script: true,
        body: diffPage(model, entry, (n) => input.extras.get(extrasKey(model, n))),
      }),
    );
  }
  return files;
}

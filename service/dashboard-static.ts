/**
 * `/dashboard/`: the registry's dashboard (src/dashboard), built in memory from the served
 * registry on its first request (not at start-up, which is on the cold-start path), so
 * `npm start` shows the local registry without a build step.
 * The site's links are relative, so it works under this prefix as it does on GitHub Pages.
 */
import { Hono } from 'hono';
import { readDashboardInput } from '../src/dashboard/input.js';
import { buildSite, type SiteFiles } from '../src/dashboard/site.js';
import type { MetricKey } from '../src/evaluate/metric-catalog.js';
import { DASHBOARD_PREFIX } from './dashboard-path.js';

export { DASHBOARD_PREFIX };

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

/** The site of the registry in `dir`; warnings (an unreadable artifact) go to `warn`. */
export function buildRegistryDashboard(
  dir: string,
  warn: (message: string) => void,
  primaryMetric: MetricKey = 'accuracy',
): SiteFiles {
  return buildSite(readDashboardInput(dir, warn), { primaryMetric });
}

/**
 * Routes serving a site's files; mount with `app.route(DASHBOARD_PREFIX, …)`. `site` is a built
 * site or a builder, called once on the first request; a builder that throws serves 404s.
 */
export function dashboardRoutes(site: SiteFiles | (() => SiteFiles | null)): Hono {
  let built: SiteFiles | null | undefined = typeof site === 'function' ? undefined : site;
  const files = () => {
    if (built === undefined) built = (site as () => SiteFiles | null)();
    return built;
  };
  const app = new Hono();
  // Without the slash, the browser would resolve the site's relative links against '/'.
  app.get('/', (c) => c.redirect(`${DASHBOARD_PREFIX}/`, 301));
  app.get('/*', (c) => {
    let path = decodeURIComponent(c.req.path.slice(DASHBOARD_PREFIX.length + 1));
    if (path === '' || path.endsWith('/')) path += 'index.html';
    const text = files()?.get(path);
    if (text === undefined) return c.notFound();
    const type = TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'text/plain; charset=utf-8';
    return c.body(text, 200, { 'content-type': type, 'cache-control': 'no-cache' });
  });
  return app;
}

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { swaggerUI } from '@hono/swagger-ui';
import { Hono } from 'hono';
import { escapeHtml } from '../../src/util/html.js';
import { docsTitle } from '../openapi-model.js';

/** The only asset files Swagger UI needs; anything else under /docs/assets is a 404. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

/**
 * Where Swagger UI's two asset files are: `dist/swagger-ui/`, which scripts/build.mjs copies from
 * swagger-ui-dist beside the service bundle, so the package needs no swagger-ui-dist at run time
 * (it would bring @scarf/scarf's telemetry install script to every install). Found beside the
 * bundle, or from source, in the build's dist/.
 */
function swaggerAssetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'swagger-ui'), join(here, '..', '..', 'dist', 'swagger-ui')];
  const found = candidates.find((dir) => existsSync(join(dir, 'swagger-ui-bundle.js')));
  if (!found)
    throw new Error(
      `Swagger UI's assets are missing: expected swagger-ui-bundle.js in ${candidates.join(' or ')} (npm run build copies them).`,
    );
  return found;
}

/**
 * GET /docs: Swagger UI for /openapi.json, with its CSS and JS served from the installed
 * copy of swagger-ui-dist's files instead of a CDN, so the page works offline and inside a cluster.
 * `title` is read on each request, so after a hot reload the page names the new model.
 */
export function docsRoutes(
  assetsDir: () => string = swaggerAssetsDir,
  title: () => string = () => docsTitle(null),
) {
  const cache = new Map<string, Uint8Array>();
  // swaggerUI() only formats an HTML string, so one handler per distinct title costs nothing;
  // keeping the last one avoids rebuilding it on every request.
  let page: { title: string; handler: ReturnType<typeof swaggerUI> } | null = null;
  return new Hono()
    .get('/docs', (c, next) => {
      const current = title();
      if (page?.title !== current) {
        page = {
          title: current,
          // swaggerUI() puts the title into the HTML as it is, and a model name is any string.
          handler: swaggerUI({
            url: '/openapi.json',
            title: escapeHtml(current),
            baseUrl: '/docs/assets',
          }),
        };
      }
      return page.handler(c, next);
    })
    .get('/docs/assets/swagger-ui-dist/:file', async (c) => {
      const file = c.req.param('file');
      const type = ASSETS[file];
      if (!type) return c.notFound();
      let body = cache.get(file);
      if (!body) {
        body = new Uint8Array(await readFile(join(assetsDir(), file)));
        cache.set(file, body);
      }
      return c.body(body as Uint8Array<ArrayBuffer>, 200, {
        'content-type': type,
        'cache-control': 'public, max-age=86400',
      });
    });
}

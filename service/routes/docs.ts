import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { swaggerUI } from '@hono/swagger-ui';
import { Hono } from 'hono';
import { docsTitle } from '../openapi-model.js';

/** The only asset files Swagger UI needs; anything else under /docs/assets is a 404. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

/** Where swagger-ui-dist is installed, found through Node's resolution from this module. */
export function swaggerAssetsDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

/**
 * GET /docs: Swagger UI for /openapi.json, with its CSS and JS served from the installed
 * swagger-ui-dist package instead of a CDN, so the page works offline and inside a cluster.
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

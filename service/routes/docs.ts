import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { swaggerUI } from '@hono/swagger-ui';
import { Hono } from 'hono';

/** The only asset files Swagger UI needs; anything else under /docs/assets is a 404. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

/** Where swagger-ui-dist is installed, found through Node's resolution from this module. */
export function swaggerAssetsDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

/**
 * GET /docs: Swagger UI for /openapi.json, with its CSS and JS served from the installed
 * swagger-ui-dist package instead of a CDN, so the page works offline and inside a cluster.
 */
export function docsRoutes(assetsDir: () => string = swaggerAssetsDir) {
  const cache = new Map<string, Uint8Array>();
  return new Hono()
    .get(
      '/docs',
      swaggerUI({ url: '/openapi.json', title: 'OncoClear API', baseUrl: '/docs/assets' }),
    )
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

import { afterAll, describe, expect, it } from 'vitest';
import { json, loadFile, testApp, trainFixture } from './fixture.js';

const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);
const { app, metrics } = testApp(model);

/** Every documented route, with its path parameters filled in, and the methods it answers. */
async function documentedRoutes(): Promise<[string, string[]][]> {
  const doc = await json(app.request('/openapi.json'));
  const routes: [string, string[]][] = Object.entries(
    doc.paths as Record<string, Record<string, unknown>>,
  ).map(([path, ops]) => [
    path.replace('{name}', 'oncoclear').replace('{version}', model.version),
    Object.keys(ops).map((m) => m.toUpperCase()),
  ]);
  routes.push(['/openapi.json', ['GET']], ['/docs', ['GET']]);
  return routes;
}

const ALL = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

describe('wrong methods', () => {
  it('answers 405 with an Allow header on every route, for every other method', async () => {
    const routes = await documentedRoutes();
    expect(routes.length).toBeGreaterThan(10);
    for (const [path, methods] of routes) {
      const expected = [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'];
      for (const method of ALL.filter((m) => !methods.includes(m))) {
        const res = await app.request(path, { method });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.get('allow')?.split(', ').sort()).toEqual(expected.sort());
        const body = await json(res);
        expect(body.error).toMatch(`Method ${method} not allowed on ${path}`);
        if (!path.startsWith('/v2')) expect(body.details.allowed).toEqual(expected.sort());
        else expect(Object.keys(body)).toEqual(['error']);
      }
    }
  });

  it('GET /predict is a 405 naming POST, counted under the unmatched route', async () => {
    const res = await app.request('/predict');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('OPTIONS, POST');
    expect((await json(res)).details.issues).toEqual([
      { field: 'method', message: 'expected one of OPTIONS, POST' },
    ]);
    expect(await metrics.render()).toMatch(
      /oncoclear_http_requests_total\{method="GET",route="unmatched",status="405"\} \d+/,
    );
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    const res = await app.request('/v2/models/oncoclear/infer', { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('OPTIONS, POST');
  });

  it('answers HEAD wherever GET is answered', async () => {
    expect((await app.request('/health', { method: 'HEAD' })).status).toBe(200);
  });

  it('keeps 404 for paths no route has', async () => {
    const res = await app.request('/predict/nope', { method: 'GET' });
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
  });
});

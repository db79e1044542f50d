import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildRegistryDashboard,
  DASHBOARD_PREFIX,
  dashboardRoutes,
} from '../../service/dashboard-static.js';
import { tempDir } from '../support/fixtures.js';
import { buildLifecycleRegistry, MODEL } from './registry-fixture.js';

let app: Hono;

beforeAll(async () => {
  const { dir } = await buildLifecycleRegistry(tempDir('oncoclear-dashboard-mount-'));
  app = new Hono();
  app.route(DASHBOARD_PREFIX, dashboardRoutes(buildRegistryDashboard(dir, () => {})));
});

describe('the /dashboard/ mount', () => {
  it('redirects /dashboard to /dashboard/ so relative links resolve under the prefix', async () => {
    const response = await app.request('/dashboard');
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/dashboard/');
  });

  it('serves the index, a model overview and the assets with their types', async () => {
    const index = await app.request('/dashboard/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toContain(`href="${MODEL}/index.html"`);
    const overview = await app.request(`/dashboard/${MODEL}/`);
    expect(await overview.text()).toContain('id="current-production">v2<');
    const css = await app.request('/dashboard/assets/dashboard.css');
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('answers 404 for a file the site does not have', async () => {
    expect((await app.request('/dashboard/../registry.json')).status).toBe(404);
    expect((await app.request(`/dashboard/${MODEL}/v99.html`)).status).toBe(404);
  });
});

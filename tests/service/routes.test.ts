import { afterAll, describe, expect, it, vi } from 'vitest';
import { createPredictor } from '../../src/model/predictor.js';
import { COMMIT, json, loadFile, post, testApp, trainFixture } from './fixture.js';

const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);

describe('health and readiness', () => {
  it('is live and ready with a verified model', async () => {
    const { app } = testApp(model);
    expect(await json(app.request('/health'))).toEqual({ status: 'ok' });
    const ready = await app.request('/ready');
    expect(ready.status).toBe(200);
    expect(await json(ready)).toEqual({ status: 'ready' });
  });

  it('is live but not ready without a model, and /predict answers 503 JSON', async () => {
    const { app } = testApp(null);
    expect((await app.request('/health')).status).toBe(200);
    const ready = await app.request('/ready');
    expect(ready.status).toBe(503);
    expect(await json(ready)).toMatchObject({ error: 'Not ready' });
    const res = await post(app, '/predict', { features: fx.rows[0] });
    expect(res.status).toBe(503);
    expect(await json(res)).toMatchObject({ error: 'No model loaded' });
  });
});

describe('POST /predict', () => {
  const predictor = createPredictor(fx.artifact);

  it('accepts features keyed by name and returns label, probabilities, model and id', async () => {
    const { app } = testApp(model);
    const res = await post(app, '/predict', { features: fx.named(0) });
    expect(res.status).toBe(200);
    const body = await json(res);
    const expected = predictor.predict(fx.rows[0]!);
    expect(body).toEqual({
      label: expected.label,
      probabilities: expected.probabilities,
      model: { name: 'oncoclear', version: model.version, threshold: 0.5 },
      predictionId: 'id-1',
    });
    expect(Object.keys(body.probabilities)).toEqual(fx.artifact.classes);
  });

  it('gives the same answer for the array form, in feature order', async () => {
    const { app } = testApp(model);
    for (let i = 0; i < fx.rows.length; i++) {
      const byName = await json(post(app, '/predict', { features: fx.named(i) }));
      const byArray = await json(post(app, '/predict', { features: fx.rows[i] }));
      expect(byArray.probabilities).toEqual(byName.probabilities);
      expect(byArray.label).toBe(predictor.predict(fx.rows[i]!).label);
    }
  });

  it('serves a file model under the first 12 hex digits of its sha256', () => {
    expect(model.version).toBe(model.sha256.slice(7, 19));
  });
});

describe('POST /predict/batch', () => {
  it('predicts each instance, mixing both forms, with one id per row', async () => {
    const { app } = testApp(model);
    const res = await post(app, '/predict/batch', {
      instances: [fx.named(0), fx.rows[1], fx.named(2)],
    });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.count).toBe(3);
    expect(body.model).toEqual({ name: 'oncoclear', version: model.version, threshold: 0.5 });
    const predictor = createPredictor(fx.artifact);
    body.predictions.forEach((p: { label: string; predictionId: string }, i: number) => {
      expect(p.label).toBe(predictor.predict(fx.rows[i]!).label);
    });
    expect(
      new Set(body.predictions.map((p: { predictionId: string }) => p.predictionId)).size,
    ).toBe(3);
  });

  it('rejects more rows than the configured maximum with 413 naming instances', async () => {
    const { app, audit } = testApp(model, { maxBatchRows: 2 });
    const res = await post(app, '/predict/batch', {
      instances: [fx.rows[0], fx.rows[1], fx.rows[2]],
    });
    expect(res.status).toBe(413);
    const body = await json(res);
    expect(body.details.issues[0]).toMatchObject({ field: 'instances' });
    expect(body.details.maxRows).toBe(2);
    expect(audit.lines).toHaveLength(0);
  });

  it('names the row index of a bad instance', async () => {
    const { app } = testApp(model);
    const res = await post(app, '/predict/batch', { instances: [fx.rows[0], [1, 2, 3]] });
    expect(res.status).toBe(422);
    const body = await json(res);
    expect(body.details.issues[0].field).toBe('instances[1]');
    expect(body.details.expectedFeatures).toEqual(fx.artifact.features);
  });
});

describe('GET /model', () => {
  it('reports version, scalar metrics and lineage without paths or environment', async () => {
    const { app } = testApp(model);
    const res = await app.request('/model');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      name: 'oncoclear',
      version: model.version,
      sha256: model.sha256,
      features: fx.artifact.features,
      classes: fx.artifact.classes,
      registry: null,
      lineage: {
        commit: COMMIT,
        dataSha256: fx.artifact.lineage.dataSha256,
        configHash: fx.artifact.lineage.configHash,
      },
    });
    expect(body.metrics.test.accuracy).toBe(fx.artifact.metrics.test.accuracy);
    expect(body.metrics.test).not.toHaveProperty('roc');
    expect(body.metrics.train).not.toHaveProperty('confusion');
    const text = JSON.stringify(body);
    expect(text).not.toContain(fx.dir);
    expect(text).not.toContain('dataPath');
    expect(text).not.toContain(process.env.HOME ?? '/root');
  });
});

describe('routing and docs', () => {
  it('answers unknown routes with 404 JSON', async () => {
    const { app } = testApp(model);
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await json(res)).toMatchObject({
      error: 'No route GET /nope',
      details: { issues: [{ field: 'path' }] },
    });
  });

  it('generates /openapi.json from the zod schemas', async () => {
    const { app } = testApp(model);
    const doc = await json(app.request('/openapi.json'));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/predict',
        '/predict/batch',
        '/model',
        '/health',
        '/ready',
        '/metrics',
        '/v2/models/{name}/infer',
      ]),
    );
    const body = doc.paths['/predict'].post.requestBody.content['application/json'].schema;
    expect(body.$ref).toBe('#/components/schemas/PredictRequest');
    expect(doc.components.schemas.PredictRequest.required).toEqual(['features']);
    expect(doc.paths['/predict'].post.responses).toHaveProperty('422');
  });

  it('builds /openapi.json once and serves it from memory, with an ETag', async () => {
    const { app } = testApp(model);
    const build = vi.spyOn(app, 'getOpenAPIDocument');
    const first = await app.request('/openapi.json');
    const bodies = [await first.text()];
    for (let i = 0; i < 4; i++) bodies.push(await (await app.request('/openapi.json')).text());
    expect(build.mock.calls.length).toBeLessThanOrEqual(1);
    expect(new Set(bodies).size).toBe(1);
    expect(first.headers.get('content-type')).toContain('application/json');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    const again = await app.request('/openapi.json', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
  });

  it('serves Swagger UI at /docs pointing at /openapi.json', async () => {
    const { app } = testApp(model);
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('/openapi.json');
  });
});

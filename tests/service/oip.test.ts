import { afterAll, describe, expect, it } from 'vitest';
import { createPredictor } from '../../src/model/predictor.js';
import { json, loadFile, post, testApp, trainFixture } from './fixture.js';

const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);
const predictor = createPredictor(fx.artifact);

const tensor = (rows: number[][], datatype = 'FP64') => ({
  inputs: [{ name: 'input-0', shape: [rows.length, 30], datatype, data: rows.flat() }],
});

describe('Open Inference Protocol v2', () => {
  it('reports server liveness and readiness', async () => {
    const { app } = testApp(model);
    expect(await json(app.request('/v2/health/live'))).toEqual({ live: true });
    expect(await json(app.request('/v2/health/ready'))).toEqual({ ready: true });
    const empty = testApp(null).app;
    const res = await empty.request('/v2/health/ready');
    expect(res.status).toBe(503);
    expect(Object.keys(await json(res))).toEqual(['error']);
  });

  it('describes the model and its readiness', async () => {
    const { app } = testApp(model);
    const meta = await json(app.request('/v2/models/oncoclear'));
    expect(meta).toMatchObject({
      name: 'oncoclear',
      versions: [model.version],
      inputs: [{ name: 'input-0', datatype: 'FP64', shape: [-1, 30] }],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1], parameters: { threshold: 0.5 } },
        {
          name: 'probabilities',
          datatype: 'FP64',
          shape: [-1, 2],
          parameters: { class_0: fx.artifact.classes[0], class_1: fx.artifact.classes[1] },
        },
        { name: 'contributions', datatype: 'FP64', shape: [-1, 30] },
      ],
    });
    expect(await json(app.request('/v2/models/oncoclear/ready'))).toEqual({
      name: 'oncoclear',
      ready: true,
    });
  });

  it('infers a [N, 30] FP64 tensor: labels [N] and probabilities [N, 2]', async () => {
    const { app, audit } = testApp(model);
    const rows = fx.rows.slice(0, 3);
    const res = await post(app, '/v2/models/oncoclear/infer', { id: 'req-7', ...tensor(rows) });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      model_name: 'oncoclear',
      model_version: model.version,
      id: 'req-7',
    });
    const [labels, probabilities] = body.outputs;
    expect(labels).toEqual({
      name: 'label',
      datatype: 'BYTES',
      shape: [3],
      parameters: { threshold: predictor.threshold },
      data: rows.map((r) => predictor.predict(r).label),
    });
    expect(probabilities.name).toBe('probabilities');
    expect(probabilities.shape).toEqual([3, 2]);
    expect(probabilities.data).toHaveLength(6);
    rows.forEach((r, i) => {
      const p = predictor.probability(r);
      expect(probabilities.data[2 * i + 1]).toBeCloseTo(p, 12);
      expect(probabilities.data[2 * i]).toBeCloseTo(1 - p, 12);
    });
    // The client's id is recorded once on the request line; rows point at the server's own id.
    const [request, ...lines] = audit.records() as {
      type: string;
      id: string;
      clientId?: string;
      request: { id: string; row: number };
    }[];
    expect(request).toMatchObject({ type: 'request', clientId: 'req-7', rows: 3 });
    expect(lines.map((l) => l.request)).toEqual([
      { id: request!.id, row: 0 },
      { id: request!.id, row: 1 },
      { id: request!.id, row: 2 },
    ]);
  });

  it('accepts FP32 and rows nested one level', async () => {
    const { app } = testApp(model);
    const body = {
      inputs: [{ name: 'x', shape: [2, 30], datatype: 'FP32', data: fx.rows.slice(0, 2) }],
    };
    const res = await post(app, '/v2/models/oncoclear/infer', body);
    expect(res.status).toBe(200);
    expect((await json(res)).outputs[0].shape).toEqual([2]);
  });

  it('unknown model name → 404 {error} for metadata, readiness and infer', async () => {
    const { app } = testApp(model);
    for (const res of [
      await app.request('/v2/models/other'),
      await app.request('/v2/models/other/ready'),
      await post(app, '/v2/models/other/infer', tensor(fx.rows.slice(0, 1))),
    ]) {
      expect(res.status).toBe(404);
      const body = await json(res);
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toContain("'other'");
    }
  });

  it('wrong shape, wrong data length, bad datatype and strings are 4xx {error}', async () => {
    const { app } = testApp(model);
    const cases: [unknown, number, RegExp][] = [
      [
        { inputs: [{ name: 'x', shape: [1, 29], datatype: 'FP64', data: fx.rows[0] }] },
        422,
        /shape.*\[N, 30\]/,
      ],
      [
        { inputs: [{ name: 'x', shape: [2, 30], datatype: 'FP64', data: fx.rows[0] }] },
        422,
        /data: got 30 values; shape says 60/,
      ],
      [
        { inputs: [{ name: 'x', shape: [1, 30], datatype: 'INT8', data: fx.rows[0] }] },
        422,
        /datatype/,
      ],
      [
        { inputs: [{ name: 'x', shape: [1, 30], datatype: 'FP64', data: ['a'] }] },
        422,
        /inputs\[0\]\.data\[0\]/,
      ],
      [{ inputs: [] }, 422, /inputs/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(app, '/v2/models/oncoclear/infer', body);
      expect(res.status).toBe(status);
      const error = await json(res);
      expect(Object.keys(error)).toEqual(['error']);
      expect(error.error).toMatch(message);
    }
  });

  it('more rows than the maximum → 413', async () => {
    const { app } = testApp(model, { maxBatchRows: 2 });
    const res = await post(app, '/v2/models/oncoclear/infer', tensor(fx.rows.slice(0, 3)));
    expect(res.status).toBe(413);
    expect((await json(res)).error).toMatch(/at most 2 rows/);
  });
});

describe('OIP versioned model routes', () => {
  it('serves metadata, readiness and inference under /versions/{version} of the loaded model', async () => {
    const { app } = testApp(model);
    const base = `/v2/models/oncoclear/versions/${model.version}`;
    expect(await json(app.request(base))).toMatchObject({
      name: 'oncoclear',
      versions: [model.version],
    });
    expect(await json(app.request(`${base}/ready`))).toEqual({ name: 'oncoclear', ready: true });
    const res = await post(app, `${base}/infer`, JSON.stringify(tensor([fx.rows[0]!])));
    expect(res.status).toBe(200);
    const body = (await json(res)) as {
      model_version: string;
      outputs: { name: string; data: unknown[] }[];
    };
    expect(body.model_version).toBe(model.version);
    expect(body.outputs[0]!.data).toEqual([predictor.predict(fx.rows[0]!).label]);
  });

  it('answers 404 in OIP shape for a version that is not loaded', async () => {
    const { app } = testApp(model);
    const res = await post(
      app,
      '/v2/models/oncoclear/versions/999/infer',
      JSON.stringify(tensor([fx.rows[0]!])),
    );
    expect(res.status).toBe(404);
    const body = (await json(res)) as { error: string };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toContain("Model 'oncoclear' version '999' not found");
    expect(body.error).toContain(`this server serves version '${model.version}'`);
  });

  it('refuses an empty tensor (N = 0)', async () => {
    const { app } = testApp(model);
    const res = await post(app, '/v2/models/oncoclear/infer', JSON.stringify(tensor([])));
    expect(res.status).toBe(422);
  });
});

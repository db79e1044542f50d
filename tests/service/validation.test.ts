import { afterAll, describe, expect, it } from 'vitest';
import { json, loadFile, post, testApp, trainFixture } from './fixture.js';

const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);
const names = fx.artifact.features;

interface ErrorBody {
  error: string;
  details: {
    issues: { field: string; message: string }[];
    expected?: string;
    expectedFeatures?: string[];
    missing?: string[];
    unknown?: string[];
  };
}

async function expectError(res: Response, status: number): Promise<ErrorBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = (await json(res)) as ErrorBody;
  expect(typeof body.error).toBe('string');
  expect(body.details).toBeTypeOf('object');
  expect(JSON.stringify(body)).not.toMatch(/at .+\.(ts|js):\d+/); // no stack traces
  return body;
}

describe('transport errors', () => {
  it('malformed JSON → 400 naming the body', async () => {
    const { app } = testApp(model);
    const body = await expectError(await post(app, '/predict', '{"features": [1, 2'), 400);
    expect(body.details.issues[0]!.field).toBe('body');
  });

  it('wrong content type → 415 naming content-type and the expected one', async () => {
    const { app } = testApp(model);
    const body = await expectError(
      await post(app, '/predict', JSON.stringify({ features: fx.rows[0] }), 'text/plain'),
      415,
    );
    expect(body.details.issues[0]!.field).toBe('content-type');
    expect(body.details.expected).toContain('application/json');
  });

  it('a body over the limit → 413, checked from Content-Length', async () => {
    const { app } = testApp(model, { maxBodyBytes: 1000 });
    const big = JSON.stringify({ features: fx.rows[0], pad: 'x'.repeat(2000) });
    const body = await expectError(await post(app, '/predict', big), 413);
    expect(body.details.issues[0]!.field).toBe('body');
  });

  it('a chunked body over the limit → 413 via hono/body-limit', async () => {
    const { app } = testApp(model, { maxBodyBytes: 1000 });
    const chunk = new TextEncoder().encode(`{"features": [${'1,'.repeat(800)}1]}`);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await app.request('/predict', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      duplex: 'half',
    } as RequestInit);
    await expectError(res, 413);
  });

  it('deeply nested bodies → 422 naming the first bad field, not a 500', async () => {
    const { app } = testApp(model);
    const arrays = `{"features": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    const a = await expectError(await post(app, '/predict', arrays), 422);
    expect(a.details.issues[0]!.field).toBe('features[0]');
    const objects = `{"features": ${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`;
    const o = await expectError(await post(app, '/predict', objects), 422);
    expect(o.details.issues[0]!.field).toBe('features.a');
  });

  it('keeps serving after every kind of bad request', async () => {
    const { app } = testApp(model);
    await post(app, '/predict', '{bad');
    await post(app, '/predict', 'x', 'text/plain');
    await post(app, '/predict', { features: 'nope' });
    expect((await post(app, '/predict', { features: fx.rows[0] })).status).toBe(200);
  });
});

describe('body shape errors (422)', () => {
  it('missing features names the field and the accepted shapes', async () => {
    const { app } = testApp(model);
    const body = await expectError(await post(app, '/predict', {}), 422);
    expect(body.details.issues[0]!.field).toBe('features');
    expect(body.details.issues[0]!.message).toMatch(/array or object/);
    expect(body.details.expectedFeatures).toEqual(names);
  });

  it('an unknown top-level field is named', async () => {
    const { app } = testApp(model);
    const body = await expectError(
      await post(app, '/predict', { features: fx.rows[0], extra: 1 }),
      422,
    );
    expect(body.details.issues).toContainEqual({ field: 'extra', message: 'unknown field' });
  });

  it('features of the wrong type', async () => {
    const { app } = testApp(model);
    const body = await expectError(await post(app, '/predict', { features: 'abc' }), 422);
    expect(body.details.issues[0]!.field).toBe('features');
    expect(body.details.expected).toContain('30');
  });

  for (const [what, value] of [
    ['a string', '"12.5"'],
    ['null', 'null'],
    ['a boolean', 'true'],
    ['a nested array', '[1]'],
    ['1e400 (Infinity)', '1e400'],
    ['-1e400 (-Infinity)', '-1e400'],
  ] as const) {
    it(`a value that is ${what} → 422 naming that feature (object form)`, async () => {
      const { app } = testApp(model);
      const named = JSON.stringify(fx.named(0)).replace(
        /"mean texture":[^,]+/,
        `"mean texture":${value}`,
      );
      const body = await expectError(await post(app, '/predict', `{"features":${named}}`), 422);
      expect(body.details.issues).toEqual([
        { field: 'features.mean texture', message: 'expected a finite number' },
      ]);
      expect(body.details.expectedFeatures).toEqual(names);
    });

    it(`a value that is ${what} → 422 naming its index (array form)`, async () => {
      const { app } = testApp(model);
      const values = fx.rows[0]!.map(String);
      values[4] = value;
      const body = await expectError(
        await post(app, '/predict', `{"features":[${values.join(',')}]}`),
        422,
      );
      expect(body.details.issues).toEqual([
        { field: 'features[4]', message: 'expected a finite number' },
      ]);
    });
  }

  it('NaN is not JSON, so it is malformed JSON (400)', async () => {
    const { app } = testApp(model);
    const values = fx.rows[0]!.map(String);
    values[0] = 'NaN';
    await expectError(await post(app, '/predict', `{"features":[${values.join(',')}]}`), 400);
  });
});

describe('feature mismatch errors (422 with expected names)', () => {
  it('missing features are listed by name', async () => {
    const { app } = testApp(model);
    const features = fx.named(0);
    delete features['worst area'];
    delete features['mean radius'];
    const body = await expectError(await post(app, '/predict', { features }), 422);
    expect(body.details.missing).toEqual(['mean radius', 'worst area']);
    expect(body.details.issues).toContainEqual({
      field: 'features.worst area',
      message: 'missing',
    });
    expect(body.details.expectedFeatures).toEqual(names);
  });

  it('unknown (e.g. misspelt) features are listed by name', async () => {
    const { app } = testApp(model);
    const features = { ...fx.named(0), 'mean radios': 1 };
    const body = await expectError(await post(app, '/predict', { features }), 422);
    expect(body.details.unknown).toEqual(['mean radios']);
    expect(body.details.issues).toContainEqual({
      field: 'features.mean radios',
      message: 'unknown feature',
    });
    expect(body.details.expectedFeatures).toEqual(names);
  });

  for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    it(`refuses the unknown key '${key}' like any other`, async () => {
      const { app, audit } = testApp(model);
      // Raw JSON, so "__proto__" arrives as a plain key as a client would send it.
      const named = JSON.stringify(fx.named(0)).replace(/^\{/, `{"${key}":1,`);
      const body = await expectError(await post(app, '/predict', `{"features":${named}}`), 422);
      expect(body.details.issues).toContainEqual({
        field: `features.${key}`,
        message: 'unknown feature',
      });
      expect(audit.lines).toEqual([]);
    });
  }

  it("refuses a top-level '__proto__' field", async () => {
    const { app } = testApp(model);
    const res = await post(
      app,
      '/predict',
      `{"__proto__":1,"features":${JSON.stringify(fx.rows[0])}}`,
    );
    const body = await expectError(res, 422);
    expect(body.details.issues).toContainEqual({ field: '__proto__', message: 'unknown field' });
  });

  it('bounds a 422 for many unknown features: a few names plus counts', async () => {
    const { app } = testApp(model);
    const features: Record<string, number> = { ...fx.named(0) };
    for (let i = 0; i < 5000; i++) features[`unknown feature number ${i}`] = i;
    const request = JSON.stringify({ features });
    const res = await post(app, '/predict', request);
    const text = await res.clone().text();
    const body = await expectError(res, 422);
    expect(body.details.unknown).toHaveLength(10);
    expect((body.details as { unknownCount?: number }).unknownCount).toBe(5000);
    expect(body.details.issues.length).toBeLessThanOrEqual(10);
    expect(text.length).toBeLessThan(4096);
    expect(text.length).toBeLessThan(request.length / 10);
  });

  it('bounds zod issues too: a batch of many bad rows gets a few issues and a count', async () => {
    const { app } = testApp(model);
    const instances = Array.from({ length: 500 }, () => 'not a row');
    const body = await expectError(await post(app, '/predict/batch', { instances }), 422);
    expect(body.details.issues).toHaveLength(10);
    expect((body.details as { issueCount?: number }).issueCount).toBe(500);
  });

  it('clips an echoed name longer than 256 characters, with a marker', async () => {
    const { app } = testApp(model);
    const long = 'k'.repeat(100_000);
    const res = await post(app, '/predict', { features: { ...fx.named(0), [long]: 1 } });
    const text = await res.clone().text();
    const body = await expectError(res, 422);
    expect(text.length).toBeLessThan(8192);
    expect(body.details.unknown![0]).toBe(`${'k'.repeat(256)}…[+${100_000 - 256} chars]`);
    const oip = await post(app, `/v2/models/${'m'.repeat(5000)}`, '{}');
    expect((await oip.text()).length).toBeLessThan(2048);
  });

  it('the wrong number of array values says how many are expected', async () => {
    const { app } = testApp(model);
    const body = await expectError(await post(app, '/predict', { features: [1, 2, 3] }), 422);
    expect(body.details.issues).toEqual([
      { field: 'features', message: 'got 3 values; expected 30' },
    ]);
    expect(body.details.expectedFeatures).toEqual(names);
  });

  it('writes no audit line for a rejected request', async () => {
    const { app, audit } = testApp(model);
    await post(app, '/predict', { features: [1, 2, 3] });
    expect(audit.lines).toEqual([]);
  });
});

describe('values the model cannot score', () => {
  it('huge finite values that cancel to NaN → 422, never a label with null probabilities', async () => {
    const { app } = testApp(model);
    // Two features with weights of opposite signs and a scale below 1, each set near the largest
    // double: standardising overflows both to ∞, and the weighted sum is ∞ − ∞ = NaN.
    const { coefficients } = fx.artifact.model;
    const { scale } = fx.artifact.preprocessing;
    const pos = coefficients.findIndex((w, j) => w > 0 && scale[j]! < 1);
    const neg = coefficients.findIndex((w, j) => w < 0 && scale[j]! < 1);
    expect(pos >= 0 && neg >= 0, 'the fixture has such a pair').toBe(true);
    const row = [...fx.rows[0]!];
    row[pos] = 1.7e308;
    row[neg] = 1.7e308;
    const single = await expectError(
      await post(app, '/predict', JSON.stringify({ features: row })),
      422,
    );
    expect(single.details.issues[0]).toMatchObject({ field: 'features' });
    expect(single.details.issues[0]!.message).toContain('too large for the model to score');
    const batch = await expectError(
      await post(app, '/predict/batch', JSON.stringify({ instances: [fx.rows[0], row] })),
      422,
    );
    expect(batch.details.issues[0]!.field).toBe('instances[1]');
    // The server keeps serving.
    expect((await post(app, '/predict', JSON.stringify({ features: fx.rows[0] }))).status).toBe(
      200,
    );
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { plainBatchRequest, plainPredictRequest } from '../../service/schemas.js';
import { json, loadFile, post, testApp, trainFixture } from './fixture.js';

// The /predict and /predict/batch hot path answers plainly valid JSON itself and sends anything
// else to the zod route. A JSON media type the hot path does not take (`+json`) goes straight
// to the zod route, so each request below is sent both ways and must get the same answer, byte
// for byte, with the same audit lines.
const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);
const row = fx.rows[0]!;
const named = fx.named(0);

const ZOD_ONLY = 'application/vnd.oncoclear+json';

const predictBodies: [string, unknown][] = [
  ['an array row', { features: row }],
  ['a named row', { features: named }],
  ['a row with explain', { features: row, explain: true }],
  ['explain false', { features: named, explain: false }],
  ['a short array', { features: row.slice(1) }],
  ['a string value', { features: [...row.slice(1), '1'] }],
  ['a null value', { features: [...row.slice(1), null] }],
  ['a huge value (Infinity)', '{"features":[1e400]}'],
  ['a missing name', { features: Object.fromEntries(Object.entries(named).slice(1)) }],
  ['an unknown name', { features: { ...named, bogus: 1 } }],
  ['a __proto__ name', `{"features":{"__proto__":1,${JSON.stringify(named).slice(1)}}`],
  ['a constructor name', { features: { ...named, constructor: 1 } }],
  ['an extra field', { features: row, extra: 1 }],
  ['explain not boolean', { features: row, explain: 'yes' }],
  ['no features', {}],
  ['features null', { features: null }],
  ['features a string', { features: 'x' }],
  ['a top-level array', [row]],
  ['a top-level number', '3'],
  ['JSON null', 'null'],
  ['malformed JSON', '{"features": [1, 2'],
  ['an empty body', ''],
];

const batchBodies: [string, unknown][] = [
  ['array rows', { instances: [row, fx.rows[1]] }],
  ['named rows with explain', { instances: [named, fx.named(1)], explain: true }],
  ['an empty batch', { instances: [] }],
  ['one bad row', { instances: [row, row.slice(2)] }],
  ['one string value', { instances: [row, [...row.slice(1), 'x']] }],
  ['instances not an array', { instances: row }],
  ['an extra field', { instances: [row], features: row }],
  ['too many rows', { instances: [row, row, row] }],
];

async function both(path: string, body: unknown) {
  const answers = [];
  for (const type of ['application/json', ZOD_ONLY]) {
    const env = testApp(model, { maxBatchRows: 2 });
    const res = await post(env.app, path, body, type);
    answers.push({ status: res.status, body: await res.text(), audit: env.audit.lines });
  }
  return answers as [(typeof answers)[0], (typeof answers)[0]];
}

describe('the /predict hot path', () => {
  it.each(predictBodies)('answers %s exactly as the zod route does', async (_, body) => {
    const [hot, zod] = await both('/predict', body);
    expect(hot).toEqual(zod);
  });

  it.each(batchBodies)('answers a batch with %s exactly as the zod route does', async (_, body) => {
    const [hot, zod] = await both('/predict/batch', body);
    expect(hot).toEqual(zod);
  });

  it('compares against a zod route that really answers: 200 for a valid row, 422 for a bad one', async () => {
    expect((await both('/predict', { features: row }))[1].status).toBe(200);
    expect((await both('/predict', { features: [1] }))[1].status).toBe(422);
    expect((await both('/predict/batch', { instances: [row] }))[1].status).toBe(200);
  });

  it('reuses its row buffer without carrying values from one request into the next', async () => {
    const { app } = testApp(model);
    const fresh = (body: unknown) => json(post(testApp(model).app, '/predict', body));
    await post(app, '/predict', { features: row });
    const partial = Object.fromEntries(Object.entries(fx.named(1)).slice(1));
    const missing = await post(app, '/predict', { features: partial });
    expect(missing.status).toBe(422);
    expect((await json(missing)).details.missing).toEqual([fx.artifact.features[0]]);
    const second = await json(post(app, '/predict', { features: fx.named(1) }));
    expect(second.probabilities).toEqual((await fresh({ features: fx.named(1) })).probabilities);
  });

  it('takes only shapes the schema accepts', () => {
    expect(plainPredictRequest({ features: row })).toEqual({ features: row });
    expect(plainPredictRequest({ features: named, explain: true })).toEqual({
      features: named,
      explain: true,
    });
    expect(plainPredictRequest(JSON.parse('{"features":{"__proto__":1}}'))).toBeNull();
    expect(plainPredictRequest({ features: [Number.NaN] })).toBeNull();
    expect(plainBatchRequest({ instances: [] })).toBeNull();
    expect(plainBatchRequest({ instances: [row], explain: 1 })).toBeNull();
    expect(plainPredictRequest({ features: row, extra: 1 })).toBeNull();
    expect(plainPredictRequest([row])).toBeNull();
  });
});

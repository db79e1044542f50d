// Every OIP response checked against the protocol's own OpenAPI description
// (tests/fixtures/kserve/rest_predict_v2.yaml, vendored from KServe) and the rules in required_api.md beside it.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createApp } from '../../service/app.js';
import { memorySink } from '../../service/audit.js';
import { createModelHolder } from '../../service/served-model.js';
import { json, loadFile, post, testApp, trainFixture } from './fixture.js';

const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);
const classes = fx.artifact.classes;

const spec = parse(
  readFileSync(new URL('../fixtures/kserve/rest_predict_v2.yaml', import.meta.url), 'utf8'),
) as { components: { schemas: Record<string, unknown> } };
// The OpenAPI file as one schema document, so its '#/components/schemas/…' refs resolve.
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema({ $id: 'oip', components: spec.components });
const schema = (name: string): ValidateFunction => {
  const validate = ajv.getSchema(`oip#/components/schemas/${name}`);
  if (!validate) throw new Error(`no schema ${name} in rest_predict_v2.yaml`);
  return validate;
};

/** Tensor data types, from required_api.md's table. */
const DATATYPES = new Set([
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
  'BF16',
]);

/** `$parameters`: each value a string, a number or a boolean. */
function expectParameters(parameters: unknown) {
  if (parameters === undefined) return;
  expect(parameters).toBeTypeOf('object');
  for (const v of Object.values(parameters as object))
    expect(['string', 'number', 'boolean']).toContain(typeof v);
}

async function expectConforms(res: Response, name: string) {
  const body = await json(res);
  const validate = schema(name);
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  return body;
}

/** A $metadata_model_response, plus the rules the schema cannot say. */
async function expectModelMetadata(res: Response) {
  expect(res.status).toBe(200);
  const body = await expectConforms(res, 'metadata_model_response');
  expect(body.platform).toMatch(/^[^_]+_.+$/); // "<project>_<format>"
  for (const t of [...body.inputs, ...body.outputs]) {
    expect(DATATYPES.has(t.datatype)).toBe(true);
    for (const d of t.shape) expect(d === -1 || (Number.isInteger(d) && d >= 0)).toBe(true);
    expectParameters(t.parameters);
  }
  return body;
}

/** An $inference_response, plus the rules on ids, shapes and data. */
async function expectInference(res: Response, id?: string) {
  expect(res.status).toBe(200);
  const body = await expectConforms(res, 'inference_response');
  if (id !== undefined) expect(body.id).toBe(id);
  expectParameters(body.parameters);
  for (const t of body.outputs) {
    expect(DATATYPES.has(t.datatype)).toBe(true);
    const size = (t.shape as number[]).reduce((a, b) => a * b, 1);
    expect(t.data).toHaveLength(size); // row-major, flattened
    expectParameters(t.parameters);
  }
  return body;
}

async function expectError(res: Response, name: string, status: number) {
  expect(res.status).toBe(status);
  const body = await expectConforms(res, name);
  expect(Object.keys(body)).toEqual(['error']);
  return body;
}

const tensor = (rows: number[][]) => ({
  inputs: [{ name: 'input-0', shape: [rows.length, 30], datatype: 'FP64', data: rows.flat() }],
});

describe('OIP responses conform to rest_predict_v2.yaml', () => {
  it('server metadata, liveness and readiness', async () => {
    const { app } = testApp(model);
    const meta = await app.request('/v2');
    expect(meta.status).toBe(200);
    await expectConforms(meta, 'metadata_server_response');
    expect((await app.request('/v2/health/live')).status).toBe(200);
    expect((await app.request('/v2/health/ready')).status).toBe(200);
    expect((await app.request('/v2/models/oncoclear/ready')).status).toBe(200);
    expect((await app.request(`/v2/models/oncoclear/versions/${model.version}/ready`)).status).toBe(
      200,
    );
  });

  it('model metadata, plain and versioned, names the class of each probability column', async () => {
    const { app } = testApp(model);
    for (const path of ['/v2/models/oncoclear', `/v2/models/oncoclear/versions/${model.version}`]) {
      const body = await expectModelMetadata(await app.request(path));
      const probabilities = body.outputs.find((o: { name: string }) => o.name === 'probabilities');
      expect(probabilities.parameters).toMatchObject({ class_0: classes[0], class_1: classes[1] });
    }
  });

  it('inference: default outputs, with the class columns on the probabilities tensor', async () => {
    const { app } = testApp(model);
    const body = await expectInference(
      await post(app, '/v2/models/oncoclear/infer', { id: '42', ...tensor(fx.rows.slice(0, 2)) }),
      '42',
    );
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(['label', 'probabilities']);
    expect(body.outputs[1].parameters).toEqual({ class_0: classes[0], class_1: classes[1] });
  });

  it('returns only the requested outputs, in the order asked', async () => {
    const { app } = testApp(model);
    for (const names of [
      ['label'],
      ['probabilities'],
      ['probabilities', 'label'],
      ['contributions'],
    ]) {
      const body = await expectInference(
        await post(app, '/v2/models/oncoclear/infer', {
          ...tensor(fx.rows.slice(0, 3)),
          outputs: names.map((name) => ({ name })),
        }),
      );
      expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(names);
    }
  });

  it('refuses an unknown output name with an $inference_error_response', async () => {
    const { app, audit } = testApp(model);
    const res = await post(app, '/v2/models/oncoclear/infer', {
      ...tensor(fx.rows.slice(0, 1)),
      outputs: [{ name: 'label' }, { name: 'Label' }],
    });
    const body = await expectError(res, 'inference_error_response', 422);
    expect(body.error).toMatch(
      /'Label' is not an output of this model; expected one of label, probabilities, contributions/,
    );
    expect(audit.lines).toEqual([]);
  });

  it('errors on every OIP route are {error}', async () => {
    const { app } = testApp(model);
    await expectError(await app.request('/v2/models/other'), 'metadata_model_error_response', 404);
    await expectError(
      await post(app, '/v2/models/oncoclear/infer', '{'),
      'inference_error_response',
      400,
    );
    await expectError(
      await post(app, '/v2/models/oncoclear/infer', { inputs: [] }),
      'inference_error_response',
      422,
    );
    await expectError(
      await post(app, '/v2/models/other/infer', tensor(fx.rows.slice(0, 1))),
      'inference_error_response',
      404,
    );
    await expectError(
      await app.request('/v2/models/oncoclear/infer'),
      'inference_error_response',
      405,
    );
    const empty = testApp(null).app;
    await expectError(
      await empty.request('/v2/health/ready'),
      'metadata_server_error_response',
      503,
    );
  });
});

describe('OIP id', () => {
  it('echoes an id of up to 256 characters', async () => {
    const { app } = testApp(model);
    const id = 'x'.repeat(256);
    await expectInference(
      await post(app, '/v2/models/oncoclear/infer', { id, ...tensor([fx.rows[0]!]) }),
      id,
    );
  });

  it('refuses a longer id with 422 naming the field, and audits nothing', async () => {
    const { app, audit } = testApp(model);
    const res = await post(app, '/v2/models/oncoclear/infer', {
      id: 'x'.repeat(500_000),
      ...tensor([fx.rows[0]!]),
    });
    const body = await expectError(res, 'inference_error_response', 422);
    expect(body.error).toContain('id: expected at most 256 characters');
    expect(body.error.length).toBeLessThan(1000);
    expect(audit.lines).toEqual([]);
  });

  it('records the client id once, on the request line, however many rows', async () => {
    const { app, audit } = testApp(model);
    const id = 'c'.repeat(256);
    await post(app, '/v2/models/oncoclear/infer', { id, ...tensor(fx.rows.slice(0, 5)) });
    const text = audit.lines.join('');
    expect(text.split(id)).toHaveLength(2);
    expect(audit.lines).toHaveLength(6);
  });
});

describe('OIP model alias (KServe MODEL_NAME)', () => {
  const aliased = () =>
    createApp({
      holder: createModelHolder(model),
      audit: memorySink(),
      modelAlias: 'breast-cancer',
    });

  it('answers under the alias and names the model as the URL did', async () => {
    const app = aliased();
    const meta = await expectModelMetadata(await app.request('/v2/models/breast-cancer'));
    expect(meta.name).toBe('breast-cancer');
    expect(await json(app.request('/v2/models/breast-cancer/ready'))).toEqual({
      name: 'breast-cancer',
      ready: true,
    });
    const body = await expectInference(
      await post(app, '/v2/models/breast-cancer/infer', tensor([fx.rows[0]!])),
    );
    expect(body.model_name).toBe('breast-cancer');
    const versioned = await post(
      app,
      `/v2/models/breast-cancer/versions/${model.version}/infer`,
      tensor([fx.rows[0]!]),
    );
    expect(versioned.status).toBe(200);
  });

  it('still answers under the model’s own name, and 404s others, saying both names', async () => {
    const app = aliased();
    expect((await app.request('/v2/models/oncoclear')).status).toBe(200);
    const res = await app.request('/v2/models/other');
    expect(res.status).toBe(404);
    expect((await json(res)).error).toContain(
      "this server serves 'oncoclear' (alias 'breast-cancer')",
    );
  });
});

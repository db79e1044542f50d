// /openapi.json and /docs built from the loaded model: served a model trained on a second,
// generated data set with other columns and other classes, the document names that model, its
// examples are its training medians, and "Try it out" with them predicts instead of a 422.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DOC_TEXT,
  describeForModel,
  exampleValue,
  modelFacts,
} from '../../service/openapi-model.js';
import { parseConfig } from '../../src/config/config.js';
import { saveArtifact } from '../../src/model/artifact.js';
import { trainFromConfig } from '../../src/pipeline/train.js';
import { TRAIN_CONTEXT, tempDir } from '../support/fixtures.js';
import { json, loadFile, post, testApp, trainFixture } from './fixture.js';
import { CLINIC_FEATURES, writeClinicCsv } from './openapi-model.data.js';

/** The clinic model, trained in-process and loaded as the service loads a file. */
function trainClinic(dir: string, impute: 'median' | 'mean' = 'median', name = 'clinic-risk') {
  const config = parseConfig(writeClinicCsv(dir, { name, impute }).config);
  const result = trainFromConfig(config, TRAIN_CONTEXT);
  const file = join(dir, `${name}.json`);
  saveArtifact(file, result.artifact);
  return { result, model: loadFile(file) };
}

/** The median of column `j` over the training rows, ignoring empty (NaN) cells. */
function trainingMedian(result: ReturnType<typeof trainClinic>['result'], j: number): number {
  const p = result.data.featureNames.length;
  const values = Array.from(result.split.train, (row) => result.data.x[row * p + j]!)
    .filter((v) => !Number.isNaN(v))
    .sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

const dir = tempDir('oncoclear-openapi-');
const clinic = trainClinic(dir);

async function documentOf(app: ReturnType<typeof testApp>['app']) {
  const res = await app.request('/openapi.json');
  expect(res.status).toBe(200);
  return { doc: await json(res), etag: res.headers.get('etag') };
}

describe('/openapi.json for a model trained on another data set', () => {
  it('names the model, its classes and data set in the title and description, not breast cancer', async () => {
    const { app } = testApp(clinic.model);
    const { doc } = await documentOf(app);
    expect(doc.info.title).toBe(`clinic-risk v${clinic.model.version} · OncoClear`);
    const description: string = doc.info.description;
    for (const word of [
      '`clinic-risk`',
      '`outcome`',
      '`healthy`',
      '`sick`',
      '3 features',
      'clinic-risk.csv',
      'training medians',
    ])
      expect(description).toContain(word);
    expect(JSON.stringify(doc)).not.toMatch(
      /breast|malignant|benign|tumour|mean radius|wisconsin/i,
    );
  });

  it('uses the stored training medians, keyed by exactly the model features, as the example', async () => {
    const { app } = testApp(clinic.model);
    const { doc } = await documentOf(app);
    const example = doc.components.schemas.PredictRequest.example.features;
    expect(Object.keys(example)).toEqual(CLINIC_FEATURES);
    const fill = clinic.model.artifact.preprocessing.fill;
    CLINIC_FEATURES.forEach((name, j) => {
      const median = trainingMedian(clinic.result, j);
      expect(fill[j]).toBe(median);
      expect(Math.abs(example[name] - median)).toBeLessThanOrEqual(Math.abs(median) * 5e-4);
    });
    expect(doc.components.schemas.Features.example).toEqual(example);
    expect(doc.components.schemas.BatchRequest.example).toEqual({ instances: [example] });
    expect(doc.components.schemas.OipInferRequest.example.inputs[0]).toMatchObject({
      shape: [1, 3],
      data: CLINIC_FEATURES.map((name) => example[name]),
    });
  });

  it('lists the model features as the Features object properties, and its classes as labels', async () => {
    const { app } = testApp(clinic.model);
    const { doc } = await documentOf(app);
    const [array, object] = doc.components.schemas.Features.anyOf;
    expect(Object.keys(object.properties)).toEqual(CLINIC_FEATURES);
    expect(object.required).toEqual(CLINIC_FEATURES);
    expect(object.additionalProperties).toBe(false);
    expect(array).toMatchObject({ minItems: 3, maxItems: 3 });
    const label = doc.components.schemas.PredictResponse.properties.label;
    expect(label).toMatchObject({ example: 'sick', enum: ['healthy', 'sick'] });
    expect(doc.components.schemas.Explanation.properties.positiveClass.example).toBe('sick');
    expect(doc.components.schemas.ModelRef.example.name).toBe('clinic-risk');
    const infer = doc.paths['/v2/models/{name}/infer'].post.parameters[0];
    expect(infer.schema.example).toBe('clinic-risk');
    expect(doc.paths['/predict'].post.summary).toBe(
      'Classify one row of 3 features as healthy or sick',
    );
  });

  it('has examples that /predict, /predict/batch and OIP infer accept with 200', async () => {
    const { app } = testApp(clinic.model);
    const { doc } = await documentOf(app);
    const schemas = doc.components.schemas;
    const one = await post(app, '/predict', schemas.PredictRequest.example);
    expect(one.status).toBe(200);
    expect(['healthy', 'sick']).toContain((await json(one)).label);
    const batch = await post(app, '/predict/batch', schemas.BatchRequest.example);
    expect(batch.status).toBe(200);
    expect((await json(batch)).count).toBe(1);
    const name = doc.paths['/v2/models/{name}/infer'].post.parameters[0].schema.example;
    const infer = await post(app, `/v2/models/${name}/infer`, schemas.OipInferRequest.example);
    expect(infer.status).toBe(200);
    expect((await json(infer)).model_name).toBe('clinic-risk');
  });

  it('says "training means" for a model that imputes with the mean', () => {
    const byMean = trainClinic(dir, 'mean', 'clinic-mean');
    const doc = describeForModel(
      { info: { title: 'x', description: '', version: '1' } },
      byMean.model,
    );
    expect(doc.info.description).toContain('training means');
    expect(doc.info.description).not.toContain('medians');
  });
});

describe('hot reload and no model', () => {
  it('rebuilds the document and its ETag when a reload swaps the model, and /docs names it', async () => {
    const wdbc = trainFixture();
    try {
      const breast = loadFile(wdbc.file);
      const { app, holder } = testApp(breast);
      const before = await documentOf(app);
      expect(before.doc.info.title).toContain('oncoclear');
      expect(Object.keys(before.doc.components.schemas.Features.example)).toEqual(
        breast.artifact.features,
      );
      expect(await (await app.request('/docs')).text()).toContain(
        `<title>oncoclear v${breast.version}`,
      );

      holder.swap(clinic.model);
      const after = await documentOf(app);
      expect(after.etag).not.toBe(before.etag);
      expect(after.doc.info.title).toContain('clinic-risk');
      expect(Object.keys(after.doc.components.schemas.Features.example)).toEqual(CLINIC_FEATURES);
      const stale = await app.request('/openapi.json', {
        headers: { 'if-none-match': before.etag! },
      });
      expect(stale.status).toBe(200);
      const fresh = await app.request('/openapi.json', {
        headers: { 'if-none-match': after.etag! },
      });
      expect(fresh.status).toBe(304);
      expect(await (await app.request('/docs')).text()).toContain(
        `<title>clinic-risk v${clinic.model.version}`,
      );
    } finally {
      wdbc.cleanup();
    }
  });

  it('serves generic text and no data-set examples without a model', async () => {
    const { app } = testApp(null);
    const { doc } = await documentOf(app);
    expect(doc.info.title).toBe(DOC_TEXT.title(null));
    expect(doc.info.description).toContain('No model is loaded');
    const schemas = doc.components.schemas;
    for (const name of [
      'Features',
      'PredictRequest',
      'BatchRequest',
      'OipInferRequest',
      'ModelRef',
    ])
      expect(schemas[name]).not.toHaveProperty('example');
    expect(schemas.Features.anyOf[1].required).toBeUndefined();
    expect(JSON.stringify(doc)).not.toMatch(/breast|malignant|benign|mean radius|age_years/i);
    expect(await (await app.request('/docs')).text()).toContain('<title>OncoClear API</title>');
  });
});

describe('describeForModel', () => {
  it('never changes the document it is given', () => {
    const input = {
      info: { title: 'base', description: 'base', version: '1' },
      components: {
        schemas: { Features: { anyOf: [{ type: 'array' }, { type: 'object', properties: {} }] } },
      },
    };
    const before = structuredClone(input);
    const out = describeForModel(input, clinic.model);
    expect(input).toEqual(before);
    expect(out).not.toEqual(before);
  });

  it('rounds the example to four significant digits, keeping it a finite number', () => {
    expect(exampleValue(0.0063991234)).toBe(0.006399);
    expect(exampleValue(123.456)).toBe(123.5);
    expect(exampleValue(54)).toBe(54);
    expect(exampleValue(-2.000049)).toBe(-2);
    expect(modelFacts(clinic.model).row.every(Number.isFinite)).toBe(true);
  });

  it('escapes a model name that looks like HTML in the /docs title', async () => {
    const odd = { ...clinic.model, name: '<script>x</script>' };
    const { app } = testApp(odd);
    const page = await (await app.request('/docs')).text();
    expect(page).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(page).not.toContain('<script>x</script>');
  });
});

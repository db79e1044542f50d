import { afterAll, describe, expect, it } from 'vitest';
import { createPredictor } from '../../src/model/predictor.js';
import { json, loadFile, post, testApp, trainFixture } from './fixture.js';

const fx = trainFixture();
afterAll(() => fx.cleanup());
const model = loadFile(fx.file);
const predictor = createPredictor(fx.artifact);

interface ExplanationBody {
  positiveClass: string;
  logit: number;
  intercept: number;
  contributions: Record<string, number>;
  top: { feature: string; contribution: number }[];
}

const sum = (e: ExplanationBody) =>
  Object.values(e.contributions).reduce((s, c) => s + c, e.intercept);

describe('explanations', () => {
  it('/predict with "explain": true returns contributions that sum to the logit', async () => {
    const { app } = testApp(model);
    const res = await post(app, '/predict', { features: fx.named(0), explain: true });
    expect(res.status).toBe(200);
    const body = await json(res);
    const e = body.explanation as ExplanationBody;
    expect(Object.keys(e.contributions)).toEqual(fx.artifact.features);
    expect(Math.abs(sum(e) - e.logit)).toBeLessThan(1e-12);
    expect(e).toEqual(predictor.explain(fx.rows[0]!).explanation);
    expect(e.top).toHaveLength(5);
    expect(body.probabilities).toEqual(predictor.predict(fx.rows[0]!).probabilities);
  });

  it('is off by default', async () => {
    const { app } = testApp(model);
    const body = await json(post(app, '/predict', { features: fx.rows[0] }));
    expect(body).not.toHaveProperty('explanation');
    const batch = await json(post(app, '/predict/batch', { instances: [fx.rows[0]] }));
    expect(batch.predictions[0]).not.toHaveProperty('explanation');
  });

  it('/predict/batch explains every row', async () => {
    const { app } = testApp(model);
    const body = await json(
      post(app, '/predict/batch', { instances: fx.rows.slice(0, 3), explain: true }),
    );
    body.predictions.forEach((p: { explanation: ExplanationBody }, i: number) => {
      expect(p.explanation).toEqual(predictor.explain(fx.rows[i]!).explanation);
      expect(Math.abs(sum(p.explanation) - p.explanation.logit)).toBeLessThan(1e-12);
    });
  });

  it('refuses a non-boolean explain', async () => {
    const { app } = testApp(model);
    const res = await post(app, '/predict', { features: fx.rows[0], explain: 'yes' });
    expect(res.status).toBe(422);
    expect((await json(res)).details.issues[0].field).toBe('explain');
  });

  it('OIP offers the contributions as an optional output, with the intercept as a parameter', async () => {
    const { app } = testApp(model);
    const rows = fx.rows.slice(0, 2);
    const body = await json(
      post(app, '/v2/models/oncoclear/infer', {
        inputs: [{ name: 'input-0', shape: [2, 30], datatype: 'FP64', data: rows.flat() }],
        outputs: [{ name: 'probabilities' }, { name: 'contributions' }],
      }),
    );
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual([
      'probabilities',
      'contributions',
    ]);
    const contributions = body.outputs[1];
    expect(contributions.shape).toEqual([2, 30]);
    expect(contributions.datatype).toBe('FP64');
    rows.forEach((r, i) => {
      const { explanation } = predictor.explain(r);
      const slice = contributions.data.slice(i * 30, i * 30 + 30) as number[];
      expect(slice).toEqual(fx.artifact.features.map((f) => explanation.contributions[f]));
      const logit = slice.reduce((s, c) => s + c, contributions.parameters.intercept as number);
      expect(Math.abs(logit - explanation.logit)).toBeLessThan(1e-12);
    });
  });

  it('never logs an explanation: the audit line only says one was given', async () => {
    const { app, audit } = testApp(model);
    await post(app, '/predict', { features: fx.rows[0], explain: true });
    await post(app, '/predict/batch', { instances: [fx.rows[1]], explain: true });
    const text = audit.lines.join('');
    expect(text).not.toContain('contribution');
    expect(text).not.toContain('logit');
    const { explanation } = predictor.explain(fx.rows[0]!);
    for (const c of Object.values(explanation.contributions)) expect(text).not.toContain(String(c));
    const records = audit.records() as { type: string; explained?: boolean }[];
    expect(records[0]).toMatchObject({ type: 'prediction', explained: true });
    expect(records[1]).toMatchObject({ type: 'request', explained: true });
  });
});

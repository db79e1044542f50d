import { operatingThreshold } from '../src/model/artifact.js';
import type { ServedModel } from './served-model.js';

// /openapi.json and /docs describe whichever model is loaded: the routes' schemas (service/
// schemas.ts) say what the server accepts for any model, and this module writes the model's own
// names, classes and an example row over that document. Without it, a service serving another
// data set documented breast cancer, and "Try it out" sent a row the server refused with 422.

/** The parts of a served model the docs describe. */
export type DescribedModel = Pick<ServedModel, 'name' | 'version' | 'artifact'>;

/** What the text and the examples are made of, read once from the artifact. */
export interface ModelFacts {
  name: string;
  version: string;
  features: string[];
  classes: [string, string];
  positiveClass: string;
  target: string;
  threshold: number;
  /** `median` or `mean`: what the stored fill values, and so the example row, are. */
  impute: 'median' | 'mean';
  /** The example row in feature order: the training fill values, rounded for reading. */
  row: number[];
  /** The training file's name (not its path: the path is the trainer's machine). */
  dataFile: string;
  dataRows: number;
}

/**
 * Four significant digits: short enough to read in Swagger UI, and still a finite JSON number,
 * which is all the service's validation asks of a value (so the example always predicts 200).
 */
export function exampleValue(fill: number): number {
  return Number(fill.toPrecision(4));
}

export function modelFacts(model: DescribedModel): ModelFacts {
  const a = model.artifact;
  return {
    name: model.name,
    version: model.version,
    features: [...a.features],
    classes: [...a.classes],
    positiveClass: a.positiveClass,
    target: a.target,
    threshold: operatingThreshold(a),
    impute: a.preprocessing.impute,
    row: a.preprocessing.fill.map(exampleValue),
    dataFile: a.lineage.dataPath.split(/[\\/]/).pop() || a.lineage.dataPath,
    dataRows: a.lineage.dataRows,
  };
}

/** The example row keyed by feature name, as `/predict` accepts it. */
function exampleFeatures(facts: ModelFacts): Record<string, number> {
  return Object.fromEntries(facts.features.map((name, i) => [name, facts.row[i]!]));
}

type NameAndVersion = Pick<ModelFacts, 'name' | 'version'>;

const AUDIT_NOTE =
  'Every prediction is audited; see GET /model for the loaded version and its lineage.';
const FILL_WORDS = { median: 'training medians', mean: 'training means' } as const;

/**
 * Every piece of text that depends on the model, generic (no model loaded) and specific, in one
 * place. Examples are left out when no model is loaded: any row would be refused.
 */
export const DOC_TEXT = {
  title: (m: NameAndVersion | null) => (m ? `${m.name} v${m.version} · OncoClear` : 'OncoClear'),
  docsTitle: (m: NameAndVersion | null) =>
    m ? `${m.name} v${m.version} · OncoClear API` : 'OncoClear API',
  description: (m: ModelFacts | null) =>
    m
      ? `Model \`${m.name}\` version ${m.version}: a logistic-regression classifier of \`${m.target}\` ` +
        `as \`${m.classes[0]}\` or \`${m.classes[1]}\` (positive class \`${m.positiveClass}\` at a ` +
        `probability ≥ ${exampleValue(m.threshold)}) from ${m.features.length} features, trained on ` +
        `${m.dataFile} (${m.dataRows} rows). The request examples are one row of the ` +
        `${FILL_WORDS[m.impute]} stored in the model's preprocessing. ${AUDIT_NOTE}`
      : `A binary classifier served by OncoClear. No model is loaded, so the requests have no ` +
        `examples: once one is, this document lists its features and classes. ${AUDIT_NOTE}`,
  features: (m: ModelFacts | null) =>
    m
      ? `An object keyed by feature name with every one of the model's ${m.features.length} ` +
        `features (the properties below), or an array of ${m.features.length} values in that order.`
      : "An object keyed by feature name with every feature of the model (see GET /model), or an array of values in the model's feature order.",
  predictSummary: (m: ModelFacts | null) =>
    m
      ? `Classify one row of ${m.features.length} features as ${m.classes[0]} or ${m.classes[1]}`
      : "Classify one row from the model's features",
} as const;

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is open-ended JSON
type Json = any;

/** Sets `value` at `path` (creating nothing); `null` or `undefined` removes the key. */
function put(document: Json, path: readonly string[], value: unknown): void {
  let node = document;
  for (const key of path.slice(0, -1)) {
    node = node?.[key];
    if (node === null || typeof node !== 'object') return;
  }
  const last = path[path.length - 1]!;
  if (value === undefined || value === null) delete node[last];
  else node[last] = value;
}

const SCHEMAS = ['components', 'schemas'] as const;
/** A batch prediction's label, in the document. */
const BATCH_LABEL = [
  ...SCHEMAS,
  'BatchResponse',
  'properties',
  'predictions',
  'items',
  'properties',
  'label',
] as const;

/**
 * Where each model-specific value goes, and what it is. A `null` model clears every example, so
 * nothing in the document belongs to a data set.
 */
const SLOTS: ReadonlyArray<
  readonly [path: readonly string[], value: (m: ModelFacts | null) => unknown]
> = [
  [['info', 'title'], DOC_TEXT.title],
  [['info', 'description'], DOC_TEXT.description],
  [[...SCHEMAS, 'Features', 'description'], DOC_TEXT.features],
  [[...SCHEMAS, 'Features', 'example'], (m) => m && exampleFeatures(m)],
  [[...SCHEMAS, 'PredictRequest', 'example'], (m) => m && { features: exampleFeatures(m) }],
  [[...SCHEMAS, 'BatchRequest', 'example'], (m) => m && { instances: [exampleFeatures(m)] }],
  [
    [...SCHEMAS, 'OipInferRequest', 'example'],
    (m) =>
      m && {
        inputs: [{ name: 'input-0', shape: [1, m.features.length], datatype: 'FP64', data: m.row }],
      },
  ],
  [
    [...SCHEMAS, 'ModelRef', 'example'],
    (m) => m && { name: m.name, version: m.version, threshold: m.threshold },
  ],
  [[...SCHEMAS, 'Explanation', 'properties', 'positiveClass', 'example'], (m) => m?.positiveClass],
  [[...SCHEMAS, 'PredictResponse', 'properties', 'label', 'example'], (m) => m?.positiveClass],
  [[...SCHEMAS, 'PredictResponse', 'properties', 'label', 'enum'], (m) => m?.classes],
  [[...BATCH_LABEL, 'example'], (m) => m?.positiveClass],
  [[...BATCH_LABEL, 'enum'], (m) => m?.classes],
  [['paths', '/predict', 'post', 'summary'], DOC_TEXT.predictSummary],
];

/**
 * The Features schema's two shapes made exact for this model: the object lists the features as
 * required properties (so "Try it out" shows the right fields) and refuses others, as /predict
 * does; the array has exactly one value per feature.
 */
function describeFeatureShapes(features: Json, m: ModelFacts | null): void {
  const shapes: Json[] = Array.isArray(features?.anyOf) ? features.anyOf : [];
  const array = shapes.find((s) => s?.type === 'array');
  const object = shapes.find((s) => s?.type === 'object');
  if (array) {
    put(array, ['minItems'], m?.features.length);
    put(array, ['maxItems'], m?.features.length);
  }
  if (object) {
    object.properties = m
      ? Object.fromEntries(m.features.map((name) => [name, { type: 'number' }]))
      : {};
    put(object, ['required'], m ? [...m.features] : undefined);
    object.additionalProperties = m ? false : { type: 'number' };
  }
}

/** The `{name}` and `{version}` path parameters of the OIP routes: the loaded model's. */
function describePathParameters(paths: Json, m: ModelFacts | null): void {
  const values: Record<string, string | undefined> = { name: m?.name, version: m?.version };
  for (const operations of Object.values<Json>(paths ?? {})) {
    for (const operation of Object.values<Json>(operations ?? {})) {
      for (const parameter of operation?.parameters ?? []) {
        if (parameter?.in !== 'path' || !(parameter.name in values) || !parameter.schema) continue;
        put(parameter.schema, ['example'], values[parameter.name]);
      }
    }
  }
}

/**
 * A copy of `document` (never changed) whose titles, descriptions and examples describe `model`:
 * its name and version, classes, features, and an example row of its stored fill values that
 * the service accepts as it is. With no model, generic text and no data-set examples.
 */
export function describeForModel<D extends object>(document: D, model: DescribedModel | null): D {
  const copy: Json = structuredClone(document);
  const facts = model ? modelFacts(model) : null;
  for (const [path, value] of SLOTS) put(copy, path, value(facts));
  describeFeatureShapes(copy.components?.schemas?.Features, facts);
  describePathParameters(copy.paths, facts);
  return copy;
}

/** The Swagger UI page title for the loaded model. */
export function docsTitle(model: DescribedModel | null): string {
  return DOC_TEXT.docsTitle(model);
}

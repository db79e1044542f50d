/**
 * GitHub's published OpenAPI description, used as the source of truth for the emulator:
 * which method + path pairs exist, and what a valid request (path, query, JSON body) is.
 *
 * Only `api.github.com.json` is read (the non-dereferenced 13 MB file), once per process.
 * Validators are compiled lazily per operation, because compiling all ~1200 operations
 * up front would cost seconds for nothing.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonObject;
  'x-multi-segment'?: boolean;
}

interface Operation {
  operationId: string;
  parameters?: JsonObject[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonObject }> };
  responses?: Record<string, JsonObject>;
}

interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, JsonObject>;
    parameters: Record<string, JsonObject>;
    examples: Record<string, JsonObject>;
    responses: Record<string, JsonObject>;
  };
}

/** A route resolved against the spec. */
export interface OperationMatch {
  /** e.g. `pulls/create`. */
  operationId: string;
  /** Upper-case HTTP method. */
  method: string;
  /** The spec's templated path, e.g. `/repos/{owner}/{repo}/pulls/{pull_number}`. */
  template: string;
  /** Decoded path parameters by name (always strings; coerce in the handler). */
  params: Record<string, string>;
}

/** One reason a request does not conform to the spec, in GitHub's validation-error shape. */
export interface ValidationIssue {
  /** Where the problem is: `body`, `query` or `path`. */
  location: 'body' | 'query' | 'path';
  /** JSON-pointer-ish field, e.g. `/head` or `state`. */
  field: string;
  /** GitHub-style error code (`missing_field`, `invalid`). */
  code: string;
  message: string;
}

const SPEC_MODULE = '@octokit/openapi/generated/api.github.com.json';

let spec: Spec | undefined;

/** The parsed spec; parsed on first use and cached for the life of the process. */
export function loadSpec(): Spec {
  if (!spec) {
    // Resolve through the package so this works whatever the current directory is.
    const require = createRequire(import.meta.url);
    spec = JSON.parse(readFileSync(require.resolve(SPEC_MODULE), 'utf8')) as Spec;
  }
  return spec;
}

// ---------------------------------------------------------------------------------------------
// Router

interface Leaf {
  operationId: string;
  template: string;
  paramNames: string[];
  multiSegment: boolean[];
}

interface TrieNode {
  literals: Map<string, TrieNode>;
  param?: TrieNode;
  /** Leaves by upper-case method. */
  methods: Map<string, Leaf>;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

let trie: TrieNode | undefined;

function newNode(): TrieNode {
  return { literals: new Map(), methods: new Map() };
}

function resolveRef<T>(node: T | JsonObject): T {
  const ref = (node as JsonObject).$ref;
  if (typeof ref !== 'string') return node as T;
  let target: unknown = loadSpec();
  for (const key of ref.replace(/^#\//, '').split('/')) {
    target = (target as Record<string, unknown>)[decodePointer(key)];
  }
  return target as T;
}

function decodePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parametersOf(op: Operation): Parameter[] {
  return (op.parameters ?? []).map((p) => resolveRef<Parameter>(p));
}

function buildTrie(): TrieNode {
  const root = newNode();
  for (const [template, item] of Object.entries(loadSpec().paths)) {
    let node = root;
    const segments = template.split('/').slice(1);
    for (const segment of segments) {
      if (segment.startsWith('{')) {
        node.param ??= newNode();
        node = node.param;
      } else {
        let next = node.literals.get(segment);
        if (!next) {
          next = newNode();
          node.literals.set(segment, next);
        }
        node = next;
      }
    }
    const paramNames = segments.filter((s) => s.startsWith('{')).map((s) => s.slice(1, -1));
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op?.operationId) continue;
      const multi = new Set(
        parametersOf(op)
          .filter((p) => p.in === 'path' && p['x-multi-segment'])
          .map((p) => p.name),
      );
      node.methods.set(method.toUpperCase(), {
        operationId: op.operationId,
        template,
        paramNames,
        multiSegment: paramNames.map((n) => multi.has(n)),
      });
    }
  }
  return root;
}

/**
 * Resolves a method and raw (still percent-encoded) pathname to a spec operation.
 *
 * Literal segments win over parameters (so `/releases/latest` is not `/releases/{release_id}`),
 * and parameters the spec marks `x-multi-segment` (git refs, branch names) may span several
 * segments, because clients do not always percent-encode the slash in `heads/main`.
 */
export function matchOperation(method: string, pathname: string): OperationMatch | undefined {
  trie ??= buildTrie();
  const segments = pathname.replace(/\/+$/, '').split('/').slice(1);
  const upper = method.toUpperCase();

  // Depth-first search; each captured value records how many raw segments it spans.
  const search = (node: TrieNode, index: number, captured: string[][]): Leaf | undefined => {
    if (index === segments.length) {
      const leaf = node.methods.get(upper);
      if (!leaf) return undefined;
      const legal = captured.every((parts, i) => parts.length === 1 || leaf.multiSegment[i]);
      return legal ? leaf : undefined;
    }
    const literal = node.literals.get(safeDecode(segments[index]));
    if (literal) {
      const found = search(literal, index + 1, captured);
      if (found) return found;
    }
    if (node.param && segments[index] !== '') {
      for (let end = index + 1; end <= segments.length; end++) {
        captured.push(segments.slice(index, end));
        const found = search(node.param, end, captured);
        if (found) return found;
        captured.pop();
      }
    }
    return undefined;
  };

  const captured: string[][] = [];
  const leaf = search(trie, 0, captured);
  if (!leaf) return undefined;
  const params: Record<string, string> = {};
  leaf.paramNames.forEach((name, i) => {
    params[name] = captured[i].map(safeDecode).join('/');
  });
  return { operationId: leaf.operationId, method: upper, template: leaf.template, params };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.0 schema -> JSON Schema

const DROPPED_KEYWORDS = new Set([
  'description',
  'example',
  'examples',
  'externalDocs',
  'xml',
  'readOnly',
  'writeOnly',
  'deprecated',
  'title',
  'nullable',
]);

const convertedComponents = new Map<string, { schema: JsonObject; refs: Set<string> }>();

/**
 * Rewrites an OpenAPI 3.0 schema into JSON Schema Ajv understands: `nullable` becomes a `null`
 * type (Ajv's own `nullable` support rejects schemas without `type`, such as nullable `oneOf`s),
 * and `#/components/schemas/X` references become `#/definitions/X` so one self-contained schema
 * can be compiled per operation. Referenced component names are collected into `refs`.
 */
function convertSchema(node: Json, refs: Set<string>): Json {
  if (Array.isArray(node)) return node.map((n) => convertSchema(n, refs));
  if (node === null || typeof node !== 'object') return node;

  if (typeof node.$ref === 'string') {
    const name = node.$ref.replace('#/components/schemas/', '');
    refs.add(name);
    // OpenAPI 3.0 ignores siblings of $ref, so do we.
    return { $ref: `#/definitions/${encodeURIComponent(name)}` };
  }

  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED_KEYWORDS.has(key) || key.startsWith('x-')) continue;
    if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      const props: JsonObject = {};
      for (const [prop, sub] of Object.entries(value)) props[prop] = convertSchema(sub, refs);
      out.properties = props;
    } else if (['items', 'additionalProperties', 'not'].includes(key)) {
      out[key] = typeof value === 'boolean' ? value : convertSchema(value, refs);
    } else if (['allOf', 'anyOf', 'oneOf'].includes(key) && Array.isArray(value)) {
      out[key] = value.map((v) => convertSchema(v, refs));
    } else {
      out[key] = value;
    }
  }

  if (node.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function convertComponent(name: string): { schema: JsonObject; refs: Set<string> } {
  let entry = convertedComponents.get(name);
  if (!entry) {
    const refs = new Set<string>();
    const raw = loadSpec().components.schemas[name];
    if (!raw) throw new Error(`OpenAPI spec has no component schema ${name}`);
    entry = { schema: convertSchema(raw, refs) as JsonObject, refs };
    convertedComponents.set(name, entry);
  }
  return entry;
}

/** Bundles a converted schema with every component it transitively references. */
function bundle(raw: JsonObject): JsonObject {
  const refs = new Set<string>();
  const root = convertSchema(raw, refs) as JsonObject;
  const definitions: JsonObject = {};
  const queue = [...refs];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (name in definitions) continue;
    const { schema, refs: nested } = convertComponent(name);
    definitions[name] = schema;
    for (const n of nested) if (!(n in definitions)) queue.push(n);
  }
  return { ...root, definitions };
}

// ---------------------------------------------------------------------------------------------
// Validation

function makeAjv(): Ajv {
  const instance = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats.default(instance);
  // Formats GitHub uses that ajv-formats does not know. Numeric widths are not worth enforcing;
  // `repo.nwo` is GitHub's `owner/name`.
  for (const f of ['int32', 'int64', 'double', 'float', 'binary', 'timestamp']) {
    instance.addFormat(f, true);
  }
  instance.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
  return instance;
}

let ajv: Ajv | undefined;
const bodyValidators = new Map<string, ValidateFunction | null>();
const paramValidators = new Map<string, ValidateFunction>();
const responseValidators = new Map<string, ValidateFunction | null>();
let operationsById: Map<string, { template: string; method: string; op: Operation }> | undefined;

function operation(operationId: string): { template: string; method: string; op: Operation } {
  if (!operationsById) {
    operationsById = new Map();
    for (const [template, item] of Object.entries(loadSpec().paths)) {
      for (const method of HTTP_METHODS) {
        const op = item[method];
        if (op?.operationId) {
          operationsById.set(op.operationId, { template, method: method.toUpperCase(), op });
        }
      }
    }
  }
  const found = operationsById.get(operationId);
  if (!found) throw new Error(`Unknown operationId ${operationId}`);
  return found;
}

function bodyValidator(operationId: string): ValidateFunction | null {
  if (!bodyValidators.has(operationId)) {
    const schema = operation(operationId).op.requestBody?.content?.['application/json']?.schema;
    ajv ??= makeAjv();
    bodyValidators.set(operationId, schema ? ajv.compile(bundle(schema)) : null);
  }
  return bodyValidators.get(operationId)!;
}

function paramValidator(operationId: string, location: 'path' | 'query'): ValidateFunction {
  const key = `${operationId} ${location}`;
  let validate = paramValidators.get(key);
  if (!validate) {
    const properties: JsonObject = {};
    const required: string[] = [];
    for (const p of parametersOf(operation(operationId).op)) {
      if (p.in !== location) continue;
      properties[p.name] = p.schema ?? {};
      if (p.required) required.push(p.name);
    }
    ajv ??= makeAjv();
    validate = ajv.compile(bundle({ type: 'object', properties, required }));
    paramValidators.set(key, validate);
  }
  return validate;
}

/**
 * Path and query values arrive as strings; turn them into what the parameter's declared type
 * expects. Done by hand rather than with Ajv's `coerceTypes`, which makes `oneOf: [integer,
 * string]` (e.g. `workflow_id`) match both branches and fail.
 */
function coerceParam(p: Parameter, raw: string): unknown {
  const type = resolveRef<JsonObject>(p.schema ?? {}).type;
  if ((type === 'integer' || type === 'number') && raw.trim() !== '' && !Number.isNaN(+raw)) {
    return Number(raw);
  }
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

function toIssues(location: ValidationIssue['location'], errors: ErrorObject[]): ValidationIssue[] {
  return errors.map((e) => {
    const missing = e.keyword === 'required' ? String(e.params.missingProperty) : undefined;
    const field = missing ? `${e.instancePath}/${missing}` : e.instancePath || '/';
    return {
      location,
      field: location === 'body' ? field : field.replace(/^\//, ''),
      code: missing ? 'missing_field' : 'invalid',
      message: missing ? `${missing} wasn't supplied` : `${field} ${e.message ?? 'is invalid'}`,
    };
  });
}

/**
 * Checks a request against its operation: required and typed path/query parameters, and the
 * JSON body against `requestBody.content['application/json'].schema`.
 *
 * `body` is `undefined` when the request had no body. Unknown query parameters are allowed
 * (GitHub ignores them), but a body sent to an operation that takes none is reported, because
 * Octokit only does that when a caller passed parameters the endpoint does not have.
 */
export function validateRequest(
  match: OperationMatch,
  query: URLSearchParams,
  body: unknown,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const { op } = operation(match.operationId);

  const pathValues: Record<string, unknown> = {};
  const queryValues: Record<string, unknown> = {};
  for (const p of parametersOf(op)) {
    if (p.in === 'path' && p.name in match.params) {
      pathValues[p.name] = coerceParam(p, match.params[p.name]);
    } else if (p.in === 'query') {
      const all = query.getAll(p.name);
      if (all.length === 0) continue;
      queryValues[p.name] =
        resolveRef<JsonObject>(p.schema ?? {}).type === 'array' ? all : coerceParam(p, all[0]);
    }
  }
  const pathCheck = paramValidator(match.operationId, 'path');
  if (!pathCheck(pathValues)) issues.push(...toIssues('path', pathCheck.errors ?? []));
  const queryCheck = paramValidator(match.operationId, 'query');
  if (!queryCheck(queryValues)) issues.push(...toIssues('query', queryCheck.errors ?? []));

  const bodyCheck = bodyValidator(match.operationId);
  if (body === undefined) {
    if (op.requestBody?.required && bodyCheck) {
      issues.push({
        location: 'body',
        field: '/',
        code: 'missing_field',
        message: 'a request body is required',
      });
    }
  } else if (!bodyCheck) {
    const empty = body !== null && typeof body === 'object' && Object.keys(body).length === 0;
    // Operations with only non-JSON bodies (markdown, uploads) are not checked here.
    const otherMediaType = op.requestBody?.content && !op.requestBody.content['application/json'];
    if (!empty && !otherMediaType) {
      issues.push({
        location: 'body',
        field: '/',
        code: 'invalid',
        message: `${match.operationId} does not take a request body`,
      });
    }
  } else if (!bodyCheck(body)) {
    issues.push(...toIssues('body', bodyCheck.errors ?? []));
  }
  return issues;
}

/**
 * Validates a response body against the spec's schema for that operation and status, so the
 * emulator's own shapes can be checked for fidelity. Returns `[]` when the spec has no schema.
 */
export function validateResponse(
  operationId: string,
  status: number,
  body: unknown,
): ValidationIssue[] {
  const key = `${operationId} ${status}`;
  if (!responseValidators.has(key)) {
    const response = operation(operationId).op.responses?.[String(status)];
    const schema = response
      ? resolveRef<{ content?: Record<string, { schema?: JsonObject }> }>(response).content?.[
          'application/json'
        ]?.schema
      : undefined;
    ajv ??= makeAjv();
    responseValidators.set(key, schema ? ajv.compile(bundle(schema)) : null);
  }
  const validate = responseValidators.get(key);
  if (!validate || validate(body)) return [];
  return toIssues('body', validate.errors ?? []);
}

/**
 * A deep copy of the spec's example response for an operation and status (first example),
 * used as a template so emulator responses carry every field real GitHub sends.
 */
export function responseExample(operationId: string, status: number): unknown {
  const response = operation(operationId).op.responses?.[String(status)];
  if (!response) return undefined;
  const content = resolveRef<{ content?: Record<string, { examples?: Record<string, Json> }> }>(
    response,
  ).content?.['application/json'];
  const first = Object.values(content?.examples ?? {})[0];
  if (!first) return undefined;
  // Example objects are `{ summary?, value }`, and some nest a `$ref` to another example
  // object inside `value`, so unwrap until the payload itself is reached.
  let value = resolveRef<Json>(first as JsonObject);
  while (isExampleObject(value)) value = resolveRef<Json>(value.value as JsonObject);
  return structuredClone(value);
}

function isExampleObject(node: Json): node is JsonObject {
  if (node === null || typeof node !== 'object' || Array.isArray(node) || !('value' in node)) {
    return false;
  }
  return Object.keys(node).every(
    (k) => ['summary', 'description', 'value'].includes(k) || k.startsWith('x-'),
  );
}

import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { Logger } from './log.js';

/** One problem with a request: which field, and what was wrong or expected. */
export interface Issue {
  field: string;
  message: string;
}

/**
 * Machine-readable context for an error. Every 4xx names the offending field; feature errors also
 * list the feature names the loaded model expects, so a client can fix its request in one go.
 */
export interface ErrorDetails {
  issues?: Issue[];
  expected?: string;
  expectedFeatures?: readonly string[];
  [key: string]: unknown;
}

/** An HTTPException that carries `details`; the single onError turns it into `{error, details}`. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(status, { message });
  }
}

/** Open Inference Protocol routes report errors as `{error}` only, per the KServe v2 spec. */
const isOip = (path: string) => path.startsWith('/v2/') || path === '/v2';

function summary(message: string, details: ErrorDetails): string {
  const issues = details.issues?.map((i) => `${i.field}: ${i.message}`).join('; ');
  return issues ? `${message}: ${issues}` : message;
}

/** Builds the error response for either error shape. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  message: string,
  details: ErrorDetails,
): Response {
  if (isOip(c.req.path)) return c.json({ error: summary(message, details) }, status);
  return c.json({ error: message, details }, status);
}

/** Details for the exceptions Hono and its middleware throw themselves. */
function builtinDetails(status: number, message: string): ErrorDetails {
  if (status === 415)
    return {
      issues: [{ field: 'content-type', message: 'unsupported media type' }],
      expected: 'Content-Type: application/json',
    };
  if (status === 400 && /json/i.test(message))
    return {
      issues: [{ field: 'body', message: 'not valid JSON' }],
      expected: 'a JSON object body',
    };
  return {};
}

/**
 * The one error handler: ApiErrors and Hono's own HTTPExceptions become `{error, details}` with
 * their status; anything else is a 500 with no stack trace in the body (it is logged instead), and
 * the server keeps serving.
 */
export function handleError(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof ApiError) return errorResponse(c, err.status, err.message, err.details);
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const message = err.message || err.res?.statusText || 'Request failed';
      return errorResponse(c, status, message, builtinDetails(status, message));
    }
    logger.log({
      level: 'error',
      msg: 'unhandled error',
      path: c.req.path,
      error: err instanceof Error ? err.message : String(err),
    });
    return errorResponse(c, 500, 'Internal server error', {});
  };
}

/** Unknown routes: 404 JSON in the same shape. */
export function notFound(c: Context): Response {
  return errorResponse(c, 404, `No route ${c.req.method} ${c.req.path}`, {
    issues: [{ field: 'path', message: 'no such route' }],
    expected: 'one of the routes listed at /openapi.json',
  });
}

type ZodIssue = z.core.$ZodIssue;

function fieldName(path: ReadonlyArray<PropertyKey>): string {
  return (
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '') || 'body'
  );
}

/**
 * Flattens zod issues into `{field, message}`. For a union (features given as an object or an
 * array) it reports only the branch whose outer type matched, so a string inside an array says
 * "features[3]: expected number" instead of "expected record, received array".
 */
export function zodIssues(issues: readonly ZodIssue[], base: readonly PropertyKey[] = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length) {
      const matching = issue.errors.filter(
        (branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0),
      );
      if (matching.length) {
        for (const branch of matching) out.push(...zodIssues(branch, path));
        continue;
      }
      const expected = issue.errors
        .flat()
        .filter((i) => i.code === 'invalid_type')
        .map((i) => (i as { expected: string }).expected);
      out.push({ field: fieldName(path), message: `expected ${expected.join(' or ')}` });
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ field: fieldName([...path, key]), message: 'unknown field' });
      continue;
    }
    out.push({ field: fieldName(path), message: issue.message });
  }
  return out;
}

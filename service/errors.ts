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

/**
 * The longest client-supplied string echoed back (in an error, a response or the audit log).
 * Longer identifiers are refused (OIP `id`); longer names inside error messages are clipped.
 */
export const MAX_ECHO_CHARS = 256;

/** At most this many issues (and listed names) in one error; the rest are counted. */
export const MAX_LISTED_ISSUES = 10;

/** `text`, or its first MAX_ECHO_CHARS characters plus a marker saying how many were cut. */
export function clip(text: string, max = MAX_ECHO_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[+${text.length - max} chars]`;
}

/** The first MAX_LISTED_ISSUES items of a list, each clipped if it is a string. */
export function firstListed<T>(items: readonly T[]): T[] {
  return items
    .slice(0, MAX_LISTED_ISSUES)
    .map((item) => (typeof item === 'string' ? (clip(item) as T) : item));
}

/** An HTTPException that carries `details`; the single onError turns it into `{error, details}`. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    message: string,
    readonly details: ErrorDetails = {},
    /** Extra response headers, e.g. `Allow` on a 405. */
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
  }
}

/** Open Inference Protocol routes report errors as `{error}` only, per the KServe v2 spec. */
const isOip = (path: string) => path.startsWith('/v2/') || path === '/v2';

function summary(message: string, details: ErrorDetails): string {
  const issues = details.issues?.map((i) => `${i.field}: ${i.message}`).join('; ');
  const more =
    typeof details.issueCount === 'number' &&
    details.issues &&
    details.issueCount > details.issues.length
      ? ` (and ${details.issueCount - details.issues.length} more)`
      : '';
  return issues ? `${message}: ${issues}${more}` : message;
}

/**
 * Caps `issues` at MAX_LISTED_ISSUES (adding `issueCount` when some were left out) and clips
 * every field name and message, so an error stays small whatever the request held.
 */
function boundDetails(details: ErrorDetails): ErrorDetails {
  const { issues } = details;
  if (!issues) return details;
  const bounded = issues.slice(0, MAX_LISTED_ISSUES).map((i) => ({
    field: clip(i.field),
    message: clip(i.message),
  }));
  return issues.length > MAX_LISTED_ISSUES
    ? { ...details, issues: bounded, issueCount: issues.length }
    : { ...details, issues: bounded };
}

/**
 * The error body for a request to `path`: OIP routes get the protocol's `{ error }` with the
 * details summarised in it, every other route `{ error, details }`.
 */
export function errorBody(path: string, message: string, details: ErrorDetails): object {
  const bounded = boundDetails(details);
  const text = clip(message, 4 * MAX_ECHO_CHARS);
  if (isOip(path)) return { error: summary(text, bounded) };
  return { error: text, details: bounded };
}

/** Builds the error response for either error shape. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  message: string,
  details: ErrorDetails,
  headers: Record<string, string> = {},
): Response {
  return c.json(errorBody(c.req.path, message, details), status, headers);
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
 * nginx's "client closed request": the status recorded (in metrics) for a request whose client
 * went away before it was answered. Nobody receives the response.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/** True when the failure is the client hanging up, not a fault of the server. */
function isClientAbort(err: unknown, c: Context): boolean {
  // Only read on the error path: touching req.raw makes @hono/node-server build a full Request.
  if (c.req.raw.signal?.aborted) return true;
  const e = err as { name?: unknown; code?: unknown } | null;
  return (
    e?.name === 'AbortError' || e?.code === 'ECONNRESET' || e?.code === 'ERR_STREAM_PREMATURE_CLOSE'
  );
}

/**
 * The one error handler: ApiErrors and Hono's own HTTPExceptions become `{error, details}` with
 * their status; a client that hung up is logged at info and recorded as 499; anything else is a
 * 500 with no stack trace in the body (it is logged instead), and the server keeps serving.
 */
export function handleError(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (isClientAbort(err, c)) {
      logClientAbort(logger, c.req.method, c.req.path);
      return new Response(null, { status: CLIENT_CLOSED_REQUEST });
    }
    if (err instanceof ApiError)
      return errorResponse(c, err.status, err.message, err.details, err.headers);
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const message = err.message || err.res?.statusText || 'Request failed';
      return errorResponse(c, status, message, builtinDetails(status, message));
    }
    logUnhandled(logger, c.req.path, err);
    return errorResponse(c, 500, 'Internal server error', {});
  };
}

/** What a request whose client hung up before its answer leaves in the log. */
export function logClientAbort(logger: Logger, method: string, path: string): void {
  logger.log({
    level: 'info',
    msg: 'client closed the request before it was answered',
    method,
    path: clip(path),
  });
}

/** What an unexpected error leaves in the log (its message, never a stack in a response). */
export function logUnhandled(logger: Logger, path: string, err: unknown): void {
  logger.log({
    level: 'error',
    msg: 'unhandled error',
    path: clip(path),
    error: clip(err instanceof Error ? err.message : String(err)),
  });
}

/** Unknown routes: 404 JSON in the same shape. */
export function notFound(c: Context): Response {
  return errorResponse(c, 404, `No route ${c.req.method} ${clip(c.req.path)}`, {
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

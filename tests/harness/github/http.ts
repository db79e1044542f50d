/**
 * Types shared by the emulator's server and its operation handlers.
 */
import type { BareRepo } from './git.js';
import type { Renderer } from './shapes.js';
import type { RepoState } from './state.js';

/** Where GitHub's error bodies point; clients only display it. */
export const DOCS_URL = 'https://docs.github.com/rest';

/** One entry of a GitHub 422 `errors` array. */
export interface FieldError {
  resource?: string;
  field?: string;
  code: string;
  message?: string;
}

/**
 * A GitHub-style error response. Handlers throw it; the server turns it into
 * `{ message, documentation_url, status, errors? }` with the given status code.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: FieldError[],
    /** Overrides {@link DOCS_URL}, as GitHub does for branch-protection refusals. */
    readonly documentationUrl?: string,
  ) {
    super(message);
  }
}

/** 404 with GitHub's exact wording. */
export function notFound(message = 'Not Found'): HttpError {
  return new HttpError(404, message);
}

/** 422 `Validation Failed` with one field error, the shape GitHub uses for semantic failures. */
export function validationFailed(error: FieldError): HttpError {
  return new HttpError(422, 'Validation Failed', [error]);
}

/** Everything a handler may look at for one request. */
export interface RequestContext {
  /** Decoded path parameters from the spec's template. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body, already validated against the spec (`{}` when absent). */
  // biome-ignore lint/suspicious/noExplicitAny: bodies are schema-validated before handlers run
  body: any;
  /** Login the request's token maps to. */
  actor: string;
  /** Absolute URL of the request, for pagination links. */
  requestUrl: string;
  /** The request's `accept` header (for `.diff` media types). */
  accept: string;
  state: RepoState;
  git: BareRepo;
  render: Renderer;
}

/** What a handler answers; `text` is sent instead of JSON when set. */
export interface HandlerResult {
  status: number;
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Implements one spec operation. */
export type Handler = (ctx: RequestContext) => Promise<HandlerResult>;

/**
 * Slices a list like GitHub's `page`/`per_page` pagination and adds the `link` header Octokit's
 * paginate plugin follows. `requestUrl` is the absolute URL of the current request.
 */
export function paginate<T>(
  items: T[],
  query: URLSearchParams,
  requestUrl: string,
  maxPerPage = 100,
): { body: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Math.max(Number(query.get('per_page') ?? 30) || 30, 1), maxPerPage);
  const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const body = items.slice((page - 1) * perPage, page * perPage);
  const link = (p: number, rel: string) => {
    const url = new URL(requestUrl);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(p));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  return { body, headers: links.length > 0 ? { link: links.join(', ') } : {} };
}

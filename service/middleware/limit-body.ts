import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../errors.js';

/**
 * Rejects bodies over `maxBytes` with 413. A declared Content-Length is checked from the header
 * alone; only chunked bodies go through hono/body-limit, which counts bytes as they stream. That
 * split matters for speed: touching `req.raw.body` makes @hono/node-server build a full Request,
 * which costs a noticeable share of a /predict call.
 */
export const limitBody = (opts: { maxBytes: number }) => {
  const tooLarge = (): never => {
    throw new ApiError(413, 'Request body too large', {
      issues: [{ field: 'body', message: `larger than the ${opts.maxBytes}-byte limit` }],
      limitBytes: opts.maxBytes,
    });
  };
  const streaming = bodyLimit({ maxSize: opts.maxBytes, onError: tooLarge });
  return async function limitBody(c, next) {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(length) > opts.maxBytes) tooLarge();
      return next();
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return streaming(c, next);
  } satisfies MiddlewareHandler;
};

// `POST /predict` answered on node:http, in front of the documented app (issue 15, goal 1: one
// worker within reach of a minimal Hono route doing the same math). Hono and @hono/node-server
// cost several microseconds a request (the lightweight Request, the middleware chain, the
// Response and its writer); for the one route that carries the load this answers plainly valid
// requests itself, with the same functions the route uses: the same validation
// (plainPredictRequest), scoring, audit line and response body (answerPredict), the same metrics
// under the same route label, and the same headers.
//
// Everything else goes to the documented app as it came: another path or method, another media
// type, no Content-Length (a chunked body is limited while it streams there), a body over the
// limit. A body this has read and will not answer itself (malformed JSON, any doubt about the
// shape, no model, mismatched or unscorable features) is handed on with it as `rawBody`, which
// @hono/node-server reads instead of the stream, so the documented app words the error exactly as
// it always has. Nothing is audited or counted before that hand-over (answerPredict throws first).
import type { IncomingMessage, RequestListener } from 'node:http';
import type { AppDeps } from '../deps.js';
import {
  ApiError,
  CLIENT_CLOSED_REQUEST,
  errorBody,
  logClientAbort,
  logUnhandled,
} from '../errors.js';
import { trackRequest } from '../metrics.js';
import { answerPredict, PLAIN_JSON } from '../routes/predict.js';
import { plainPredictRequest } from '../schemas.js';
import { arrivalOf, hasOneContentType, hasPlainHost, markArrival } from './arrival.js';
import { writeJson } from './write-json.js';

const ROUTE = '/predict';

/** As @hono/node-server decodes a body for `c.req.json()`: WHATWG UTF-8, a leading BOM dropped. */
const decoder = new TextDecoder();

/** `documented` with POST /predict answered in front of it (see above). */
export function fastPredict(
  deps: AppDeps,
  maxBodyBytes: number,
  documented: RequestListener,
): RequestListener {
  return function fastPredictListener(req, res) {
    if (req.method !== 'POST' || req.url !== ROUTE || !plainRequest(req, maxBodyBytes))
      return documented(req, res);

    // As service/middleware/request-metrics.ts: in flight from here, latency from its arrival (the
    // start app's mark when it held the request while the app loaded; a request handed on keeps
    // it, so the app times it from there too).
    const started = arrivalOf(req) ?? deps.clock.monotonic();
    markArrival(req, started);
    const tracked = trackRequest(deps.metrics, deps.clock, started);
    const handOn = (body: Buffer) => {
      tracked.handOff();
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      documented(req, res);
    };
    const finish = (status: number) => tracked.done('POST', ROUTE, status);

    readBody(req, (body) => {
      if (body === null) {
        // The client hung up mid-body: as the documented app's error handler records it.
        logClientAbort(deps.logger, 'POST', ROUTE);
        return finish(CLIENT_CLOSED_REQUEST);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(decoder.decode(body));
      } catch {
        return handOn(body);
      }
      const request = plainPredictRequest(parsed);
      if (request === null) return handOn(body);
      let answer: ReturnType<typeof answerPredict>;
      try {
        answer = answerPredict(deps, request, started);
      } catch (error) {
        if (error instanceof ApiError) return handOn(body);
        // A bug: answered and logged as the documented app's one error handler does.
        logUnhandled(deps.logger, ROUTE, error);
        writeJson(res, 500, errorBody(ROUTE, 'Internal server error', {}));
        return finish(500);
      }
      writeJson(res, 200, answer);
      finish(200);
    });
  };
}

/**
 * Whether this is a request the fast path takes: one plain JSON media type (Node keeps only the
 * first of several Content-Type headers, @hono/node-server joins them and refuses the result), a
 * Content-Length within the limit (chunked bodies are limited while they stream, in the app), a
 * Host the app takes as it is, and a request whose body is still to come (one whose client went
 * away while it waited for the app to load is the app's, which recovers what it can).
 */
function plainRequest(req: IncomingMessage, maxBodyBytes: number): boolean {
  const { headers } = req;
  const type = headers['content-type'];
  const length = headers['content-length'];
  return (
    type !== undefined &&
    PLAIN_JSON.test(type) &&
    hasOneContentType(req) &&
    length !== undefined &&
    headers['transfer-encoding'] === undefined &&
    Number(length) <= maxBodyBytes &&
    hasPlainHost(req) &&
    !req.destroyed &&
    !req.readableDidRead &&
    req.errored === null
  );
}

/** The whole body, or null when the request ends without it (the client hung up). */
function readBody(req: IncomingMessage, done: (body: Buffer | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (body: Buffer | null) => {
    if (settled) return;
    settled = true;
    done(body);
  };
  req.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
  });
  req.once('end', () => settle(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
  req.once('error', () => settle(null));
  req.once('close', () => {
    if (!req.complete) settle(null);
  });
}

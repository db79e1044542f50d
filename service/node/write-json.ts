import type { ServerResponse } from 'node:http';

/**
 * Answers with a JSON body and the headers Hono's `c.json` gets from @hono/node-server, for the
 * answers given on plain node:http (service/start-app.ts, service/node/fast-predict.ts).
 */
export function writeJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  // As @hono/node-server writes a body it has whole: where Node would otherwise use chunked
  // encoding (HTTP/1.1), `end` sets Content-Length, after the headers Node adds; where it would
  // not (HTTP/1.0), it is set here, or Node would close the connection to end the body.
  if (
    !(res as ServerResponse & { useChunkedEncodingByDefault?: boolean }).useChunkedEncodingByDefault
  )
    res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

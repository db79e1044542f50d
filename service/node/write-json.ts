import type { ServerResponse } from 'node:http';

/**
 * Answers with a JSON body and the headers Hono's `c.json` gets from @hono/node-server, for the
 * answers given on plain node:http (service/start-app.ts, service/node/fast-predict.ts).
 */
export function writeJson(res: ServerResponse, status: number, value: unknown): void {
  // Not writeHead: `end` then sends Content-Length after the headers Node adds, in the order
  // @hono/node-server's responses have them, so the bytes are the same too.
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(value));
}

import type { ServerResponse } from 'node:http';

/**
 * Answers with a JSON body and the headers Hono's `c.json` gets from @hono/node-server, for the
 * answers given on plain node:http (service/start-app.ts, service/node/fast-predict.ts).
 */
export function writeJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

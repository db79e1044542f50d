/**
 * Data that outgrows git: a config may name `data.url` with a required `data.sha256`. The file is
 * downloaded once into `data.path`, verified against the checksum, and reused while it matches.
 * A mismatch is refused and nothing is kept, so nothing is ever trained on unverified bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/config.js';
import { writeFileDurable } from '../util/json-file.js';

/** The network behind one small interface, so tests use a real local server or a fake. */
export type Fetcher = (url: string) => Promise<{ ok: boolean; status: number; body: Uint8Array }>;

export const nodeFetcher: Fetcher = async (url) => {
  const res = await fetch(url, { redirect: 'follow' });
  return { ok: res.ok, status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
};

const sha256Of = (bytes: Uint8Array) =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * Makes sure `config.data.path` holds the configured remote data: a no-op without `data.url`, a
 * check of the cached file when it exists, and a verified download otherwise. Returns what
 * happened, for the progress log.
 */
export async function ensureDataFile(
  config: Config,
  options: { fetcher?: Fetcher; log?: (m: string) => void } = {},
): Promise<'local' | 'cached' | 'downloaded'> {
  const { url, sha256, path } = config.data;
  if (!url) return 'local';
  const log = options.log ?? (() => {});
  if (existsSync(path)) {
    const actual = sha256Of(readFileSync(path));
    if (actual === sha256) {
      log(`Using ${path}, downloaded earlier from ${url} (${sha256!.slice(0, 19)}…)`);
      return 'cached';
    }
    log(`${path} does not match data.sha256 (${actual.slice(0, 19)}…); downloading it again`);
  }
  log(`Downloading ${url}`);
  let response: Awaited<ReturnType<Fetcher>>;
  try {
    response = await (options.fetcher ?? nodeFetcher)(url);
  } catch (error) {
    throw new Error(
      `Could not download data.url ${url}: ${(error as Error).message}. Nothing was trained.`,
    );
  }
  if (!response.ok)
    throw new Error(
      `Could not download data.url ${url}: HTTP ${response.status}. Nothing was trained.`,
    );
  const actual = sha256Of(response.body);
  if (actual !== sha256)
    throw new Error(
      `data.url ${url} has checksum ${actual}; expected data.sha256 ${sha256}. The download was discarded and nothing was trained.`,
    );
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileDurable(temp, response.body);
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
  log(`Saved ${response.body.byteLength} bytes to ${path} (verified ${sha256!.slice(0, 19)}…)`);
  return 'downloaded';
}

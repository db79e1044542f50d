import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { ensureDataFile } from '../../src/data/remote.js';
import { trainFromConfig } from '../../src/pipeline/train.js';
import { projectConfig, TRAIN_CONTEXT, tempDir } from '../support/fixtures.js';

const csv = readFileSync('data/wdbc.csv');
const checksum = `sha256:${createHash('sha256').update(csv).digest('hex')}`;
const dir = tempDir();
let server: Server;
let base = '';
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (req.url === '/wdbc.csv') res.writeHead(200, { 'content-type': 'text/csv' }).end(csv);
    else if (req.url === '/tampered.csv')
      res.writeHead(200).end(Buffer.concat([csv, Buffer.from('1,2,3\n')]));
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const remote = (name: string, path: string, sha256 = checksum) => {
  const config = projectConfig();
  return { ...config, data: { ...config.data, path, url: `${base}/${name}`, sha256 } };
};

describe('data.url', () => {
  it('downloads, verifies and caches the data, and lineage records the URL', async () => {
    const path = join(dir, 'cache', 'wdbc.csv');
    const config = remote('wdbc.csv', path);
    expect(await ensureDataFile(config)).toBe('downloaded');
    expect(readFileSync(path).equals(csv)).toBe(true);
    const before = requests;
    expect(await ensureDataFile(config)).toBe('cached');
    expect(requests).toBe(before);
    const { artifact } = trainFromConfig(config, TRAIN_CONTEXT);
    expect(artifact.lineage).toMatchObject({
      dataPath: path,
      dataUrl: `${base}/wdbc.csv`,
      dataSha256: checksum,
    });
  });

  it('refuses a download whose checksum does not match and keeps nothing', async () => {
    const path = join(dir, 'bad', 'wdbc.csv');
    await expect(ensureDataFile(remote('tampered.csv', path))).rejects.toThrow(
      `data.url ${base}/tampered.csv has checksum sha256:`,
    );
    await expect(ensureDataFile(remote('tampered.csv', path))).rejects.toThrow(
      'The download was discarded and nothing was trained.',
    );
    expect(existsSync(path)).toBe(false);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('re-downloads a cached file that no longer matches, and reports HTTP errors', async () => {
    const path = join(dir, 'stale', 'wdbc.csv');
    await ensureDataFile(remote('wdbc.csv', path));
    writeFileSync(path, 'edited\n');
    expect(await ensureDataFile(remote('wdbc.csv', path))).toBe('downloaded');
    await expect(ensureDataFile(remote('missing.csv', join(dir, 'm.csv')))).rejects.toThrow(
      `Could not download data.url ${base}/missing.csv: HTTP 404. Nothing was trained.`,
    );
  });

  it('requires a checksum with a URL, and an http(s) URL', () => {
    const base = { schemaVersion: 1, model: { name: 'm' } };
    expect(() =>
      parseConfig({
        ...base,
        data: { path: 'x.csv', target: 'y', positiveClass: 'p', url: 'https://example.com/x.csv' },
      }),
    ).toThrow('data.url needs data.sha256');
    expect(() =>
      parseConfig({
        ...base,
        data: {
          path: 'x.csv',
          target: 'y',
          positiveClass: 'p',
          url: 'file:///etc/passwd',
          sha256: checksum,
        },
      }),
    ).toThrow(/data\.url/);
  });
});

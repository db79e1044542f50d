#!/usr/bin/env node
// Probes a running OncoClear service the way a deployment would: waits for /ready, then checks
// /health, POST /predict (array and named features, one row of data/wdbc.csv) and /model.
// Prints one line per check; exits 1 on the first failure. Used by scripts/test-image.sh.
//
//   node scripts/image/probe.mjs BASE_URL [--wait SECONDS] [--quiet]
//
// On success the last line of stdout is the predictionId of the first prediction (JSON), so the
// caller can look for its audit line.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const base = (args.find((a) => !a.startsWith('--')) ?? '').replace(/\/$/, '');
const waitIndex = args.indexOf('--wait');
const waitSeconds = waitIndex >= 0 ? Number(args[waitIndex + 1]) : 30;
if (!base) {
  process.stderr.write('usage: probe.mjs BASE_URL [--wait SECONDS]\n');
  process.exit(2);
}

const fail = (message) => {
  process.stderr.write(`  FAIL ${message}\n`);
  process.exit(1);
};
const ok = (message) => process.stderr.write(`  ok   ${message}\n`);

async function get(path, init) {
  const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

// One labelled row from the committed data set: every column but the target (the last one).
const [header, row] = readFileSync(new URL('../../data/wdbc.csv', import.meta.url), 'utf8')
  .split('\n')
  .slice(0, 2)
  .map((line) => line.split(','));
const names = header.slice(0, -1);
const values = row.slice(0, -1).map(Number);

const started = Date.now();
let last = 'no answer';
for (;;) {
  try {
    const ready = await get('/ready');
    if (ready.status === 200) break;
    last = `HTTP ${ready.status} ${JSON.stringify(ready.body).slice(0, 200)}`;
  } catch (error) {
    last = error.cause?.code ?? error.message;
  }
  if (Date.now() - started > waitSeconds * 1000)
    fail(`/ready not 200 within ${waitSeconds}s: ${last}`);
  await new Promise((r) => setTimeout(r, 100));
}
ok(`GET /ready 200 after ${Date.now() - started} ms`);

const health = await get('/health');
if (health.status !== 200) fail(`GET /health: HTTP ${health.status}`);
ok('GET /health 200');

const post = (path, body) =>
  get(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const first = await post('/predict', { features: values });
if (first.status !== 200) fail(`POST /predict: HTTP ${first.status} ${JSON.stringify(first.body)}`);
if (typeof first.body?.label !== 'string')
  fail(`POST /predict: no label in ${JSON.stringify(first.body)}`);
if (typeof first.body?.predictionId !== 'string') fail('POST /predict: no predictionId');
ok(`POST /predict (30 numbers) 200: label ${first.body.label}`);

const named = await post('/predict', {
  features: Object.fromEntries(names.map((name, i) => [name, values[i]])),
});
if (named.status !== 200 || named.body?.label !== first.body.label) {
  fail(`POST /predict (named): HTTP ${named.status} ${JSON.stringify(named.body)}`);
}
ok(`POST /predict (named features) 200: label ${named.body.label}`);

const bad = await post('/predict', { features: [1, 2, 3] });
if (bad.status < 400 || bad.status >= 500)
  fail(`POST /predict with 3 features: HTTP ${bad.status}`);
ok(`POST /predict with 3 features rejected: HTTP ${bad.status}`);

const model = await get('/model');
if (model.status !== 200) fail(`GET /model: HTTP ${model.status}`);
ok(`GET /model 200: ${JSON.stringify(model.body).slice(0, 120)}`);

// The docs page and the assets it loads: same-origin ones must be served; ones from another host
// cannot load where the network is closed (an air-gapped cluster), so they only warn here.
const docs = await get('/docs');
if (docs.status !== 200 || typeof docs.body !== 'string') fail(`GET /docs: HTTP ${docs.status}`);
const assets = [...docs.body.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map(
  (m) => m[1],
);
for (const asset of assets) {
  if (/^[a-z]+:\/\//i.test(asset) || asset.startsWith('//')) {
    process.stderr.write(`  warn /docs loads ${asset} from another host\n`);
    continue;
  }
  const path = asset.startsWith('/') ? asset : `/${asset}`;
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) });
  await response.arrayBuffer();
  if (response.status !== 200) fail(`/docs asset ${path}: HTTP ${response.status}`);
}
ok(`GET /docs 200 (${assets.length} assets)`);

process.stdout.write(`${JSON.stringify(first.body.predictionId)}\n`);

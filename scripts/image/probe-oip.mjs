#!/usr/bin/env node
// Probes a running OncoClear service the way KServe does with a custom container: through the
// Open Inference Protocol only, under the name the InferenceService gave it (MODEL_NAME), and
// checks that it serves the model mounted at /mnt/models. Waits for GET /v2/health/ready, then
// checks /v2/health/live, GET /v2/models/NAME/ready, GET /v2/models/NAME (metadata) and
// POST /v2/models/NAME/infer with two rows of data/wdbc.csv, and GET /model's sha256.
// Prints one line per check; exits 1 on the first failure, saying which part of KServe's
// custom-container contract (PORT, MODEL_NAME, /mnt/models) the service does not honour.
// Used by scripts/test-image.sh.
//
//   node scripts/image/probe-oip.mjs BASE_URL --model NAME [--sha256 sha256:HEX] [--wait SECONDS]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const base = (args[0] ?? '').replace(/\/$/, '');
const model = opt('model', '');
const sha256 = opt('sha256', '');
const waitSeconds = Number(opt('wait', '30'));
if (!base || base.startsWith('--') || !model) {
  process.stderr.write(
    'usage: probe-oip.mjs BASE_URL --model NAME [--sha256 S] [--wait SECONDS]\n',
  );
  process.exit(2);
}

const fail = (message) => {
  process.stderr.write(`  FAIL ${message}\n`);
  process.exit(1);
};
const ok = (message) => process.stderr.write(`  ok   ${message}\n`);
const show = (body) => JSON.stringify(body).slice(0, 300);

async function call(path, init) {
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

// Two labelled rows from the committed data set: every column but the target (the last one).
const lines = readFileSync(new URL('../../data/wdbc.csv', import.meta.url), 'utf8').split('\n');
const width = lines[0].split(',').length - 1;
const rows = lines.slice(1, 3).map((line) => line.split(',').slice(0, -1).map(Number));

const started = Date.now();
let last = 'no answer';
for (;;) {
  try {
    const ready = await call('/v2/health/ready');
    if (ready.status === 200) break;
    last = `HTTP ${ready.status} ${show(ready.body)}`;
  } catch (error) {
    last = error.cause?.code ?? error.message;
  }
  if (Date.now() - started > waitSeconds * 1000) {
    fail(
      `GET /v2/health/ready not 200 within ${waitSeconds}s: ${last}. ` +
        (/ECONNREFUSED|ECONNRESET|fetch failed|socket/i.test(last)
          ? 'Nothing answers on the published port: the service does not listen on PORT, or it ' +
            'exited (no model found at /mnt/models, or a read-only file system it cannot write).'
          : 'The service answers but is not ready: it has not loaded the model at /mnt/models.'),
    );
  }
  await new Promise((r) => setTimeout(r, 100));
}
ok(`GET /v2/health/ready 200 after ${Date.now() - started} ms`);

const live = await call('/v2/health/live');
if (live.status !== 200) fail(`GET /v2/health/live: HTTP ${live.status} ${show(live.body)}`);
ok('GET /v2/health/live 200');

const modelReady = await call(`/v2/models/${encodeURIComponent(model)}/ready`);
if (modelReady.status === 404) {
  fail(
    `GET /v2/models/${model}/ready: 404 ${show(modelReady.body)}. The service does not answer to ` +
      `MODEL_NAME=${model}: the model-name alias is not supported.`,
  );
}
if (modelReady.status !== 200 || modelReady.body?.ready !== true) {
  fail(`GET /v2/models/${model}/ready: HTTP ${modelReady.status} ${show(modelReady.body)}`);
}
ok(`GET /v2/models/${model}/ready 200 ${show(modelReady.body)}`);

const metadata = await call(`/v2/models/${encodeURIComponent(model)}`);
if (metadata.status !== 200 || metadata.body?.name !== model) {
  fail(
    `GET /v2/models/${model}: HTTP ${metadata.status}; expected the metadata to name '${model}': ` +
      show(metadata.body),
  );
}
ok(`GET /v2/models/${model} 200: name ${metadata.body.name}, platform ${metadata.body.platform}`);

const infer = await call(`/v2/models/${encodeURIComponent(model)}/infer`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    id: 'kserve-probe',
    inputs: [{ name: 'input-0', datatype: 'FP64', shape: [rows.length, width], data: rows.flat() }],
  }),
});
if (infer.status !== 200) {
  fail(`POST /v2/models/${model}/infer: HTTP ${infer.status} ${show(infer.body)}`);
}
const labels = infer.body?.outputs?.find((output) => output.name === 'label');
if (infer.body?.model_name !== model || labels?.data?.length !== rows.length) {
  fail(
    `POST /v2/models/${model}/infer: expected model_name '${model}' and ${rows.length} labels: ` +
      show(infer.body),
  );
}
ok(`POST /v2/models/${model}/infer 200: labels ${labels.data.join(', ')}`);

if (sha256) {
  const served = await call('/model');
  if (served.status !== 200) fail(`GET /model: HTTP ${served.status}`);
  if (served.body?.sha256 !== sha256) {
    fail(
      `GET /model serves ${served.body?.sha256}; the model mounted at /mnt/models is ${sha256}: ` +
        'the service does not take its model from /mnt/models.',
    );
  }
  ok(`GET /model serves the mounted model ${sha256}`);
}

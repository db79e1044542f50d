#!/usr/bin/env node
// Sends the same requests to two running OncoClear services and exits 1 unless they answer alike:
// status and body of POST /predict (with explain), /predict/batch, a refused row, and the
// Open Inference Protocol's infer, prediction ids aside. Used by scripts/test-image.sh to hold the
// image's startup-snapshot start to the bundle's.
//
//   node scripts/image/same-answers.mjs BASE_URL_A BASE_URL_B
import { readFileSync } from 'node:fs';

const [a, b] = process.argv.slice(2).map((u) => u?.replace(/\/$/, ''));
if (!a || !b) {
  process.stderr.write('usage: same-answers.mjs BASE_URL_A BASE_URL_B\n');
  process.exit(2);
}

// Five labelled rows from the committed data set: every column but the target (the last one).
const [header, ...rows] = readFileSync(new URL('../../data/wdbc.csv', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 6)
  .map((line) => line.split(','));
const names = header.slice(0, -1);
const values = rows.map((row) => row.slice(0, -1).map(Number));
const named = Object.fromEntries(names.map((n, i) => [n, values[0][i]]));

const model = (await (await fetch(`${a}/model`)).json()).name;
const requests = [
  ['/predict', { features: named, explain: true }],
  ['/predict', { features: values[1] }],
  ['/predict/batch', { instances: values }],
  ['/predict', { features: { ...named, [names[0]]: 'x' } }],
  [
    `/v2/models/${model}/infer`,
    {
      inputs: [
        {
          name: 'input-0',
          shape: [2, names.length],
          datatype: 'FP64',
          data: values.slice(0, 2).flat(),
        },
      ],
    },
  ],
];

/** Status and parsed body, with prediction ids (and OIP response ids) left out. */
async function answer(base, path, body) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const parsed = JSON.parse(await res.text(), (key, value) =>
    key === 'predictionId' || key === 'id' ? undefined : value,
  );
  return JSON.stringify({ status: res.status, body: parsed });
}

let differ = 0;
for (const [path, body] of requests) {
  const [x, y] = [await answer(a, path, body), await answer(b, path, body)];
  if (x === y) process.stderr.write(`  ok   same answer: POST ${path} (${JSON.parse(x).status})\n`);
  else {
    differ++;
    process.stderr.write(
      `  FAIL POST ${path} differs:\n    ${x.slice(0, 300)}\n    ${y.slice(0, 300)}\n`,
    );
  }
}
process.exit(differ ? 1 : 0);

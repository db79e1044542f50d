#!/usr/bin/env node
// Picks the model an image serves and copies it, checksum-verified, into --out as model.json with a
// model.json.sha256 sidecar (which the service verifies again at start) and model-info.json.
// Plain Node, no dependencies: it runs in the Dockerfile's build stage and on the host.
//
//   node scripts/image/resolve-model.mjs [--registry registry] [--model NAME]
//        [--version production|N] [--file PATH] [--out DIR] [--print]
//
// By default the registry's production version of the configured model (oncoclear.config.json's
// model.name, else the registry's only model). --version N takes a registered version whatever
// its stage. --file bakes a loose artifact instead, checked against its .sha256 sidecar (for tests
// before a registry exists). --print only prints the resolved {name, version, stage, sha256}.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const fail = (message) => {
  process.stderr.write(`resolve-model: ${message}\n`);
  process.exit(1);
};
const sha256 = (file) => `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
const readJson = (file, what) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return fail(`cannot read ${what} ${file}: ${error.message}`);
  }
};

const registryDir = opt('registry', 'registry');
const wanted = opt('version', 'production') || 'production';
const file = opt('file', '');
const out = opt('out', '');
const printOnly = args.includes('--print');

let source;
let info;
if (file) {
  if (!existsSync(file)) fail(`--file ${file} does not exist`);
  const sidecar = `${file}.sha256`;
  if (!existsSync(sidecar)) fail(`${sidecar} is missing; a baked model must carry its checksum`);
  const recorded = readFileSync(sidecar, 'utf8').trim().split(/\s+/)[0] ?? '';
  const expected = recorded.startsWith('sha256:') ? recorded : `sha256:${recorded}`;
  const actual = sha256(file);
  if (actual !== expected)
    fail(`checksum mismatch for ${file}: sidecar ${expected}, file ${actual}`);
  const artifact = readJson(file, 'artifact');
  source = file;
  info = { name: artifact.name ?? 'unknown', version: null, stage: 'unregistered', sha256: actual };
} else {
  const registryFile = join(registryDir, 'registry.json');
  if (!existsSync(registryFile)) {
    fail(`${registryFile} not found; commit a registry or pass --file PATH (MODEL_FILE build-arg)`);
  }
  const registry = readJson(registryFile, 'registry');
  const names = Object.keys(registry.models ?? {});
  let name = opt('model', '');
  if (!name && existsSync('oncoclear.config.json')) {
    name = readJson('oncoclear.config.json', 'config').model?.name ?? '';
  }
  if (!name && names.length === 1) name = names[0];
  const entry = registry.models?.[name];
  if (!entry)
    fail(`model '${name}' is not in ${registryFile}; it has: ${names.join(', ') || 'none'}`);
  const versions = entry.versions ?? [];
  const chosen =
    wanted === 'production'
      ? versions.find((v) => v.stage === 'production')
      : versions.find((v) => String(v.version) === wanted.replace(/^v/, ''));
  if (!chosen) {
    const have = versions.map((v) => `v${v.version} (${v.stage})`).join(', ') || 'none';
    fail(`${registryFile} has no ${wanted} version of '${name}'; versions: ${have}`);
  }
  source = resolve(registryDir, chosen.artifact);
  if (!existsSync(source)) fail(`v${chosen.version}'s artifact ${source} is missing`);
  const actual = sha256(source);
  if (actual !== chosen.sha256) {
    fail(`checksum mismatch for ${source}: registry records ${chosen.sha256}, file has ${actual}`);
  }
  info = { name, version: chosen.version, stage: chosen.stage, sha256: actual };
}

if (printOnly) {
  process.stdout.write(`${JSON.stringify(info)}\n`);
  process.exit(0);
}
if (!out) fail('--out DIR is required (or --print)');
mkdirSync(out, { recursive: true });
const target = join(out, 'model.json');
copyFileSync(source, target);
if (sha256(target) !== info.sha256) fail(`copy of ${source} to ${target} does not verify`);
writeFileSync(`${target}.sha256`, `${info.sha256.slice('sha256:'.length)}  model.json\n`);
writeFileSync(join(out, 'model-info.json'), `${JSON.stringify(info, null, 2)}\n`);
const label = info.version === null ? basename(source) : `${info.name} v${info.version}`;
process.stdout.write(`resolve-model: baked ${label} (${info.stage}, ${info.sha256}) into ${out}\n`);

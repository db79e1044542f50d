// `npm run bench:dashboard`: how long `oncoclear dashboard` takes and how big the site gets at
// 10, 100 and 1,000 versions. The registries are synthetic views (one trained artifact's numbers,
// nudged per version, with a promotion every fifth version, a rollback every 50th and a release
// after each move), so the figure is the site builder's own cost: rendering plus writing files.
// Reading the registry from disk is not included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { extrasKey, extrasOf, type VersionExtras } from '../src/dashboard/input.js';
import { buildSite } from '../src/dashboard/site.js';
import { writeSite } from '../src/dashboard/write-site.js';
import type { Artifact } from '../src/model/artifact.js';
import { trainFromConfig } from '../src/pipeline/train.js';
import type {
  ModelEntry,
  Registry,
  RegistryEvent,
  RegistryVersion,
} from '../src/registry/schema.js';
import { numberTable } from './support.js';

const SIZES = [10, 100, 1000];
const MODEL = 'oncoclear';

function syntheticRegistry(artifact: Artifact, count: number): Registry {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const at = (i: number) => new Date(t0 + i * 60_000).toISOString();
  const versions: RegistryVersion[] = [];
  const history: RegistryEvent[] = [];
  let clock = 0;
  let production: number | null = null;
  const ev = (type: RegistryEvent['type'], version: number, extra: Partial<RegistryEvent> = {}) =>
    history.push({
      id: `e${String(clock).padStart(8, '0')}`,
      at: at(clock++),
      type,
      version,
      actor: 'bench',
      reason: type,
      link: null,
      ...extra,
    });
  const move = (type: 'promoted' | 'rolled_back', version: number) => {
    if (production !== null) ev('archived', production);
    ev(type, version, { from: production });
    production = version;
    ev('released', version, {
      image: {
        digest: `sha256:${String(version).padStart(64, '0')}`,
        tags: [`${MODEL}-v${version}`],
      },
    });
  };
  const { roc: _r, pr: _p, calibration: _c, confusion: _k, ...scalars } = artifact.metrics.test;
  for (let v = 1; v <= count; v++) {
    const wobble = Math.sin(v) * 0.01;
    versions.push({
      version: v,
      stage: 'staging',
      createdAt: at(clock),
      artifact: `${MODEL}/v${v}/model.json`,
      sha256: `sha256:${String(v).padStart(64, 'a')}`,
      metrics: {
        train: { ...scalars },
        test: { ...scalars, accuracy: scalars.accuracy + wobble, recall: scalars.recall - wobble },
      },
      lineage: {
        commit: `${v}`.padStart(40, 'c'),
        runUrl: `https://github.com/acme/oncoclear/actions/runs/${v}`,
        dataSha256: artifact.lineage.dataSha256,
        configHash: artifact.lineage.configHash,
        testRowsHash: artifact.lineage.split.testRowsHash,
      },
    });
    ev('registered', v);
    if (v % 5 === 1) move('promoted', v);
    if (v % 50 === 0 && v > 5) move('rolled_back', v - 9);
  }
  const stages = new Set(
    history.filter((e) => e.type === 'promoted' || e.type === 'rolled_back').map((e) => e.version),
  );
  const entry: ModelEntry = {
    versions: versions.map((v) => ({
      ...v,
      stage:
        v.version === production ? 'production' : stages.has(v.version) ? 'archived' : 'staging',
    })),
    history,
  };
  return { schemaVersion: 2, models: { [MODEL]: entry } };
}

const config = loadConfig('oncoclear.config.json');
process.stderr.write('• training one model for the synthetic registries\n');
const artifact = trainFromConfig(config, {
  commit: null,
  now: () => new Date('2026-01-01T00:00:00Z'),
  packageVersion: 'bench',
}).artifact;
const extrasFor = extrasOf(artifact, null);

const rows: string[][] = [];
for (const n of SIZES) {
  const registry = syntheticRegistry(artifact, n);
  const extras = new Map<string, VersionExtras>();
  for (let v = 1; v <= n; v++) extras.set(extrasKey(MODEL, v), extrasFor);
  const out = mkdtempSync(join(tmpdir(), 'oncoclear-bench-dashboard-'));
  const site = join(out, 'site');
  const t0 = performance.now();
  const files = buildSite(
    { registry, extras },
    { primaryMetric: config.promotion.metric, repoUrl: 'https://github.com/acme/oncoclear' },
  );
  const t1 = performance.now();
  const bytes = writeSite(site, files);
  const t2 = performance.now();
  const overview = Buffer.byteLength(files.get(`${MODEL}/index.html`)!);
  rmSync(out, { recursive: true, force: true });
  rows.push([
    String(n),
    String(registry.models[MODEL]!.history.length),
    String(files.size),
    (t1 - t0).toFixed(0),
    (t2 - t1).toFixed(0),
    (bytes / 1024 / 1024).toFixed(2),
    (overview / 1024).toFixed(0),
  ]);
}

const head = ['versions', 'events', 'files', 'render ms', 'write ms', 'site MiB', 'overview KiB'];
// Every column is a number, so every column is right-aligned.
process.stdout.write(`${numberTable(head, rows, 0)}\n`);

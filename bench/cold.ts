// `npm run bench:cold`: cold start, spawn to the first 200 from GET /ready, of OncoClear's
// service, the FastAPI peer and a bare node:http server, taking turns in one run so that the
// machine's load falls on all three alike. See bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BARE_NODE_SOURCE,
  CLI,
  coldStart,
  DATA,
  fmt,
  fmtRange,
  log,
  markdownTable,
  median,
  PEER_DIR,
  PYTHON,
  positive,
  ROOT,
  ratios,
  run,
  uvicornArgs,
} from './support.js';

const HELP = `Usage: npm run bench:cold -- [options]

Cold start to the first 200 from GET /ready, polled every ~1 ms, for
  a. OncoClear: node bin/oncoclear.js serve --model <freshly trained>, as it defaults (one
     process per CPU on Node 22.12+ on Linux, else one) and with --workers 1 (and, with
     --workers N > 1, that cluster too); and both again from the V8 startup snapshot that
     the image starts from (node --snapshot-blob dist/serve.blob serve, built first by
     'node scripts/build.mjs --snapshot' with the same node; Node 22.15+)
  b. the FastAPI peer (bench/serve-peer/app.py under uvicorn, 1 worker)
  c. a bare node:http server that answers /ready with a constant: the floor for any Node server
The servers take turns, one start each per round. NODE_EXTRA_CA_CERTS is removed from their
environment: containers do not set it, and on Node 20 it costs ~60 ms of every start.

Options:
  --runs N      rounds (default 15)
  --workers N   also time \`serve --workers N\` (default: none)
  --node BIN    run every Node server (ours and the bare one) with this node binary (default: the
                one running the bench), e.g. Node 24: --node "$(bash scripts/image/fetch-node.sh 24 | tail -1)"
  --against JS  also time another build's launcher (a copy of bin/ and dist/ from before a change,
                beside its package.json), same flags, in the same rounds: a paired before/after
  -h, --help    show this help
`;

/** The row of `serve` with no --workers: its default. */
const DEFAULT_NAME = 'oncoclear serve (default)';
/** The rows that start from the startup snapshot, as the image does. */
const SNAPSHOT_SUFFIX = ', from its snapshot (the image)';
/** Issue 15, goal 2: ours within this multiple of a bare node:http server. */
const GOAL_RATIO_TO_BARE = 2.5;

interface Contender {
  name: string;
  command: string;
  args: (port: number) => string[];
  env?: Record<string, string>;
}

/** The environment a container would give: this one minus NODE_EXTRA_CA_CERTS. */
function containerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/**
 * ms from spawn to the first 200 from /ready. SIGKILL afterwards: only the start is timed, so
 * there is no shutdown to wait for.
 */
function timeStart(contender: Contender): Promise<number> {
  return coldStart(
    contender.name,
    (port) =>
      spawn(contender.command, contender.args(port), {
        cwd: ROOT,
        env: containerEnv({ PORT: String(port), ...contender.env }),
        stdio: 'ignore',
      }),
    'SIGKILL',
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      runs: { type: 'string' },
      workers: { type: 'string' },
      node: { type: 'string' },
      against: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const runs = positive(values.runs, 15, '--runs');
  const workers = positive(values.workers, 1, '--workers');

  const work = mkdtempSync(join(tmpdir(), 'oncoclear-bench-cold-'));
  try {
    const load = fmt(loadavg()[0] ?? 0, 2);
    run(process.execPath, [CLI, 'train', '--out', work], 'oncoclear train');
    const model = join(work, 'model.json');
    const peerModel = join(work, 'peer.joblib');
    const peer = spawnSync(PYTHON, ['-c', 'import fastapi, uvicorn, sklearn, joblib']).status === 0;
    if (peer) run(PYTHON, [join(PEER_DIR, 'app.py'), '--train', DATA, peerModel], 'peer training');
    else log(`${PYTHON} lacks fastapi/uvicorn/sklearn: the peer is skipped`);

    const node = values.node ?? process.execPath;
    // The image's start: serve from a V8 startup snapshot, which must be built by the node that
    // runs it (scripts/snapshot.mjs; Node 22.15+).
    const snapshot =
      spawnSync(node, ['-p', 'typeof process.execve'], { encoding: 'utf8' }).stdout.trim() ===
      'function';
    if (snapshot) run(node, [join(ROOT, 'scripts', 'build.mjs'), '--snapshot'], 'startup snapshot');
    else log(`${node} has no process.execve (Node < 22.15): no startup snapshot rows`);
    const blob = join(ROOT, 'dist', 'serve.blob');
    // n null: serve's own default (one process per CPU where each can have an SO_REUSEPORT
    // socket, else one), which the goal is about.
    const ours = (n: number | null, cli: string | null = CLI, suffix = ''): Contender => ({
      name: `${n === null ? DEFAULT_NAME : `oncoclear serve --workers ${n}`}${suffix}`,
      command: node,
      args: (port) => [
        ...(cli === null ? ['--snapshot-blob', blob] : [cli]),
        'serve',
        '--model',
        model,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        ...(n === null ? [] : ['--workers', String(n)]),
      ],
    });
    const against = values.against;
    const contenders: Contender[] = [
      ours(null),
      ours(1),
      ...(snapshot ? [ours(null, null, SNAPSHOT_SUFFIX), ours(1, null, SNAPSHOT_SUFFIX)] : []),
      ...(workers > 1 ? [ours(workers)] : []),
      ...(against ? [ours(null, against, ' (against)')] : []),
      ...(against && workers > 1 ? [ours(workers, against, ' (against)')] : []),
      ...(peer
        ? [
            {
              name: 'FastAPI peer',
              command: PYTHON,
              args: (port: number) => uvicornArgs(port, 1),
              env: { PEER_MODEL: peerModel },
            },
          ]
        : []),
      {
        name: 'bare node:http',
        command: node,
        args: () => ['--input-type=module', '-e', BARE_NODE_SOURCE],
      },
    ];
    // One start of each, untimed: the first start after a build reads files from disk.
    for (const c of contenders) await timeStart(c);
    const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
    for (let round = 0; round < runs; round++) {
      for (const c of contenders) times.get(c.name)!.push(await timeStart(c));
    }
    const bare = times.get('bare node:http')!;
    const rows = contenders.map((c) => {
      const t = times.get(c.name)!;
      // Paired: each round's start against the bare server's start in the same round.
      const r = ratios(t, bare);
      return [
        c.name,
        `${fmt(median(t))} ms`,
        `${fmtRange(t)} ms`,
        c.name === 'bare node:http' ? '1.00×' : `${fmt(median(r), 2)}×`,
        `${fmtRange(r, 2)}×`,
      ];
    });
    const headers = ['server', 'median', 'min–max', '÷ bare (paired median)', '÷ bare min–max'];
    const ourRatio = median(ratios(times.get(DEFAULT_NAME)!, bare));
    const imageName = `${DEFAULT_NAME}${SNAPSHOT_SUFFIX}`;
    const imageRatio = times.has(imageName) ? median(ratios(times.get(imageName)!, bare)) : null;
    process.stdout.write(
      [
        '',
        markdownTable(headers, rows),
        '',
        `- ${ourRatio <= GOAL_RATIO_TO_BARE ? 'met' : 'MISSED'}: the default serve's cold start ≤ ${GOAL_RATIO_TO_BARE}× a bare node:http server (${fmt(ourRatio, 2)}×)`,
        ...(imageRatio === null
          ? []
          : [
              `- ${imageRatio <= GOAL_RATIO_TO_BARE ? 'met' : 'MISSED'}: the same from its startup snapshot, as the image starts it (${fmt(imageRatio, 2)}×)`,
            ]),
        `- ${runs} rounds, spawn → first 200 from /ready; ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}; 1-minute load ${load} at start; NODE_EXTRA_CA_CERTS unset for the servers.`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench:cold: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);

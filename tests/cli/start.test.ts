import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectWorkspace } from '../actions/workspace.js';
import { listening, logLines, runService, type ServeProcess } from '../service/serve-process.js';
import { cli } from './run-cli.js';

// `oncoclear start` (what `npm start` runs): the pipeline, then serve on the local registry, with
// serve's options and environment. It once ignored both and always bound 0.0.0.0:8000.

const ws = projectWorkspace('oncoclear-start-');
const running: ServeProcess[] = [];
afterAll(() => {
  for (const p of running) p.child.kill('SIGKILL');
  rmSync(ws, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string> = {}): ServeProcess {
  const p = runService(['start', ...args], env, { cwd: ws });
  running.push(p);
  return p;
}

describe('oncoclear start', () => {
  it('runs the pipeline, then serves the local registry where --host and PORT say', async () => {
    const p = start(['--host', '127.0.0.1'], { PORT: '0' });
    const line = await listening(p);
    expect(line.host).toBe('127.0.0.1');
    expect(line.port).not.toBe(8000);
    expect(line.source).toMatch(/\.local\/registry/);
    expect(p.err()).toMatch(/Loaded \d+ rows/); // the pipeline ran first
    const ready = await fetch(`http://127.0.0.1:${line.port}/ready`);
    expect(ready.status).toBe(200);
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
    expect(logLines(p, 'stopped')).toHaveLength(1);
  });

  it("serves the config's model when the local registry holds others too", async () => {
    // A second model in .local/registry (another config, or a renamed model): serve alone would
    // refuse to choose and advise --model-name, which start refuses.
    const config = JSON.parse(readFileSync(join(ws, 'oncoclear.config.json'), 'utf8'));
    const other = join(ws, 'other.config.json');
    writeFileSync(other, JSON.stringify({ ...config, model: { ...config.model, name: 'other' } }));
    expect((await cli(['pipeline', '--config', other], ws)).code).toBe(0);

    const p = start(['--host', '127.0.0.1'], { PORT: '0' });
    const line = await listening(p);
    expect((line.model as { name: string }).name).toBe(config.model.name);
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
  });

  it('outside a project: a usage error first, then that there is no config to run', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'oncoclear-start-empty-'));
    try {
      const usage = runService(['start', '--port', 'abc'], {}, { cwd: empty });
      expect(await usage.exited).toBe(2);
      expect(usage.err()).toContain("--port 'abc' is not valid");
      const none = runService(['start'], {}, { cwd: empty });
      expect(await none.exited).toBe(1);
      expect(none.err().trim()).toBe(
        "oncoclear start: start runs the pipeline on ./oncoclear.config.json, which is not here; run it from the project's root (or 'oncoclear init' a project first).",
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses an unknown option or a model of its own before the pipeline runs', async () => {
    for (const [args, message] of [
      [['--frobnicate'], /Unknown option '--frobnicate'.*oncoclear serve --help/],
      [['--model', 'x.json'], /takes no --model; run 'oncoclear serve --model \.\.\.'/],
      [['--registry=registry'], /takes no --registry/],
      [['--port', 'eighty'], /--port 'eighty'/],
    ] as const) {
      const p = start([...args]);
      expect(await p.exited, args.join(' ')).toBe(2);
      expect(p.err()).toMatch(message);
      // Nothing trained: the pipeline's progress never began.
      expect(p.err()).not.toMatch(/Loaded \d+ rows/);
    }
  });
});

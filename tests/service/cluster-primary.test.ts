import { describe, expect, it } from 'vitest';
import { createLogger } from '../../service/log.js';
import { runPrimary } from '../../service/node/cluster.js';
import { signalInbox } from '../../service/node/cluster-messages.js';
import type { WorkerLink } from '../../service/node/worker-link.js';

// The primary's bookkeeping for its own server (`self`), in-process: with one server in all it
// forks nothing, so what it does with signals, the drain's finish and the exit code shows alone.
// tests/service/cluster.test.ts and drain.test.ts run real clusters.
function primary(self: (link: WorkerLink) => Promise<unknown>) {
  let signal: ((s: NodeJS.Signals) => void) | null = null;
  const exits: number[] = [];
  const lines: string[] = [];
  const serving = runPrimary({
    workers: 1,
    serve: {},
    logger: createLogger((line) => lines.push(line)),
    exit: (code) => exits.push(code),
    subscribe: (handler) => {
      signal = handler;
    },
    self,
  });
  return { serving, exits, lines, signal: (s: NodeJS.Signals) => signal!(s) };
}

describe('a cluster primary that serves too', () => {
  it('replays a signal that came while its own server was starting', async () => {
    // Arrange: a server that takes signals only once it has "listened".
    let listen!: () => void;
    const listened = new Promise<void>((r) => {
      listen = r;
    });
    const heard: NodeJS.Signals[] = [];
    const p = primary(async (link) => {
      await listened;
      link.signals((s) => heard.push(s));
    });

    // Act: SIGTERM before it takes signals, then SIGINT after.
    p.signal('SIGTERM');
    listen();
    await new Promise((r) => setTimeout(r, 0));
    p.signal('SIGINT');

    // Assert: both reached it, in order; the second as a second signal.
    expect(heard).toEqual(['SIGTERM', 'SIGINT']);
  });

  it('finishes its connections once its listener is closed, and exits with its code', async () => {
    const finished: string[] = [];
    let link!: WorkerLink;
    const p = primary(async (l) => {
      link = l;
      l.listening({ url: 'http://x', port: 1, addresses: [], model: { name: 'm', version: '1' } });
    });
    await expect(p.serving).resolves.toMatchObject({ port: 1 });
    link.afterListenerClosed(() => finished.push('finish'));
    expect(finished).toEqual(['finish']);
    expect(p.exits).toEqual([]);
    link.exit!(0);
    expect(p.exits).toEqual([0]);
  });

  it('fails the start when its own server cannot start, leaving the exit to the entry', async () => {
    const p = primary(async () => {
      throw new Error('Checksum mismatch');
    });
    await expect(p.serving).rejects.toThrow('Checksum mismatch');
    // Nothing forked, nothing to wait for: the entry prints why and the process ends by itself.
    expect(p.exits).toEqual([]);
  });
});

describe('a server’s signal inbox', () => {
  it('holds signals until the server takes them, then hands them over in order, each once', () => {
    const inbox = signalInbox();
    const heard: NodeJS.Signals[] = [];
    inbox.deliver('SIGTERM');
    const release = inbox.take((s) => heard.push(s));
    expect(heard).toEqual(['SIGTERM']);
    inbox.deliver('SIGINT');
    expect(heard).toEqual(['SIGTERM', 'SIGINT']);
    release();
    inbox.deliver('SIGTERM');
    expect(heard).toEqual(['SIGTERM', 'SIGINT']);
  });
});

import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../service/log.js';
import type { WorkerLink } from '../../service/node/worker-link.js';
import { parseServeOptions } from '../../service/options.js';
import { StoppedBeforeListening, startServing } from '../../service/serve.js';
import { installShutdown, listen } from '../../service/server.js';
import { trainFixture } from './fixture.js';

const fx = trainFixture();
afterAll(() => fx.cleanup());

const limits = {
  maxConnections: 10,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 60_000,
};

describe('a shutdown whose finish never comes', () => {
  it('still closes the connections at the deadline, timed from the listener’s close', async () => {
    // Arrange: a server with one idle keep-alive connection, in a "cluster" that never says finish.
    const { server, port, guard } = await listen(
      (_req, res) => {
        res.end('ok');
      },
      { port: 0, host: '127.0.0.1', limits },
    );
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((r) => socket.once('data', () => r()));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    const exits: number[] = [];
    const lines: string[] = [];
    let signal!: (s: NodeJS.Signals) => void;
    installShutdown(server, {
      logger: createLogger((line) => lines.push(line)),
      guard,
      onDrain: () => {},
      onClosed: () => {},
      drainMs: 0,
      timeoutMs: 200,
      exit: (code) => exits.push(code),
      subscribe: (handler) => {
        signal = handler;
        return () => {};
      },
      afterListenerClosed: () => {},
    });

    // Act
    signal('SIGTERM');
    await closed;

    // Assert: the deadline cut the connection (no finish ever ran), and the server stopped.
    await new Promise((r) => setTimeout(r, 50));
    const said = lines.map((l) => JSON.parse(l).msg as string);
    expect(said).toContain('shutdown deadline passed; closing connections');
    expect(said).not.toContain('listener closed; finishing in-flight requests');
    expect(exits).toEqual([0]);
  });
});

describe('a cluster worker told not to listen', () => {
  it('leaves before it listens, with StoppedBeforeListening', async () => {
    const options = parseServeOptions(
      ['--model', fx.file, '--port', '0', '--host', '127.0.0.1', '--no-watch'],
      {},
    )!;
    const lines: string[] = [];
    const asked: string[] = [];
    const link = {
      metrics: (local) => local,
      signals: () => () => {},
      listening: () => {
        asked.push('listening');
      },
      afterListenerClosed: (finish) => finish(),
      mayListen: async () => {
        asked.push('may-listen');
        return false;
      },
    } satisfies WorkerLink;
    await expect(
      startServing(
        options,
        createLogger((line) => lines.push(line)),
        link,
      ),
    ).rejects.toBeInstanceOf(StoppedBeforeListening);
    expect(asked).toEqual(['may-listen']);
    expect(lines.filter((l) => l.includes('"msg":"listening"'))).toEqual([]);
  });
});

import type { RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PROBE_ANSWERS } from '../routes/probes.js';

/** Paths answered even past the connection cap: what kubelet and KServe probe. */
const PROBE_PATHS: ReadonlySet<string> = new Set(PROBE_ANSWERS.keys());

/**
 * Connections accepted past the cap to answer probes on. They are never kept alive, and one that
 * has not sent a request yet is the first to be closed when another arrives, so a flood cannot
 * hold them.
 */
export const PROBE_RESERVE = 32;

interface Tracked {
  /** Requests in progress on this connection (0 or 1 without pipelining). */
  busy: number;
  /** Accepted past the cap: probes only, then closed. */
  overCap: boolean;
  /** Monotonic ms of the last request's end, or of the connection when none yet. */
  lastActive: number;
}

/**
 * Keeps a server reachable when clients hold more connections than it should serve: each
 * connection is tracked, and one arriving at the cap first displaces the connection idle the
 * longest (a keep-alive connection between requests, or one that has not sent a request: costless
 * for a well-behaved client to reopen, and all an idle-connection flood consists of). When every
 * connection is busy, the newcomer goes to the probe reserve: probes are answered, anything else
 * gets 503 with `Connection: close` at once instead of waiting. A slow-body attack therefore holds
 * at most `maxConnections` requests, each bounded by the server's requestTimeout.
 */
export interface ConnectionGuard {
  /** The request listener to give the server: tracks busy connections, refuses over the cap. */
  wrap(listener: RequestListener): RequestListener;
  /** Starts tracking the server's connections (call once, before it listens). */
  attach(server: Server): void;
  /** From now on every response carries `Connection: close` (shutdown). */
  closeAfterResponses(): void;
  /** Destroys connections without a request in progress that have been idle for `minIdleMs`. */
  closeIdle(minIdleMs: number): void;
  /** Open connections, and how many of them have a request in progress. */
  counts(): { open: number; busy: number };
}

const REFUSAL = JSON.stringify({
  error: 'Too many connections',
  details: { issues: [{ field: 'connection', message: 'the server is at its connection limit' }] },
});

export function createConnectionGuard(
  maxConnections: number,
  now: () => number = () => performance.now(),
): ConnectionGuard {
  const sockets = new Map<Socket, Tracked>();
  const inFlight = new Set<ServerResponse>();
  let closing = false;

  /** The connection without a request in progress idle the longest, in the chosen pool. */
  const idlest = (overCap: boolean, except: Socket): Socket | null => {
    let best: Socket | null = null;
    let bestAt = Number.POSITIVE_INFINITY;
    for (const [socket, t] of sockets) {
      if (socket === except || t.overCap !== overCap || t.busy > 0) continue;
      if (t.lastActive < bestAt) {
        best = socket;
        bestAt = t.lastActive;
      }
    }
    return best;
  };
  const evict = (socket: Socket | null): boolean => {
    if (!socket) return false;
    sockets.delete(socket);
    socket.destroy();
    return true;
  };

  const onConnection = (socket: Socket) => {
    const t: Tracked = { busy: 0, overCap: false, lastActive: now() };
    let normal = 0;
    let reserve = 0;
    for (const other of sockets.values()) {
      if (other.overCap) reserve++;
      else normal++;
    }
    sockets.set(socket, t);
    socket.once('close', () => sockets.delete(socket));
    if (normal < maxConnections || evict(idlest(false, socket))) return;
    t.overCap = true;
    if (reserve >= PROBE_RESERVE && !evict(idlest(true, socket))) {
      // Every reserved connection is answering a probe right now: no descriptor to spare.
      sockets.delete(socket);
      socket.destroy();
    }
  };

  return {
    attach(server) {
      // Before Node's own listener, so the newcomer is classified before its first byte is parsed.
      server.prependListener('connection', onConnection);
    },
    wrap(listener) {
      return (req, res) => {
        const t = sockets.get(req.socket);
        inFlight.add(res);
        if (t) t.busy++;
        res.once('close', () => {
          inFlight.delete(res);
          if (t) {
            t.busy--;
            t.lastActive = now();
          }
        });
        if (closing || t?.overCap) res.setHeader('connection', 'close');
        if (t?.overCap && !PROBE_PATHS.has(pathOf(req.url))) {
          res.writeHead(503, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(REFUSAL),
            'retry-after': '1',
            connection: 'close',
          });
          res.end(REFUSAL);
          return;
        }
        listener(req, res);
      };
    },
    closeAfterResponses() {
      closing = true;
      // Requests already in progress: their responses have not started, so they can still say it.
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    },
    closeIdle(minIdleMs) {
      const cutoff = now() - minIdleMs;
      for (const [socket, t] of sockets) if (t.busy === 0 && t.lastActive <= cutoff) evict(socket);
    },
    counts() {
      let busy = 0;
      for (const t of sockets.values()) if (t.busy > 0) busy++;
      return { open: sockets.size, busy };
    },
  };
}

/** The path of a request's target, without its query. */
export function pathOf(url: string | undefined): string {
  const path = url ?? '/';
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/*
 * The lock protocol.
 *
 * Acquire. The owner record is written to a private temp file (`<lock>.<pid>.<random>.tmp`) and
 * hard-linked to `<lock>`. link() is atomic and fails with EEXIST, so whoever links first holds
 * the lock, and the lock file is complete the moment it exists: no one ever reads a half-written
 * lock of ours.
 *
 * Release. The holder removes `<lock>` only while it still carries the holder's token.
 *
 * Take-over. A lock is abandoned only when its owner is provably gone: same host, same pid
 * namespace, and the pid no longer exists (or the machine rebooted, or the pid now belongs to a
 * process that started later). A lock from another host, or from a live pid, is waited for and
 * never removed. A lock that is not valid JSON (a foreign or legacy writer) counts as abandoned
 * once it is a few seconds old.
 *   Deleting an abandoned lock by path is the bug this module replaces: between reading the stale
 * owner and deleting, another process may already have removed it and linked a fresh lock, which
 * the delete then destroys. Renaming the stale lock aside and checking what was moved does not
 * fix it either: if the moved file turns out to be a live lock, the path was empty for a moment
 * and a third process may have got in, so two processes hold the lock.
 *   Instead, removing the lock generation whose token is T requires first creating the guard
 * `<lock>.takeover.T` (again by link, so at most one process holds it). Holding the guard, the
 * process re-reads `<lock>` and removes it only if it still carries T, then removes the guard.
 * That read and the removal cannot be interleaved with a change to `<lock>`: while it carries T,
 * its owner is dead, new acquirers fail with EEXIST, and the only other way to remove it is to
 * hold the same guard. After the removal everyone races for `<lock>` through link() again.
 * Tokens are random and never reused, so a guard for any token other than the current one is
 * inert: its holder will find `<lock>` changed and do nothing. That is why a process that has just
 * acquired `<lock>` may sweep away every guard, including those left by a taker killed mid-way.
 * A guard whose own owner died while `<lock>` still carries T is removed by the same rule, one
 * level up (`<lock>.takeover.<guard token>`).
 */

const DEFAULT_TIMEOUT_MS = 30_000;
/** A lock file that is not valid JSON is abandoned at this age; ours are complete on creation. */
const UNREADABLE_GRACE_MS = 5_000;
/** How many dead guards deep a take-over will chase before it waits instead. */
const MAX_GUARD_DEPTH = 4;
/** A temp file written by `writeJsonAtomic` or by this module: `<file>.<pid>.<random>.tmp`. */
const TEMP_NAME = /^(.+)\.(\d+)\.[0-9a-f]+\.tmp$/;
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** What a lock file records about its holder. */
export interface LockOwner {
  pid: number;
  /** `os.hostname()` of the holder; a pid means nothing on another host. */
  host: string;
  /** Random, unique to one acquisition; release and take-over compare it. */
  token: string;
  /** ISO time of acquisition, for the humans reading an error. */
  time: string;
  /** Linux: `/proc/sys/kernel/random/boot_id`, so a lock from before a reboot is recognised. */
  bootId?: string;
  /** Linux: the holder's pid namespace; containers sharing a volume must not compare pids. */
  pidNamespace?: string;
  /** Linux: the holder's start time in clock ticks, so a reused pid is recognised. */
  startTicks?: string;
}

export interface AcquireLockOptions {
  /** How long to wait for a live holder before failing; 30 s by default. */
  timeoutMs?: number;
  /** Receives one line when a dead holder's lock is removed and when we start waiting. */
  log?: (message: string) => void;
  /** Backoff between attempts, injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

type LockState =
  | { kind: 'missing' }
  | { kind: 'owned'; id: string; owner: LockOwner }
  | { kind: 'unreadable'; id: string; ageMs: number };

type HeldState = Exclude<LockState, { kind: 'missing' }>;

/**
 * Takes the exclusive lock `lockFile` and returns the function that releases it. A lock whose
 * holder is provably gone is taken over at once; a live holder is waited for, and after
 * `timeoutMs` the error names its pid, host and the lock file.
 *
 * @example
 * const release = await acquireLock(`${registryFile}.lock`);
 * try { writeJsonAtomic(registryFile, text); } finally { release(); }
 */
export async function acquireLock(
  lockFile: string,
  options: AcquireLockOptions = {},
): Promise<() => void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = options.log ?? (() => {});
  const sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  mkdirSync(dirname(lockFile), { recursive: true });
  const self = currentOwner();
  const candidate = writeCandidate(lockFile, self);
  const started = Date.now();
  let wait = 5;
  let announced = false;
  try {
    for (;;) {
      if (linkCandidate(candidate, lockFile, self)) {
        sweepAfterAcquire(lockFile);
        return () => {
          if (!releaseIfOurs(lockFile, self.token))
            log(`${lockFile} no longer carries our token (${self.token}); left it in place`);
        };
      }
      const state = inspect(lockFile);
      if (state.kind === 'missing') continue; // released between our link and our read
      const why = abandonment(state, self);
      if (why !== undefined) {
        if (removeAbandoned(lockFile, lockFile, state, self, 0)) {
          log(`Removed abandoned lock ${lockFile} (${describe(state)}): ${why}`);
          continue;
        }
      } else if (!announced) {
        log(`Waiting for ${lockFile}, held by ${describe(state)}`);
        announced = true;
      }
      if (Date.now() - started >= timeoutMs)
        throw new Error(timeoutMessage(lockFile, state, timeoutMs));
      await sleep(wait + Math.random() * wait);
      wait = Math.min(wait * 2, 200);
    }
  } finally {
    rmSync(candidate, { force: true });
  }
}

/**
 * Removes `<prefix>.<pid>.<random>.tmp` files in `dir` (and `<prefix>.<anything>.<pid>…tmp`, such
 * as the lock's own) whose writer pid no longer exists on this host. Call it while holding the
 * lock, so no writer that follows the protocol is mid-write.
 *
 * @example
 * cleanStaleTemps(registryDir, 'registry.json'); // registry.json.4242.9f3a1c2b.tmp of a dead pid
 */
export function cleanStaleTemps(dir: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (!match || (match[1] !== prefix && !match[1].startsWith(`${prefix}.`))) continue;
    const pid = Number(match[2]);
    if (pid !== process.pid && pidIsGone(pid)) rmSync(join(dir, name), { force: true });
  }
}

function currentOwner(): LockOwner {
  return {
    pid: process.pid,
    host: hostname(),
    token: randomBytes(16).toString('hex'),
    time: new Date().toISOString(),
    ...linuxIdentity(process.pid),
  };
}

function linuxIdentity(pid: number): Pick<LockOwner, 'bootId' | 'pidNamespace' | 'startTicks'> {
  if (process.platform !== 'linux') return {};
  return { bootId: bootId(), pidNamespace: pidNamespace(), startTicks: startTicks(pid) };
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined; // not Linux, or /proc not mounted: fall back to the pid check alone
  }
}

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat; the command name before it may contain spaces and ')'. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function writeCandidate(lockFile: string, owner: LockOwner): string {
  const temp = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify(owner)}\n`, { flag: 'wx' });
  return temp;
}

/** Atomically creates `target` with the candidate's content; false if it already exists. */
function linkCandidate(candidate: string, target: string, owner: LockOwner): boolean {
  try {
    linkSync(candidate, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS')
      throw error;
  }
  // No hard links on this file system: O_EXCL still decides the winner, but a crash between
  // open and write leaves an unreadable lock, which the grace period then treats as abandoned.
  let fd: number;
  try {
    fd = openSync(target, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeFileSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function createExclusive(target: string, owner: LockOwner): boolean {
  const candidate = writeCandidate(target, owner);
  try {
    return linkCandidate(candidate, target, owner);
  } finally {
    rmSync(candidate, { force: true });
  }
}

/** Reads a lock through one descriptor, so its identity and its content belong to the same file. */
function inspect(path: string): LockState {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    const owner = parseOwner(readFileSync(fd, 'utf8'));
    if (owner) return { kind: 'owned', id: owner.token, owner };
    return {
      kind: 'unreadable',
      id: `i${stat.ino}m${stat.mtimeNs}s${stat.size}`,
      ageMs: Date.now() - Number(stat.mtimeMs),
    };
  } finally {
    closeSync(fd);
  }
}

function parseOwner(text: string): LockOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const owner = value as Record<string, unknown>;
  // pid 0 and negative pids would make process.kill signal whole process groups.
  const valid =
    Number.isSafeInteger(owner.pid) &&
    (owner.pid as number) > 0 &&
    typeof owner.host === 'string' &&
    typeof owner.token === 'string' &&
    TOKEN.test(owner.token) &&
    typeof owner.time === 'string';
  return valid ? (value as LockOwner) : undefined;
}

/** Why the holder is provably gone, or undefined if it may still be running. */
function abandonment(state: HeldState, self: LockOwner): string | undefined {
  if (state.kind === 'unreadable') {
    return state.ageMs >= UNREADABLE_GRACE_MS
      ? `the lock file is not a valid owner record and is ${Math.round(state.ageMs / 1000)} s old`
      : undefined;
  }
  const { owner } = state;
  if (owner.host !== self.host) return undefined;
  if (owner.bootId && self.bootId && owner.bootId !== self.bootId) return 'the host has rebooted';
  if (owner.pidNamespace && self.pidNamespace && owner.pidNamespace !== self.pidNamespace)
    return undefined;
  if (pidIsGone(owner.pid)) return `pid ${owner.pid} is no longer running`;
  const now = owner.startTicks ? startTicks(owner.pid) : undefined;
  if (now && now !== owner.startTicks) return `pid ${owner.pid} now belongs to another process`;
  return undefined;
}

function pidIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes `target` if it is still the abandoned generation `seen`, holding the guard
 * `<lock>.takeover.<id>` while it checks and removes. False when another taker holds the guard.
 */
function removeAbandoned(
  lockFile: string,
  target: string,
  seen: HeldState,
  self: LockOwner,
  depth: number,
): boolean {
  const guard = `${lockFile}.takeover.${seen.id}`;
  const guardOwner = { ...self, token: randomBytes(16).toString('hex') };
  if (!createExclusive(guard, guardOwner)) {
    const holder = inspect(guard);
    if (
      depth < MAX_GUARD_DEPTH &&
      holder.kind !== 'missing' &&
      abandonment(holder, self) !== undefined
    ) {
      removeAbandoned(lockFile, guard, holder, self, depth + 1);
    }
    return false;
  }
  try {
    const now = inspect(target);
    if (now.kind === 'missing') return true;
    if (now.id !== seen.id) return false;
    rmSync(target, { force: true });
    return true;
  } finally {
    releaseIfOurs(guard, guardOwner.token);
  }
}

/** Removes `path` only if it carries `token`; a live holder's lock cannot change under it. */
function releaseIfOurs(path: string, token: string): boolean {
  const state = inspect(path);
  if (state.kind !== 'owned' || state.owner.token !== token) return false;
  rmSync(path, { force: true });
  return true;
}

/** While we hold the lock every take-over guard is inert (see above), as are dead pids' temps. */
function sweepAfterAcquire(lockFile: string): void {
  const dir = dirname(lockFile);
  const guardPrefix = `${basename(lockFile)}.takeover.`;
  for (const name of readdirSync(dir)) {
    if (name.startsWith(guardPrefix) && !name.endsWith('.tmp'))
      rmSync(join(dir, name), { force: true });
  }
  cleanStaleTemps(dir, basename(lockFile));
}

function describe(state: HeldState): string {
  if (state.kind === 'unreadable') return 'an unreadable owner record';
  const { pid, host, time } = state.owner;
  return `pid ${pid} on ${host} since ${time}`;
}

function timeoutMessage(lockFile: string, state: HeldState, timeoutMs: number): string {
  const waited = `${timeoutMs / 1000} s`;
  if (state.kind === 'unreadable') {
    return `Lock ${lockFile} holds no valid owner record and is younger than ${UNREADABLE_GRACE_MS / 1000} s; gave up after ${waited}.`;
  }
  const { pid, host, time } = state.owner;
  const why =
    host === hostname()
      ? 'that process is still running'
      : 'it is on another host, so this one cannot tell whether it is still running';
  return `Lock ${lockFile} is held by pid ${pid} on ${host} since ${time}; gave up after ${waited} because ${why}. If that process is stuck or gone, stop it or delete ${lockFile}.`;
}

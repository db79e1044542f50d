import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, cleanStaleTemps, type LockOwner } from '../../src/registry/lock.js';
import { formatJson } from '../../src/util/json-file.js';
import { tempDir } from '../support/fixtures.js';
import { deadPid, exited, spawnFixture, waitForLine } from './fixtures/processes.js';

const root = tempDir('oncoclear-lock-');
let cases = 0;
/** A new, empty directory for one case. */
const freshDir = () => {
  const dir = join(root, `case-${++cases}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

function writeOwner(lockFile: string, owner: Partial<LockOwner>): void {
  const record = {
    host: hostname(),
    token: 'stale0owner',
    time: new Date().toISOString(),
    ...owner,
  };
  writeFileSync(lockFile, `${JSON.stringify(record)}\n`);
}

function ageBy(file: string, seconds: number): void {
  const then = new Date(Date.now() - seconds * 1000);
  utimesSync(file, then, then);
}

describe('acquireLock', () => {
  it('hands out every increment exactly once when six processes race past a dead owner', async () => {
    const processes = 6;
    const cycles = 5;
    for (let trial = 1; trial <= 8; trial++) {
      // Arrange: a lock a minute old whose owner was killed, the case that used to be deleted by
      // path by every racer at once.
      const dir = freshDir();
      const lockFile = join(dir, 'counter.json.lock');
      const counterFile = join(dir, 'counter.json');
      writeFileSync(counterFile, formatJson({ value: 0 }));
      writeOwner(lockFile, { pid: await deadPid(), token: `dead${trial}` });
      ageBy(lockFile, 120);
      const children = Array.from({ length: processes }, () =>
        spawnFixture('increment.ts', [lockFile, counterFile, String(cycles)]),
      );
      await Promise.all(children.map((child) => waitForLine(child, 'ready')));

      // Act: release them together.
      const outputs = children.map(async (child) => {
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk;
        });
        const code = await exited(child);
        expect(code, `trial ${trial}`).toBe(0);
        return JSON.parse(out.trim().split('\n').at(-1)!) as number[];
      });
      for (const child of children) child.stdin!.end('go\n');
      const handedOut = (await Promise.all(outputs)).flat();

      // Assert: no lost or duplicate increments, and nothing left behind.
      const total = processes * cycles;
      expect(
        handedOut.toSorted((a, b) => a - b),
        `trial ${trial}`,
      ).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(JSON.parse(readFileSync(counterFile, 'utf8'))).toEqual({ value: total });
      expect(readdirSync(dir), `trial ${trial}`).toEqual(['counter.json']);
    }
  });

  it('takes over a dead owner at once, even with no time to wait', async () => {
    const dir = freshDir();
    const lockFile = join(dir, 'r.lock');
    const pid = await deadPid();
    writeOwner(lockFile, { pid });
    const lines: string[] = [];

    const release = await acquireLock(lockFile, { timeoutMs: 0, log: (m) => lines.push(m) });

    expect(lines.join('\n')).toContain(`pid ${pid} is no longer running`);
    const owner = JSON.parse(readFileSync(lockFile, 'utf8')) as LockOwner;
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    expect(owner.token).toMatch(/^[0-9a-f]{32}$/);
    expect(Number.isNaN(Date.parse(owner.time))).toBe(false);
    release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it('never takes over a live process’s fresh lock and names its pid, host and file', async () => {
    const dir = freshDir();
    const lockFile = join(dir, 'r.lock');
    const holder = spawnFixture('hold.ts', [lockFile]);
    await waitForLine(holder, 'locked');
    const before = readFileSync(lockFile, 'utf8');

    const attempt = acquireLock(lockFile, { timeoutMs: 300 });

    await expect(attempt).rejects.toThrow(
      `Lock ${lockFile} is held by pid ${holder.pid} on ${hostname()}`,
    );
    expect(readFileSync(lockFile, 'utf8')).toBe(before);
    holder.stdin!.end();
    await exited(holder);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('waits for a live holder and gets the lock once it is released', async () => {
    const dir = freshDir();
    const lockFile = join(dir, 'r.lock');
    const holder = spawnFixture('hold.ts', [lockFile]);
    await waitForLine(holder, 'locked');
    const lines: string[] = [];

    const attempt = acquireLock(lockFile, { timeoutMs: 20_000, log: (m) => lines.push(m) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    holder.stdin!.end();
    const release = await attempt;

    expect(lines[0]).toContain(`Waiting for ${lockFile}, held by pid ${holder.pid}`);
    release();
    await exited(holder);
  });

  it('never takes over a lock from another host, even one naming a dead pid', async () => {
    const dir = freshDir();
    const lockFile = join(dir, 'r.lock');
    writeOwner(lockFile, { pid: await deadPid(), host: 'runner-elsewhere', token: 'foreign1' });

    const attempt = acquireLock(lockFile, { timeoutMs: 200 });

    await expect(attempt).rejects.toThrow(/on runner-elsewhere since .* on another host/);
    expect(JSON.parse(readFileSync(lockFile, 'utf8')).token).toBe('foreign1');
  });

  it('does not release a lock that no longer carries its token', async () => {
    const dir = freshDir();
    const lockFile = join(dir, 'r.lock');
    const lines: string[] = [];
    const release = await acquireLock(lockFile, { log: (m) => lines.push(m) });
    writeOwner(lockFile, { pid: process.pid, token: 'someone0else' });

    release();

    expect(JSON.parse(readFileSync(lockFile, 'utf8')).token).toBe('someone0else');
    expect(lines.join('\n')).toContain('no longer carries our token');
  });

  it('treats a half-written lock as abandoned only once it is a few seconds old', async () => {
    const dir = freshDir();
    const lockFile = join(dir, 'r.lock');
    writeFileSync(lockFile, '{"pid": 12');

    await expect(acquireLock(lockFile, { timeoutMs: 200 })).rejects.toThrow(
      /no valid owner record/,
    );
    ageBy(lockFile, 10);
    const release = await acquireLock(lockFile, { timeoutMs: 0 });

    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(process.pid);
    release();
  });

  it('recovers when the process taking over a dead lock died holding the take-over guard', async () => {
    const dir = freshDir();
    const lockFile = join(dir, 'r.lock');
    writeOwner(lockFile, { pid: await deadPid(), token: 'deadowner' });
    writeOwner(`${lockFile}.takeover.deadowner`, { pid: await deadPid(), token: 'deadtaker' });

    const release = await acquireLock(lockFile, { timeoutMs: 2000 });

    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(process.pid);
    expect(readdirSync(dir)).toEqual(['r.lock']);
    release();
  });

  it.runIf(process.platform === 'linux')(
    'takes over a lock whose pid now belongs to a later process, or predates a reboot',
    async () => {
      const dir = freshDir();
      const lockFile = join(dir, 'r.lock');

      writeOwner(lockFile, { pid: process.pid, token: 'reused', startTicks: '1' });
      await acquireLock(lockFile, { timeoutMs: 0 }).then((release) => release());
      writeOwner(lockFile, { pid: process.pid, token: 'preboot', bootId: 'another-boot' });
      await acquireLock(lockFile, { timeoutMs: 0 }).then((release) => release());

      expect(existsSync(lockFile)).toBe(false);
    },
  );
});

describe('cleanStaleTemps', () => {
  it('removes temp files of dead writers and keeps live writers’ and unrelated files', async () => {
    const dir = freshDir();
    const dead = await deadPid();
    const names = [
      `registry.json.${dead}.0a1b2c3d.tmp`,
      `registry.json.lock.${dead}.0a1b2c3d.tmp`,
      `registry.json.${process.pid}.0a1b2c3d.tmp`,
      `registry.json.${process.ppid}.0a1b2c3d.tmp`,
      `other.json.${dead}.0a1b2c3d.tmp`,
      'registry.json',
    ];
    for (const name of names) writeFileSync(join(dir, name), '{}');

    cleanStaleTemps(dir, 'registry.json');

    expect(readdirSync(dir).toSorted()).toEqual(
      [
        `registry.json.${process.pid}.0a1b2c3d.tmp`,
        `registry.json.${process.ppid}.0a1b2c3d.tmp`,
        `other.json.${dead}.0a1b2c3d.tmp`,
        'registry.json',
      ].toSorted(),
    );
  });
});

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, cleanStaleTemps } from '../../src/registry/lock.js';
import { formatJson } from '../../src/util/json-file.js';
import { tempDir } from '../support/fixtures.js';
import { exited, spawnFixture, waitForLine } from './fixtures/processes.js';

const root = tempDir('oncoclear-crash-');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a writer killed with SIGKILL while holding the lock', () => {
  it('leaves valid JSON, a lock the next writer takes over at once, and temps that can be cleaned', async () => {
    let trialsWithLeftoverTemp = 0;
    // Kill points spread over the first writes: before the first open, inside a write or fsync,
    // between rename and the next open.
    for (const delayMs of [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]) {
      // Arrange
      const dir = join(root, `kill-after-${delayMs}ms`);
      mkdirSync(dir, { recursive: true });
      const target = join(dir, 'target.json');
      const lockFile = `${target}.lock`;
      writeFileSync(target, formatJson({ n: 0 }));
      const writer = spawnFixture('crash-writer.ts', [lockFile, target]);
      await waitForLine(writer, 'locked');

      // Act
      await sleep(delayMs);
      writer.kill('SIGKILL');
      await exited(writer); // reaped: a zombie would still answer kill(pid, 0)

      // Assert: old or new content, never half of it.
      const content = JSON.parse(readFileSync(target, 'utf8')) as { n: number };
      expect(Number.isInteger(content.n), `killed after ${delayMs} ms`).toBe(true);
      // The old lock waited 30 s behind the dead pid and then failed; this must not wait at all.
      const release = await acquireLock(lockFile, { timeoutMs: 2000 });
      try {
        const temps = readdirSync(dir).filter((name) => name.endsWith('.tmp'));
        expect(temps.every((name) => name.startsWith(`target.json.${writer.pid}.`))).toBe(true);
        if (temps.length > 0) trialsWithLeftoverTemp++;
        cleanStaleTemps(dir, 'target.json');
        expect(readdirSync(dir).toSorted(), `killed after ${delayMs} ms`).toEqual([
          'target.json',
          'target.json.lock',
        ]);
      } finally {
        release();
      }
    }
    // Most kills land mid-write (see the fixture); make sure some did.
    expect(trialsWithLeftoverTemp).toBeGreaterThan(0);
  });
});

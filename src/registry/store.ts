import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/json-file.js';
import { REGISTRY_FILE, type Registry, readRegistryFile, serializeRegistry } from './schema.js';

const LOCK_TIMEOUT_MS = 30_000;
const STALE_LOCK_MS = 60_000;

/** A registry directory on disk: `registry.json` plus artifacts under `<model>/v<N>/`. */
export interface RegistryStore {
  readonly dir: string;
  read(): Registry;
  /**
   * Read-modify-write under an exclusive lock, written atomically. The callback sees the newest
   * state, so two writers can never hand out the same version number or drop each other's write.
   */
  update<T>(change: (registry: Registry) => { registry: Registry; result: T }): Promise<T>;
  /** Absolute path of a file given relative to the registry directory. */
  resolve(relative: string): string;
}

export function createRegistryStore(dir: string): RegistryStore {
  const file = join(dir, REGISTRY_FILE);
  return {
    dir,
    read: () => readRegistryFile(file),
    resolve: (relative) => join(dir, relative),
    async update(change) {
      mkdirSync(dir, { recursive: true });
      const release = await acquireLock(`${file}.lock`);
      try {
        const { registry, result } = change(readRegistryFile(file));
        writeJsonAtomic(file, serializeRegistry(registry));
        return result;
      } finally {
        release();
      }
    },
  };
}

/** An O_EXCL lock file holding the owner's pid; a lock older than a minute is treated as stale. */
async function acquireLock(lockFile: string): Promise<() => void> {
  const started = Date.now();
  let wait = 5;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    try {
      if (Date.now() - statSync(lockFile).mtimeMs > STALE_LOCK_MS) {
        rmSync(lockFile, { force: true });
        continue;
      }
    } catch {
      continue; // the holder released it between our two calls
    }
    if (Date.now() - started > LOCK_TIMEOUT_MS) {
      const owner = safeRead(lockFile);
      throw new Error(
        `Registry is locked by ${lockFile} (pid ${owner}) for over ${LOCK_TIMEOUT_MS / 1000} s; if no oncoclear process is running, delete that file.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait));
    wait = Math.min(wait * 2, 200);
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '?';
  }
}

import { mkdirSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { readRegistryDir, registryChangeFiles, writeRegistryFiles } from './layout.js';
import { acquireLock, cleanStaleTemps } from './lock.js';
import type { Registry } from './schema.js';

/** A registry directory on disk, in the layout that `layout.ts` owns. */
export interface RegistryStore {
  readonly dir: string;
  read(): Registry;
  /**
   * Read-modify-write under an exclusive lock. The callback sees the newest state, so two writers
   * can never hand out the same version number or drop each other's write; only the files that
   * the change adds or moves are written.
   */
  update<T>(change: (registry: Registry) => { registry: Registry; result: T }): Promise<T>;
  /**
   * Absolute path of a file given relative to the registry directory. Refuses a path that would
   * leave the directory (`..`, absolute paths), so no registry entry can point at another file.
   */
  resolve(relativePath: string): string;
}

export function createRegistryStore(dir: string): RegistryStore {
  const root = resolve(dir);
  return {
    dir,
    read: () => readRegistryDir(dir),
    resolve: (relativePath) => {
      const full = resolve(root, relativePath);
      const inside = relative(root, full);
      if (
        !inside ||
        inside.startsWith('..') ||
        inside.split(sep).includes('..') ||
        resolve(relativePath) === relativePath
      )
        throw new Error(
          `Registry path '${relativePath}' leaves the registry ${dir}; expected a path inside it such as 'oncoclear/v1/model.json'.`,
        );
      return full;
    },
    async update(change) {
      mkdirSync(dir, { recursive: true });
      const release = await acquireLock(join(dir, '.lock'));
      try {
        // A writer killed mid-write leaves temp files; it is gone, so they are ours to remove.
        cleanTempsUnder(dir);
        const before = readRegistryDir(dir);
        const { registry, result } = change(before);
        writeRegistryFiles(dir, registryChangeFiles(before, registry));
        return result;
      } finally {
        release();
      }
    },
  };
}

/** Removes dead writers' temp files (`<name>.<pid>.<hex>.tmp`) anywhere in the registry. */
function cleanTempsUnder(dir: string): void {
  const prefixes = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) cleanTempsUnder(join(dir, entry.name));
    else {
      const m = /^(.+)\.\d+\.[0-9a-f]+\.tmp$/.exec(entry.name);
      if (m) prefixes.add(m[1]!);
    }
  }
  for (const prefix of prefixes) cleanStaleTemps(dir, prefix);
}

import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Calls back when a file may have changed; returns a function that stops watching. */
export interface FileWatcher {
  watch(file: string, onChange: () => void): () => void;
}

/**
 * Watches the file's directory rather than the file: atomic writers (ours, editors, Kubernetes
 * ConfigMap/Secret mounts) replace the file by rename, which a watch on the old inode misses.
 * Events for the file, its `.sha256` sidecar or Kubernetes' `..data` symlink count; a burst of
 * them (write artifact, then sidecar) is coalesced by the debounce into one reload.
 */
export function directoryWatcher(debounceMs = 150): FileWatcher {
  return {
    watch(file, onChange) {
      const name = basename(file);
      const relevant = (f: string | null) =>
        f === null || f === name || f === `${name}.sha256` || f.startsWith('..');
      let timer: NodeJS.Timeout | undefined;
      let watcher: FSWatcher | undefined = watch(dirname(file), { persistent: false }, (_e, f) => {
        if (!relevant(f === null ? null : String(f))) return;
        clearTimeout(timer);
        timer = setTimeout(onChange, debounceMs);
      });
      // A watcher error (directory deleted) must not crash a serving process; keep the model.
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
      return () => {
        clearTimeout(timer);
        watcher?.close();
        watcher = undefined;
      };
    },
  };
}

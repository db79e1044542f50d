import { cpSync, existsSync } from 'node:fs';
import { createRegistryStore, type RegistryStore } from '../registry/store.js';

/** Where local runs keep their registry: git-ignored, so a clone stays clean. */
export const LOCAL_REGISTRY = '.local/registry';

/**
 * The registry a command works on: the one named by --registry, or else a git-ignored local copy,
 * seeded once from the committed registry so local runs never write to registry/ by accident.
 */
export function openRegistry(
  named: string | undefined,
  committed: string,
  log: (m: string) => void,
): RegistryStore {
  if (named) return createRegistryStore(named);
  if (!existsSync(LOCAL_REGISTRY)) {
    if (existsSync(committed)) {
      cpSync(committed, LOCAL_REGISTRY, { recursive: true });
      log(
        `Seeded the local registry ${LOCAL_REGISTRY} from ${committed}/ (pass --registry DIR to write elsewhere)`,
      );
    }
  }
  return createRegistryStore(LOCAL_REGISTRY);
}

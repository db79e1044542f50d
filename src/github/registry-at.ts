import { isMetadataPath, parseRegistryFiles, type RegistryFiles } from '../registry/layout.js';
import type { Registry } from '../registry/schema.js';
import type { GitClient } from './git.js';

/**
 * The registry's metadata files as committed at `ref` (artifacts are not read). Paths are
 * relative to `registryDir`, as the layout expects.
 */
export async function registryFilesAt(
  git: GitClient,
  ref: string,
  registryDir: string,
): Promise<RegistryFiles> {
  const dir = registryDir.replace(/\/+$/, '');
  const listing = await git.run(['ls-tree', '-r', '-z', '--name-only', ref, '--', `${dir}/`]);
  const files: RegistryFiles = new Map();
  for (const path of listing.split('\0')) {
    if (!path.startsWith(`${dir}/`)) continue;
    const relative = path.slice(dir.length + 1);
    if (!isMetadataPath(relative)) continue;
    const text = await git.show(ref, path);
    if (text !== null) files.set(relative, text);
  }
  return files;
}

/** The registry as committed at `ref`, validated like the one on disk. */
export async function registryAt(
  git: GitClient,
  ref: string,
  registryDir: string,
): Promise<Registry> {
  return parseRegistryFiles(
    await registryFilesAt(git, ref, registryDir),
    `${registryDir}@${ref.slice(0, 7)}`,
  );
}

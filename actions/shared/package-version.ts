import { readFileSync } from 'node:fs';

/** The checked-out project's package version, for artifact lineage. */
export function packageVersionFromWorkspace(file = 'package.json'): string {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

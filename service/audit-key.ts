// Where the audit fingerprints' key comes from, resolved once per process, or once per cluster by
// its primary (service/main.ts), which need not load the rest of serve for it.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AUDIT_KEY_MIN_BYTES } from './audit.js';
import type { ServeOptions } from './options.js';

/**
 * The key of the audit lines' input fingerprints: the one a cluster's primary resolved for all its
 * processes, else the key file's bytes, else a random one. A key file that cannot be read or is
 * too short refuses the start: lines fingerprinted under another key than the configured one
 * would not match anything the key's holder computes.
 */
export function resolveAuditKey(options: ServeOptions): {
  key: Uint8Array;
  source: 'file' | 'random';
} {
  if (options.auditKey)
    return { key: Buffer.from(options.auditKey.key, 'base64'), source: options.auditKey.source };
  const file = options.auditKeyFile;
  if (file !== null) {
    let key: Buffer;
    try {
      key = readFileSync(file);
    } catch (error) {
      throw new Error(
        `Cannot read the audit key file '${file}' (--audit-key-file or AUDIT_KEY_FILE): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; expected a readable file of at least ${AUDIT_KEY_MIN_BYTES} bytes.`,
      );
    }
    if (key.length < AUDIT_KEY_MIN_BYTES)
      throw new Error(
        `The audit key file '${file}' has ${key.length} bytes; expected at least ${AUDIT_KEY_MIN_BYTES} (e.g. 'openssl rand -out ${file} 32').`,
      );
    return { key, source: 'file' };
  }
  return { key: randomBytes(32), source: 'random' };
}

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file atomically and durably: a unique temp file in the same directory
 * (`<file>.<pid>.<random>.tmp`), fsync, rename, then fsync the directory, so a reader sees the old
 * bytes or the new ones and never half a file, and after a power cut the rename is not lost.
 */
export function writeJsonAtomic(file: string, text: string): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileDurable(temp, text);
    renameSync(temp, file);
  } catch (error) {
    // A full disk or a failed rename must not leave a temp file behind for a live writer.
    rmSync(temp, { force: true });
    throw error;
  }
  fsyncDir(dirname(file));
}

/**
 * Writes `bytes` to `file` and fsyncs it before returning, for artifact files that a registry entry
 * will point at. It does not fsync the directory: call {@link fsyncDir} once after writing a batch.
 */
export function writeFileDurable(file: string, bytes: string | Uint8Array): void {
  const fd = openSync(file, 'w');
  try {
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    let offset = 0;
    while (offset < buffer.byteLength) {
      offset += writeSync(fd, buffer, offset, buffer.byteLength - offset);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Fsyncs a directory so that files just created or renamed in it survive a power cut.
 * A no-op where the platform cannot open or fsync a directory.
 */
export function fsyncDir(dir: string): void {
  // Windows cannot open a directory as a file; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (error) {
    // Some file systems (certain FUSE and network mounts) reject fsync on a directory.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw error;
  } finally {
    closeSync(fd);
  }
}

/** Two-space JSON with a trailing newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

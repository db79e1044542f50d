import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';

/** `sha256:<hex>` of a byte string. */
export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** `sha256:<hex>` of a file's bytes, read in one go (data and artifacts here are small). */
export function fileSha256(file: string): string {
  return sha256(readFileSync(file));
}

/** Streaming variant for large files. */
export async function fileSha256Stream(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

import type { ArtifactClient } from '@actions/artifact';

/** The part of `@actions/artifact`'s client the upload needs, so tests can pass a fake. */
export type ArtifactUploader = Pick<ArtifactClient, 'deleteArtifact' | 'uploadArtifact'>;

export interface ReplaceArtifactOptions {
  name: string;
  files: string[];
  rootDirectory: string;
  retentionDays: number;
  /** Where a non-fatal problem is reported (`core.warning` in the action). */
  warn: (message: string) => void;
}

/**
 * Uploads `files` as the workflow artifact `name`, first deleting an artifact of that name this
 * run already holds. Artifact names are unique per workflow run, across its attempts, so without
 * the delete "Re-run all jobs" fails the upload with 409 Conflict. This is what
 * actions/upload-artifact does for `overwrite: true`.
 *
 * Returns the id of the new artifact and of the one it replaced, if any.
 */
export async function replaceArtifact(
  client: ArtifactUploader,
  options: ReplaceArtifactOptions,
): Promise<{ id: number | undefined; replaced: number | null }> {
  let replaced: number | null = null;
  try {
    replaced = (await client.deleteArtifact(options.name)).id;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    // The usual case, a first attempt: nothing to replace.
    if (name !== 'ArtifactNotFoundError') {
      // GitHub Enterprise Server has no artifact backend at all; the caller reports that.
      if (name === 'GHESNotSupportedError') throw error;
      const message = error instanceof Error ? error.message : String(error);
      options.warn(
        `Could not delete the artifact '${options.name}' an earlier attempt of this run uploaded (${message}); uploading anyway.`,
      );
    }
  }
  const { id } = await client.uploadArtifact(options.name, options.files, options.rootDirectory, {
    retentionDays: options.retentionDays,
  });
  return { id, replaced };
}

#!/usr/bin/env node
// Sets annotations on an OCI image index already in a registry, through the distribution API:
// GET the index by tag, merge the annotations in, PUT it back under the same tag, and print the
// new index digest (the registry's Docker-Content-Digest, checked against the bytes sent).
//
//   node scripts/image/annotate-index.mjs http://127.0.0.1:5000 oncoclear 0.1.0 \
//     org.opencontainers.image.description="…" org.opencontainers.image.licenses=MIT
//
// Why not buildah: `buildah manifest annotate --index` (index-level annotations, which the GHCR
// package page reads for a multi-arch image) arrived after buildah 1.28, Debian bookworm's. The
// release workflow sets the same keys with docker buildx (`--annotation index:KEY=VALUE`).
// Plain HTTP to a registry without authentication: for scripts/test-image.sh's local registry.
import { createHash } from 'node:crypto';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const [registry, repository, tag, ...pairs] = process.argv.slice(2);
if (!registry || !repository || !tag || pairs.length === 0) {
  console.error('Usage: annotate-index.mjs REGISTRY_URL REPOSITORY TAG KEY=VALUE...');
  process.exit(2);
}
const annotations = Object.fromEntries(
  pairs.map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) {
      console.error(`annotate-index: '${pair}' is not KEY=VALUE.`);
      process.exit(2);
    }
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);

const url = `${registry}/v2/${repository}/manifests/${tag}`;
const got = await fetch(url, { headers: { accept: INDEX } });
const type = got.headers.get('content-type');
if (!got.ok || type !== INDEX) {
  console.error(
    `annotate-index: GET ${url} answered ${got.status} ${type}; expected 200 ${INDEX}.`,
  );
  process.exit(1);
}
const index = await got.json();
index.annotations = { ...index.annotations, ...annotations };
const body = JSON.stringify(index);
const put = await fetch(url, { method: 'PUT', headers: { 'content-type': INDEX }, body });
const digest = put.headers.get('docker-content-digest');
const expected = `sha256:${createHash('sha256').update(body).digest('hex')}`;
if (put.status !== 201 || digest !== expected) {
  console.error(
    `annotate-index: PUT ${url} answered ${put.status} digest ${digest}; expected 201 ${expected}. ${await put.text()}`,
  );
  process.exit(1);
}
console.log(digest);

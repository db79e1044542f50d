#!/bin/sh
# The serving image's entrypoint (service/Dockerfile): runs `oncoclear "$@"`.
#
# `serve` starts from the V8 startup snapshot built in the image (dist/serve.blob, made by
# `node scripts/build.mjs --snapshot`; see docs/image.md), which skips compiling and evaluating
# the bundle: a third off every cold start. Only when the blob is there and newer than this node,
# since a blob runs only on the node that built it (another aborts). The snapshot itself hands over
# to the bundle when dist/ holds another build than it was made from (service/snapshot.ts).
# Anything else, or ONCOCLEAR_SNAPSHOT=0, runs the bundle. exec: node is PID 1 and gets signals.
set -eu
app="${0%/*}/.."
blob="$app/dist/serve.blob"
node="$(command -v node)"
if [ "${1:-}" = serve ] && [ "${ONCOCLEAR_SNAPSHOT:-1}" != 0 ] && [ -r "$blob" ] && [ "$blob" -nt "$node" ]; then
  exec "$node" --snapshot-blob "$blob" "$@"
fi
exec "$node" "$app/bin/oncoclear.js" "$@"

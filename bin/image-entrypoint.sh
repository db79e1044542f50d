#!/bin/sh
# The serving image's entrypoint (service/Dockerfile): runs `oncoclear "$@"`.
#
# `serve` starts from the V8 startup snapshot built in the image (dist/serve.blob, made by
# `node scripts/build.mjs --snapshot`; see docs/image.md), which skips compiling and evaluating
# the bundle. Only when the node on PATH is the one that built it (dist/serve.blob.node records
# its size and mtime): another node exits 14 on the blob. The snapshot itself hands over to the
# bundle when dist/ holds another build than it was made from (service/snapshot.ts). Anything
# else, or ONCOCLEAR_SNAPSHOT=0, runs the bundle. exec: node is PID 1 and gets the signals.
set -eu
self="$0"
# Run through a symlink (e.g. /usr/local/bin/oncoclear): the tree is the link's target's. `test -L`
# is a builtin, so the usual start (the script itself) forks nothing for it.
if [ -L "$self" ]; then self="$(readlink -f "$self")"; fi
case "$self" in
  */*) app="${self%/*}/.." ;;
  *) app=.. ;; # `sh image-entrypoint.sh`, run from bin/
esac
blob="$app/dist/serve.blob"
node="$(command -v node)" || { echo "oncoclear: no node on PATH" >&2; exit 127; }
if [ "${1:-}" = serve ] && [ "${ONCOCLEAR_SNAPSHOT:-1}" != 0 ] && [ -r "$blob" ]; then
  # `ls -lnL --time-style=+%s`: mode, links, uid, gid, size, mtime, path (GNU ls, as in the image).
  built_by=
  { read -r built_by <"$blob.node"; } 2>/dev/null || true # a builtin: no fork on the start path
  set -f # split ls's line into fields, with no globbing
  # shellcheck disable=SC2046 # split on purpose
  set -- $(ls -lnL --time-style=+%s "$node" 2>/dev/null || echo) -- "$@"
  this_node="${5:-} ${6:-}"
  while [ "$1" != -- ]; do shift; done
  shift
  set +f
  if [ "$built_by" = "$this_node" ]; then
    exec "$node" --snapshot-blob "$blob" "$@"
  fi
  echo "{\"level\":\"warn\",\"msg\":\"startup snapshot not used\",\"reason\":\"dist/serve.blob was built by another node than $node\"}" >&2
fi
exec "$node" "$app/bin/oncoclear.js" "$@"

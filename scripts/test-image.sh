#!/usr/bin/env bash
# Builds service/Dockerfile for real and tests the image: `npm run test:image`.
#
# No container registry is reachable here, so the Dockerfile's BASE_IMAGE (node:24-bookworm-slim) is
# replaced by a base assembled from this machine's node (scripts/image/make-base.sh). Then:
#   1. buildah builds service/Dockerfile (npm ci inside the build, so the npm registry must answer)
#      with the committed registry's production model baked in;
#   2. podman runs it (-p 127.0.0.1:PORT:8000) and probes /ready, /health, POST /predict, /model;
#   3. checks the service runs as uid 10001, not root; the OCI and model labels; the HEALTHCHECK;
#      the audit line of a prediction in the logs; a model mounted from a volume via MODEL_PATH;
#      and that SIGTERM (podman stop) ends the service with exit code 0.
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

Builds service/Dockerfile with a locally assembled Node base image, runs the image with podman and
checks it: readiness, /health, /predict, /model, non-root user, labels, HEALTHCHECK, audit log,
MODEL_PATH volume mount, graceful SIGTERM.

Options:
  --base IMAGE     use IMAGE as BASE_IMAGE instead of assembling one from the host's node
  --tag IMAGE      name of the built image (default localhost/oncoclear:test)
  --no-cache       reassemble the base image too
  --keep           leave the container running at the end (prints its URL)
  --fresh-model    bake a newly trained model (through a throwaway registry in .local/) instead of
                   the committed registry's production version; the default when there is none
  -h, --help       show this help

Environment: ONCOCLEAR_CONTAINERS_DIR (image storage, default /var/tmp/oncoclear-containers).
Needs root (re-runs itself with sudo otherwise) and the npm registry (npm ci in the build).
EOF
}

base=""
tag="localhost/oncoclear:test"
no_cache=0
keep=0
fresh_model=0
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="${2:?--base needs an image}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a name}"; shift 2 ;;
    --no-cache) no_cache=1; shift ;;
    --keep) keep=1; shift ;;
    --fresh-model) fresh_model=1; shift ;;
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
cleanup() {
  local c
  if [ "$keep" = 1 ] && [ ${#containers[@]} -gt 0 ]; then
    containers=("${containers[@]:1}") # leave the main container running
  fi
  for c in "${containers[@]}"; do podman_ rm -f -t 2 "$c" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

step "base image"
if [ -z "$base" ]; then
  force=()
  [ "$no_cache" = 1 ] && force=(--force)
  base="$(bash "$root/scripts/image/make-base.sh" "${force[@]}" | tail -1)"
fi
echo "BASE_IMAGE=$base" >&2

step "model"
registry_dir="registry"
if [ "$fresh_model" = 0 ] &&
  info="$(node bin/oncoclear.js registry export-model --registry registry --print 2>/dev/null)"; then
  echo "committed registry: $info" >&2
else
  # A throwaway registry with a fresh model, inside the build context (.dockerignore lets
  # .local/image-registry through): on request, or before a production version is committed.
  [ "$fresh_model" = 1 ] || echo "registry/ has no production version yet" >&2
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
if podman_ exec "$name" node -e "require('fs').writeFileSync('/app/model/model.json', 'x')" 2>/dev/null; then
  die "the service user can overwrite the baked model"
fi
echo "  ok   baked model is read-only to the service user" >&2

if podman_ healthcheck run "$name" >/dev/null 2>&1; then
  echo "  ok   HEALTHCHECK passes (podman healthcheck run)" >&2
else
  die "HEALTHCHECK failed (podman healthcheck run $name)"
fi

served_sha="$(podman_ exec "$name" node -e "
  const c = require('crypto').createHash('sha256').update(require('fs').readFileSync(process.env.MODEL_PATH));
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
podman_ run --rm --entrypoint node "$tag" 2> >(no_timer_noise) -e "
  const fs = require('fs');
  process.stdout.write(fs.readFileSync('/app/model/model.json'));" >"$vol/model.json"
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
rm -rf "$vol"

if [ "$keep" = 1 ]; then
  step "kept $name running at http://127.0.0.1:$port (podman rm -f $name to stop it)"
else
  step "graceful stop"
  t_stop=$EPOCHREALTIME
  podman_ stop -t 10 "$name" >/dev/null 2> >(no_timer_noise)
  code="$(podman_ inspect --format '{{.State.ExitCode}}' "$name")"
  [ "$code" = 0 ] || {
    logs "$name"
    die "SIGTERM ended the service with exit code $code; expected 0"
  }
  echo "  ok   SIGTERM → exit 0 in $(elapsed "$t_stop")s" >&2
fi

size="$(podman_ image inspect --format '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
printf '\ntest-image: PASSED: %s (%s, model %s v%s) built in %ss, whole run %ss\n' \
  "$tag" "$size" "$model_name" "$model_version" "$build_seconds" "$(elapsed "$t0")"

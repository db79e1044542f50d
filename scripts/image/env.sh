# Sourced by scripts/test-image.sh and scripts/image/make-base.sh: points buildah and podman at a
# private storage and engine configuration, so the user's own ~/.config/containers and
# /etc/containers stay untouched and the images of these scripts live apart from any others.
#
# Why these settings: in the sandboxes this project runs in, only the runc runtime, the cgroupfs
# cgroup manager and the vfs storage driver work (no overlay mounts, no systemd), and containers
# must run with low nofile/nproc limits. vfs copies every layer whole, so builds are slower and
# larger on disk than with overlay, but they work anywhere.
#
# Override the location with ONCOCLEAR_CONTAINERS_DIR (default /var/tmp/oncoclear-containers);
# delete that directory to drop every cached image.

ONCOCLEAR_CONTAINERS_DIR="${ONCOCLEAR_CONTAINERS_DIR:-/var/tmp/oncoclear-containers}"
mkdir -p "$ONCOCLEAR_CONTAINERS_DIR"

cat >"$ONCOCLEAR_CONTAINERS_DIR/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$ONCOCLEAR_CONTAINERS_DIR/storage"
runroot = "/run/oncoclear-containers"
EOF

cat >"$ONCOCLEAR_CONTAINERS_DIR/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF

export CONTAINERS_STORAGE_CONF="$ONCOCLEAR_CONTAINERS_DIR/storage.conf"
export CONTAINERS_CONF="$ONCOCLEAR_CONTAINERS_DIR/containers.conf"
export STORAGE_DRIVER=vfs
export BUILDAH_RUNTIME=runc
export BUILDAH_ISOLATION=oci

# The same limits again as flags, for tools that ignore containers.conf's default_ulimits.
ONCOCLEAR_ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
ONCOCLEAR_PODMAN=(podman --runtime runc --cgroup-manager cgroupfs)

#!/usr/bin/env bash
# Builds the edge-service container image WITHOUT a Docker daemon.
#
# Output (default target/image/, or IMAGE_OUT_DIR / --out DIR):
#   oci/              an OCI image layout (tag $IMAGE_TAG), for skopeo/crane/
#                     containerd: `skopeo copy oci:target/image/oci:latest docker://REGISTRY/edge-service:TAG`
#   edge-service.tar  one archive that is both an OCI layout and a `docker save`
#                     archive (manifest.json): `docker load -i target/image/edge-service.tar`
#   digest            the image manifest's digest (sha256:...)
#
# The image is what the Dockerfile at the repository root describes: platform
# wasi/wasm, one layer holding /edge_service.wasm, ENTRYPOINT on the module,
# PORT=8080 and HOST=0.0.0.0 in its environment, 8080/tcp exposed, and the
# manifest annotation module.wasm.image/variant=compat-smart that crun needs to
# run it with WasmEdge. It is built with umoci (Debian's package); the layer tar
# is made by GNU tar with fixed mtimes, owners and order, and every timestamp
# comes from SOURCE_DATE_EPOCH (default 0), so the same module always gives the
# same digests.
#
# Environment: WASM_MODULE (the module to package; default: the release build),
# IMAGE_NAME (edge-service), IMAGE_TAG (latest), IMAGE_OUT_DIR, SOURCE_DATE_EPOCH.
set -euo pipefail
requested_module="${WASM_MODULE:-}"
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# common.sh sets WASM_MODULE to the release build; an explicit one wins.
WASM_MODULE="${requested_module:-$WASM_MODULE}"

usage() {
  cat <<EOF
usage: scripts/image.sh [--out DIR]

Packages \$WASM_MODULE (default: target/wasm32-wasip1/release/edge_service.wasm)
as an OCI image (platform wasi/wasm) without a Docker daemon.
  --out DIR   where to write oci/, edge-service.tar and digest (default: target/image)
EOF
}

OUT_DIR="${IMAGE_OUT_DIR:-$REPO_ROOT/target/image}"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT_DIR="$2"; shift 2 ;;
    --out=*) OUT_DIR="${1#--out=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done

IMAGE_NAME="${IMAGE_NAME:-edge-service}"
IMAGE_TAG="${IMAGE_TAG:-latest}"
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}"
# The module's path inside the image. crun's compat-smart mode hands a container
# to WasmEdge only when the entrypoint's name ends in .wasm, so keep the suffix.
MODULE_IN_IMAGE="/edge_service.wasm"
PORT_IN_IMAGE=8080

[[ "$SOURCE_DATE_EPOCH" =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH must be a number of seconds, not '$SOURCE_DATE_EPOCH'"
[[ "$IMAGE_TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "IMAGE_TAG '$IMAGE_TAG' is not a valid image tag"
NAME_RE='^([a-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$'
[[ "$IMAGE_NAME" =~ $NAME_RE ]] \
  || die "IMAGE_NAME '$IMAGE_NAME' is not a valid image name (lower case, e.g. edge-service or registry.example.com/team/edge-service)"

step "Checking the module to package"
[ -f "$WASM_MODULE" ] || die "no Wasm module at $WASM_MODULE: build it first with 'cargo build --release' at the repository root (or point WASM_MODULE at a .wasm file)"
[ "$(head -c 4 "$WASM_MODULE" | od -An -tx1 | tr -d ' \n')" = "0061736d" ] \
  || die "$WASM_MODULE is not a WebAssembly module (it does not start with \\0asm)"
MODULE_SHA256="$(sha256sum "$WASM_MODULE" | cut -d' ' -f1)"
info "module:  $WASM_MODULE ($(stat -c %s "$WASM_MODULE") bytes, sha256:$MODULE_SHA256)"
info "image:   $IMAGE_NAME:$IMAGE_TAG, platform wasi/wasm, created at epoch $SOURCE_DATE_EPOCH"

step "Installing the image tools (umoci, jq, GNU tar) if missing"
apt_install umoci jq tar
command -v umoci >/dev/null 2>&1 || die "umoci is not on PATH even after installing Debian's umoci package"

WORK="$(mktemp -d /tmp/edge-image.XXXXXX)"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

CREATED="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
VERSION="$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$REPO_ROOT/Cargo.toml" | head -n 1)"
[ -n "$VERSION" ] || die "could not read the package version from $REPO_ROOT/Cargo.toml"

# deterministic_tar ARCHIVE DIR ENTRY...: a tar whose bytes depend only on the
# entries' names and contents (fixed order, mtimes, owners and modes; ustar, so
# no pax headers carrying access times).
deterministic_tar() {
  local archive="$1" dir="$2"; shift 2
  tar --create --file="$archive" --directory="$dir" --format=ustar --sort=name \
    --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --no-acls --no-xattrs --no-selinux "$@"
}

step "Making the layer: $MODULE_IN_IMAGE alone, owned by root, mode 0755"
mkdir -p "$WORK/rootfs"
cp "$WASM_MODULE" "$WORK/rootfs${MODULE_IN_IMAGE}"
chmod 0755 "$WORK/rootfs${MODULE_IN_IMAGE}"
deterministic_tar "$WORK/layer.tar" "$WORK/rootfs" "${MODULE_IN_IMAGE#/}"
info "layer tar: $(stat -c %s "$WORK/layer.tar") bytes, diff_id sha256:$(sha256sum "$WORK/layer.tar" | cut -d' ' -f1)"

step "Assembling the OCI image layout with umoci"
LAYOUT="$WORK/oci"
umoci init --layout "$LAYOUT"
umoci new --image "$LAYOUT:$IMAGE_TAG"
umoci raw add-layer --image "$LAYOUT:$IMAGE_TAG" \
  --history.created "$CREATED" \
  --history.created_by "COPY edge_service.wasm $MODULE_IN_IMAGE (scripts/image.sh)" \
  "$WORK/layer.tar"
umoci config --image "$LAYOUT:$IMAGE_TAG" --no-history \
  --os wasi --architecture wasm --created "$CREATED" \
  --config.entrypoint "$MODULE_IN_IMAGE" \
  --config.env "PORT=$PORT_IN_IMAGE" --config.env "HOST=0.0.0.0" \
  --config.exposedports "$PORT_IN_IMAGE/tcp" \
  --manifest.annotation "module.wasm.image/variant=compat-smart" \
  --manifest.annotation "org.opencontainers.image.title=edge-service" \
  --manifest.annotation "org.opencontainers.image.version=$VERSION" \
  --manifest.annotation "org.opencontainers.image.licenses=Apache-2.0"
umoci gc --layout "$LAYOUT"

# Read back what umoci wrote, to name the blobs in the docker archive.
MANIFEST_DIGEST="$(jq -er '.manifests | if length == 1 then .[0].digest else error("index.json must list exactly one manifest") end' "$LAYOUT/index.json")"
MANIFEST_BLOB="$LAYOUT/blobs/sha256/${MANIFEST_DIGEST#sha256:}"
CONFIG_DIGEST="$(jq -er '.config.digest' "$MANIFEST_BLOB")"
LAYER_DIGEST="$(jq -er '.layers | if length == 1 then .[0].digest else error("the manifest must have exactly one layer") end' "$MANIFEST_BLOB")"

# Docker and containerd name an imported OCI archive after io.containerd.image.name.
case "$IMAGE_NAME" in
  */*) first="${IMAGE_NAME%%/*}"
       case "$first" in *.*|*:*|localhost) FULL_NAME="$IMAGE_NAME" ;; *) FULL_NAME="docker.io/$IMAGE_NAME" ;; esac ;;
  *) FULL_NAME="docker.io/library/$IMAGE_NAME" ;;
esac
jq --sort-keys --arg name "$FULL_NAME:$IMAGE_TAG" \
  '.manifests[0].annotations["io.containerd.image.name"] = $name' "$LAYOUT/index.json" >"$WORK/index.json"
mv "$WORK/index.json" "$LAYOUT/index.json"

step "Writing the docker-loadable archive (OCI layout + docker save's manifest.json)"
jq -n --sort-keys --arg config "blobs/sha256/${CONFIG_DIGEST#sha256:}" \
  --arg layer "blobs/sha256/${LAYER_DIGEST#sha256:}" --arg tag "$IMAGE_NAME:$IMAGE_TAG" \
  '[{Config: $config, RepoTags: [$tag], Layers: [$layer]}]' >"$LAYOUT/manifest.json"
chmod -R u=rwX,go=rX "$LAYOUT"
deterministic_tar "$WORK/edge-service.tar" "$LAYOUT" oci-layout index.json manifest.json blobs
# The layout directory itself stays a pure OCI layout.
rm "$LAYOUT/manifest.json"

step "Publishing to $OUT_DIR"
mkdir -p "$OUT_DIR"
rm -rf "$OUT_DIR/oci" "$OUT_DIR/edge-service.tar" "$OUT_DIR/digest"
mv "$LAYOUT" "$OUT_DIR/oci"
mv "$WORK/edge-service.tar" "$OUT_DIR/edge-service.tar"
printf '%s\n' "$MANIFEST_DIGEST" >"$OUT_DIR/digest"

info "manifest: $MANIFEST_DIGEST"
info "config:   $CONFIG_DIGEST"
info "layer:    $LAYER_DIGEST ($(stat -c %s "$OUT_DIR/oci/blobs/sha256/${LAYER_DIGEST#sha256:}") bytes gzip)"
info "OCI layout:     $OUT_DIR/oci (tag $IMAGE_TAG)"
info "docker archive: $OUT_DIR/edge-service.tar ($(stat -c %s "$OUT_DIR/edge-service.tar") bytes) -> docker load -i $OUT_DIR/edge-service.tar"

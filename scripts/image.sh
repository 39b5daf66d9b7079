#!/usr/bin/env bash
# Builds the edge-service container images WITHOUT a Docker daemon.
#
# Two images of the same module, and an index publishing both under one name:
#   wasm    platform wasi/wasm: the module alone, for Wasm runtimes (crun with
#           WasmEdge, the containerd WasmEdge shims). What the Dockerfile describes.
#   runner  platform linux/amd64: a static edge-host (musl), the module, its
#           code compiled ahead of time (.cwasm, so a container never compiles
#           at start) and deploy/runner/services as /etc/services (name lookups
#           need it). Runs on any Docker or Kubernetes node, as uid/gid 65532,
#           on a read-only root file system. What Dockerfile.runner describes.
#
# Output (default target/image/, or IMAGE_OUT_DIR / --out DIR):
#   oci/                     the wasm image as an OCI layout (tag $IMAGE_TAG)
#   edge-service.tar         the wasm image as one archive that is both an OCI layout
#                            and a `docker save` archive: `docker load -i ...`
#   digest                   the wasm image's manifest digest (sha256:...)
#   runner-oci/              the runner image as an OCI layout (tag $RUNNER_TAG)
#   edge-service-runner.tar  the runner image, docker-loadable like edge-service.tar
#   runner-digest            the runner image's manifest digest
#   edge_service.cwasm       the precompiled module in the runner image
#   index/                   an OCI layout with both: tag $IMAGE_TAG is an image index
#                            (wasi/wasm + linux/amd64), $WASM_TAG and $RUNNER_TAG the
#                            single-platform images: `skopeo copy --all
#                            oci:target/image/index:latest docker://REGISTRY/edge-service:latest`
#   index-digest             the image index's digest
# With --wasm-only only the first three are written (no Rust build needed).
#
# The images are built with umoci (Debian's package); layer tars are made by GNU
# tar with fixed mtimes, owners and order, and every timestamp comes from
# SOURCE_DATE_EPOCH (default 0), so the same inputs always give the same digests.
#
# Environment: WASM_MODULE (the module to package; default: the release build),
# EDGE_HOST_STATIC (a static edge-host to package; default: build it with cargo for
# x86_64-unknown-linux-musl into target/), IMAGE_NAME (edge-service), IMAGE_TAG
# (latest), IMAGE_OUT_DIR, SOURCE_DATE_EPOCH.
set -euo pipefail
# common.sh keeps an explicit WASM_MODULE; unset, it is the release build.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<EOF
usage: scripts/image.sh [--out DIR] [--wasm-only]

Packages \$WASM_MODULE (default: target/wasm32-wasip1/release/edge_service.wasm)
as OCI images (platforms wasi/wasm and linux/amd64) without a Docker daemon.
  --out DIR     where to write the images (default: target/image)
  --wasm-only   build only the wasi/wasm image (oci/, edge-service.tar, digest)
EOF
}

OUT_DIR="${IMAGE_OUT_DIR:-$REPO_ROOT/target/image}"
WASM_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT_DIR="$2"; shift 2 ;;
    --out=*) OUT_DIR="${1#--out=}"; shift ;;
    --wasm-only) WASM_ONLY=1; shift ;;
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
# The runner image's files and user (65532: the usual "nonroot" id, no passwd entry needed).
RUNNER_HOST_IN_IMAGE="/edge-host"
RUNNER_CWASM_IN_IMAGE="/edge_service.cwasm"
RUNNER_USER="65532:65532"

require_number SOURCE_DATE_EPOCH "$SOURCE_DATE_EPOCH" 0
[[ "$IMAGE_TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "IMAGE_TAG '$IMAGE_TAG' is not a valid image tag"
NAME_RE='^([a-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$'
[[ "$IMAGE_NAME" =~ $NAME_RE ]] \
  || die "IMAGE_NAME '$IMAGE_NAME' is not a valid image name (lower case, e.g. edge-service or registry.example.com/team/edge-service)"
# latest -> wasm / runner; any other tag T -> T-wasm / T-runner.
if [ "$IMAGE_TAG" = latest ]; then WASM_TAG=wasm; RUNNER_TAG=runner
else WASM_TAG="$IMAGE_TAG-wasm"; RUNNER_TAG="$IMAGE_TAG-runner"; fi
[ ${#RUNNER_TAG} -le 128 ] || die "IMAGE_TAG '$IMAGE_TAG' is too long to derive the tag $RUNNER_TAG"

step "Checking the module to package"
[ -f "$WASM_MODULE" ] || die "no Wasm module at $WASM_MODULE: build it first with 'cargo build --release' at the repository root (or point WASM_MODULE at a .wasm file)"
[ "$(head -c 4 "$WASM_MODULE" | od -An -tx1 | tr -d ' \n')" = "0061736d" ] \
  || die "$WASM_MODULE is not a WebAssembly module (it does not start with \\0asm)"
MODULE_SHA256="$(sha256sum "$WASM_MODULE" | cut -d' ' -f1)"
info "module:  $WASM_MODULE ($(stat -c %s "$WASM_MODULE") bytes, sha256:$MODULE_SHA256)"
info "image:   $IMAGE_NAME:$IMAGE_TAG, created at epoch $SOURCE_DATE_EPOCH"

step "Installing the image tools (umoci, jq, GNU tar, binutils) if missing"
apt_install umoci jq tar binutils
command -v umoci >/dev/null 2>&1 || die "umoci is not on PATH even after installing Debian's umoci package"

WORK="$(mktemp -d /tmp/edge-image.XXXXXX)"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

CREATED="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
VERSION="$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$REPO_ROOT/Cargo.toml" | head -n 1)"
[ -n "$VERSION" ] || die "could not read the package version from $REPO_ROOT/Cargo.toml"

# Docker and containerd name an imported OCI archive after io.containerd.image.name.
case "$IMAGE_NAME" in
  */*) first="${IMAGE_NAME%%/*}"
       case "$first" in *.*|*:*|localhost) FULL_NAME="$IMAGE_NAME" ;; *) FULL_NAME="docker.io/$IMAGE_NAME" ;; esac ;;
  *) FULL_NAME="docker.io/library/$IMAGE_NAME" ;;
esac

# deterministic_tar ARCHIVE DIR ENTRY...: a tar whose bytes depend only on the
# entries' names and contents (fixed order, mtimes, owners and modes; ustar, so
# no pax headers carrying access times).
deterministic_tar() {
  local archive="$1" dir="$2"; shift 2
  tar --create --file="$archive" --directory="$dir" --format=ustar --sort=name \
    --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --no-acls --no-xattrs --no-selinux "$@"
}

# assemble_image LAYOUT TAG LAYER_TAR CREATED_BY ARCHIVE [umoci config flags...]:
# an OCI layout at LAYOUT holding one image (tag TAG) with the single layer
# LAYER_TAR, and ARCHIVE, the same layout plus docker save's manifest.json.
# Sets IMAGE_MANIFEST_DIGEST, IMAGE_CONFIG_DIGEST, IMAGE_LAYER_DIGEST.
assemble_image() {
  local layout="$1" tag="$2" layer_tar="$3" created_by="$4" archive="$5"; shift 5
  umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  umoci raw add-layer --image "$layout:$tag" \
    --history.created "$CREATED" --history.created_by "$created_by" "$layer_tar"
  umoci config --image "$layout:$tag" --no-history --created "$CREATED" \
    --manifest.annotation "org.opencontainers.image.title=edge-service" \
    --manifest.annotation "org.opencontainers.image.version=$VERSION" \
    --manifest.annotation "org.opencontainers.image.licenses=Apache-2.0" \
    "$@"
  umoci gc --layout "$layout"

  # Read back what umoci wrote, to name the blobs in the docker archive.
  IMAGE_MANIFEST_DIGEST="$(jq -er '.manifests | if length == 1 then .[0].digest else error("index.json must list exactly one manifest") end' "$layout/index.json")"
  local manifest_blob="$layout/blobs/sha256/${IMAGE_MANIFEST_DIGEST#sha256:}"
  IMAGE_CONFIG_DIGEST="$(jq -er '.config.digest' "$manifest_blob")"
  IMAGE_LAYER_DIGEST="$(jq -er '.layers | if length == 1 then .[0].digest else error("the manifest must have exactly one layer") end' "$manifest_blob")"

  jq --sort-keys --arg name "$FULL_NAME:$tag" \
    '.manifests[0].annotations["io.containerd.image.name"] = $name' "$layout/index.json" >"$WORK/index.json"
  mv "$WORK/index.json" "$layout/index.json"

  # The docker archive: dockerd's `docker load` reads manifest.json, OCI tools the layout.
  jq -n --sort-keys --arg config "blobs/sha256/${IMAGE_CONFIG_DIGEST#sha256:}" \
    --arg layer "blobs/sha256/${IMAGE_LAYER_DIGEST#sha256:}" --arg tag "$IMAGE_NAME:$tag" \
    '[{Config: $config, RepoTags: [$tag], Layers: [$layer]}]' >"$layout/manifest.json"
  chmod -R u=rwX,go=rX "$layout"
  deterministic_tar "$archive" "$layout" oci-layout index.json manifest.json blobs
  # The layout directory itself stays a pure OCI layout.
  rm "$layout/manifest.json"
}

# ---------------------------------------------------------------- wasi/wasm --

step "Wasm image: one layer, $MODULE_IN_IMAGE alone, owned by root, mode 0755"
mkdir -p "$WORK/rootfs"
cp "$WASM_MODULE" "$WORK/rootfs${MODULE_IN_IMAGE}"
chmod 0755 "$WORK/rootfs${MODULE_IN_IMAGE}"
deterministic_tar "$WORK/layer.tar" "$WORK/rootfs" "${MODULE_IN_IMAGE#/}"
info "layer tar: $(stat -c %s "$WORK/layer.tar") bytes, diff_id sha256:$(sha256sum "$WORK/layer.tar" | cut -d' ' -f1)"

step "Wasm image: assembling the OCI layout and the docker archive with umoci"
assemble_image "$WORK/oci" "$IMAGE_TAG" "$WORK/layer.tar" \
  "COPY edge_service.wasm $MODULE_IN_IMAGE (scripts/image.sh)" "$WORK/edge-service.tar" \
  --os wasi --architecture wasm \
  --config.entrypoint "$MODULE_IN_IMAGE" \
  --config.env "PORT=$PORT_IN_IMAGE" --config.env "HOST=0.0.0.0" \
  --config.exposedports "$PORT_IN_IMAGE/tcp" \
  --manifest.annotation "module.wasm.image/variant=compat-smart"
WASM_MANIFEST_DIGEST="$IMAGE_MANIFEST_DIGEST"
info "manifest: $WASM_MANIFEST_DIGEST"
info "config:   $IMAGE_CONFIG_DIGEST"
info "layer:    $IMAGE_LAYER_DIGEST ($(stat -c %s "$WORK/oci/blobs/sha256/${IMAGE_LAYER_DIGEST#sha256:}") bytes gzip)"

if [ "$WASM_ONLY" = 0 ]; then
  # ------------------------------------------------------------ linux/amd64 --
  if [ -n "${EDGE_HOST_STATIC:-}" ]; then
    step "Runner image: using the static edge-host $EDGE_HOST_STATIC"
    [ -x "$EDGE_HOST_STATIC" ] || die "EDGE_HOST_STATIC=$EDGE_HOST_STATIC is not an executable file"
  else
    build_static_edge_host
    EDGE_HOST_STATIC="$(static_edge_host_bin)"
  fi
  # A dynamic binary would need a loader and libraries the image does not have.
  if readelf --program-headers --wide "$EDGE_HOST_STATIC" | grep -q 'Requesting program interpreter'; then
    die "$EDGE_HOST_STATIC is dynamically linked; the runner image needs a static build (cargo build --release --target $MUSL_TARGET)"
  fi
  [ "$(readelf --file-header "$EDGE_HOST_STATIC" | sed -n 's/^ *Machine: *//p')" = "Advanced Micro Devices X86-64" ] \
    || die "$EDGE_HOST_STATIC is not an x86-64 executable"
  info "edge-host: $EDGE_HOST_STATIC ($(stat -c %s "$EDGE_HOST_STATIC") bytes, static)"

  step "Runner image: compiling the module ahead of time with that edge-host"
  # The .cwasm must come from the very engine that loads it: the binary in the image.
  "$EDGE_HOST_STATIC" compile "$WASM_MODULE" "$WORK/edge_service.cwasm" \
    || die "edge-host could not compile $WASM_MODULE"

  step "Runner image: one layer, $RUNNER_HOST_IN_IMAGE, $MODULE_IN_IMAGE, $RUNNER_CWASM_IN_IMAGE and /etc/services, owned by root"
  mkdir -p "$WORK/runner-rootfs/etc"
  cp "$REPO_ROOT/deploy/runner/services" "$WORK/runner-rootfs/etc/services"
  chmod 0644 "$WORK/runner-rootfs/etc/services"
  chmod 0755 "$WORK/runner-rootfs/etc"
  cp "$EDGE_HOST_STATIC" "$WORK/runner-rootfs${RUNNER_HOST_IN_IMAGE}"
  cp "$WASM_MODULE" "$WORK/runner-rootfs${MODULE_IN_IMAGE}"
  cp "$WORK/edge_service.cwasm" "$WORK/runner-rootfs${RUNNER_CWASM_IN_IMAGE}"
  chmod 0755 "$WORK/runner-rootfs${RUNNER_HOST_IN_IMAGE}"
  chmod 0644 "$WORK/runner-rootfs${MODULE_IN_IMAGE}" "$WORK/runner-rootfs${RUNNER_CWASM_IN_IMAGE}"
  deterministic_tar "$WORK/runner-layer.tar" "$WORK/runner-rootfs" \
    "${RUNNER_HOST_IN_IMAGE#/}" "${MODULE_IN_IMAGE#/}" "${RUNNER_CWASM_IN_IMAGE#/}" --no-recursion etc etc/services
  info "layer tar: $(stat -c %s "$WORK/runner-layer.tar") bytes"

  step "Runner image: assembling the OCI layout and the docker archive with umoci"
  # --inherit-env: `docker run -e`, a pod's env and the image's Env reach the guest
  # (edge-host's own EDGE_HOST_* settings, e.g. EDGE_HOST_MAX_MEMORY, do not).
  assemble_image "$WORK/runner-oci" "$RUNNER_TAG" "$WORK/runner-layer.tar" \
    "COPY edge-host edge_service.wasm edge_service.cwasm etc/services / (scripts/image.sh)" "$WORK/edge-service-runner.tar" \
    --os linux --architecture amd64 \
    --config.user "$RUNNER_USER" --config.workingdir / \
    --config.entrypoint "$RUNNER_HOST_IN_IMAGE" --config.entrypoint run \
    --config.entrypoint --inherit-env --config.entrypoint "$RUNNER_CWASM_IN_IMAGE" \
    --config.env "PORT=$PORT_IN_IMAGE" --config.env "HOST=0.0.0.0" \
    --config.exposedports "$PORT_IN_IMAGE/tcp"
  RUNNER_MANIFEST_DIGEST="$IMAGE_MANIFEST_DIGEST"
  info "manifest: $RUNNER_MANIFEST_DIGEST"
  info "layer:    $IMAGE_LAYER_DIGEST ($(stat -c %s "$WORK/runner-oci/blobs/sha256/${IMAGE_LAYER_DIGEST#sha256:}") bytes gzip)"

  step "Image index: $IMAGE_TAG = wasi/wasm + linux/amd64, $WASM_TAG and $RUNNER_TAG single-platform"
  INDEX="$WORK/index"
  mkdir -p "$INDEX/blobs/sha256"
  cp "$WORK/oci/oci-layout" "$INDEX/oci-layout"
  cp -n "$WORK/oci/blobs/sha256/"* "$WORK/runner-oci/blobs/sha256/"* "$INDEX/blobs/sha256/"
  # descriptor LAYOUT PLATFORM_OS PLATFORM_ARCH: the manifest's descriptor with its platform.
  descriptor() {
    jq -c --arg os "$2" --arg arch "$3" \
      '.manifests[0] | {mediaType, digest, size, platform: {os: $os, architecture: $arch}}' "$1/index.json"
  }
  WASM_DESCRIPTOR="$(descriptor "$WORK/oci" wasi wasm)"
  RUNNER_DESCRIPTOR="$(descriptor "$WORK/runner-oci" linux amd64)"
  # Annotated like the manifests; module.wasm.image/variant stays on the wasm manifest,
  # so shims that look for it there find it after resolving the index.
  jq -n -c -j --sort-keys --argjson wasm "$WASM_DESCRIPTOR" --argjson runner "$RUNNER_DESCRIPTOR" \
    --arg version "$VERSION" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [$wasm, $runner],
      annotations: {"org.opencontainers.image.title": "edge-service", "org.opencontainers.image.version": $version,
                    "org.opencontainers.image.licenses": "Apache-2.0"}}' >"$WORK/index-blob.json"
  INDEX_DIGEST="sha256:$(sha256sum "$WORK/index-blob.json" | cut -d' ' -f1)"
  cp "$WORK/index-blob.json" "$INDEX/blobs/sha256/${INDEX_DIGEST#sha256:}"
  # tagged DESCRIPTOR TAG: the descriptor named TAG, as index.json lists it.
  tagged() {
    jq -c --arg tag "$2" --arg name "$FULL_NAME:$2" \
      '. + {annotations: {"org.opencontainers.image.ref.name": $tag, "io.containerd.image.name": $name}}' <<<"$1"
  }
  INDEX_DESCRIPTOR="$(jq -n -c --arg digest "$INDEX_DIGEST" --argjson size "$(stat -c %s "$WORK/index-blob.json")" \
    '{mediaType: "application/vnd.oci.image.index.v1+json", digest: $digest, size: $size}')"
  jq -n --sort-keys \
    --argjson index "$(tagged "$INDEX_DESCRIPTOR" "$IMAGE_TAG")" \
    --argjson wasm "$(tagged "$WASM_DESCRIPTOR" "$WASM_TAG")" \
    --argjson runner "$(tagged "$RUNNER_DESCRIPTOR" "$RUNNER_TAG")" \
    '{schemaVersion: 2, manifests: [$index, $wasm, $runner]}' >"$INDEX/index.json"
  chmod -R u=rwX,go=rX "$INDEX"
  info "index:    $INDEX_DIGEST"
fi

step "Publishing to $OUT_DIR"
mkdir -p "$OUT_DIR"
rm -rf "$OUT_DIR/oci" "$OUT_DIR/edge-service.tar" "$OUT_DIR/digest" \
  "$OUT_DIR/runner-oci" "$OUT_DIR/edge-service-runner.tar" "$OUT_DIR/runner-digest" \
  "$OUT_DIR/edge_service.cwasm" "$OUT_DIR/index" "$OUT_DIR/index-digest"
mv "$WORK/oci" "$OUT_DIR/oci"
mv "$WORK/edge-service.tar" "$OUT_DIR/edge-service.tar"
printf '%s\n' "$WASM_MANIFEST_DIGEST" >"$OUT_DIR/digest"
info "wasm (wasi/wasm):      $OUT_DIR/oci (tag $IMAGE_TAG), docker archive $OUT_DIR/edge-service.tar (loads as $IMAGE_NAME:$IMAGE_TAG)"
if [ "$WASM_ONLY" = 0 ]; then
  mv "$WORK/runner-oci" "$OUT_DIR/runner-oci"
  mv "$WORK/edge-service-runner.tar" "$OUT_DIR/edge-service-runner.tar"
  mv "$WORK/edge_service.cwasm" "$OUT_DIR/edge_service.cwasm"
  mv "$INDEX" "$OUT_DIR/index"
  printf '%s\n' "$RUNNER_MANIFEST_DIGEST" >"$OUT_DIR/runner-digest"
  printf '%s\n' "$INDEX_DIGEST" >"$OUT_DIR/index-digest"
  info "runner (linux/amd64):  $OUT_DIR/runner-oci (tag $RUNNER_TAG), docker archive $OUT_DIR/edge-service-runner.tar (loads as $IMAGE_NAME:$RUNNER_TAG)"
  info "both (image index):    $OUT_DIR/index (tags $IMAGE_TAG = index, $WASM_TAG, $RUNNER_TAG)"
fi

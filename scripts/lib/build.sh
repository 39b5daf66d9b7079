# shellcheck shell=bash
# The project's builds, in one place: the Rust toolchain check and every artifact a
# script needs (the service module, edge-host, the native service, the conformance
# guest, the static edge-host of the runner image). Every build here is
# `nice cargo build --locked`, so no script builds from another lock file than the one
# checked in, and a failure names the build and the command.
# Sourced by common.sh; do not run it.

# Every build command run so far, as one would type it (bench.sh lists them in its report).
BUILD_COMMANDS=()

# The target of the runner image's static edge-host.
MUSL_TARGET="x86_64-unknown-linux-musl"

# ensure_toolchain [TARGET...]: cargo and rustup are installed, and so are the Rust
# targets wasm32-wasip1 and TARGET... (added with rustup when missing).
ensure_toolchain() {
  command -v cargo >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1 \
    || die "cargo and rustup are needed: install Rust from https://rustup.rs, then run this again"
  local installed target
  installed="$(rustup target list --installed)" || die "'rustup target list --installed' failed"
  for target in wasm32-wasip1 "$@"; do
    grep -qx "$target" <<<"$installed" && continue
    info "adding the Rust target $target"
    rustup target add "$target" >&2 || die "rustup could not add the Rust target $target"
  done
}

# cargo_build DIR WHAT CARGO-ARGS...: `nice cargo build --locked CARGO-ARGS...` in DIR
# (the repository root or host/), its output indented on stderr.
cargo_build() {
  local dir="$1" what="$2"; shift 2
  local shown="cargo build --locked $*"
  [ "$dir" = "$REPO_ROOT" ] || shown="(cd ${dir#"$REPO_ROOT"/} && $shown)"
  step "Building $what"
  BUILD_COMMANDS+=("$shown")
  (cd "$dir" && nice cargo build --locked "$@" 2>&1 | sed 's/^/    /' >&2) \
    || die "$what did not build; the cargo output above says why ($shown)"
}

# profile_args PROFILE: cargo's flag for PROFILE (release: --release).
profile_args() {
  if [ "$1" = release ]; then echo --release; else echo "--profile $1"; fi
}

# module_path [PROFILE]: where the service module of PROFILE (default release) is built.
module_path() { echo "$CARGO_TARGET_DIR/wasm32-wasip1/${1:-release}/edge_service.wasm"; }

# build_module [PROFILE]: the service module for wasm32-wasip1 (default: release, the
# file WASM_MODULE names unless set otherwise).
build_module() {
  local profile="${1:-release}" module
  # shellcheck disable=SC2046 # profile_args gives one or two words on purpose
  cargo_build "$REPO_ROOT" "the service module (wasm32-wasip1, $profile)" $(profile_args "$profile")
  module="$(module_path "$profile")"
  [ -f "$module" ] || die "cargo finished but $module is missing"
  info "$module ($(stat -c %s "$module") bytes)"
}

# build_native_service [PROFILE]: the service built for this machine (the benchmarks'
# baseline), default release: $(native_service_bin).
build_native_service() {
  local profile="${1:-release}" bin
  # shellcheck disable=SC2046 # profile_args gives one or two words on purpose
  cargo_build "$REPO_ROOT" "the service natively (host-tuple, $profile)" \
    $(profile_args "$profile") --target host-tuple --bin edge_service
  bin="$CARGO_TARGET_DIR/$(host_triple)/$profile/edge_service"
  [ -x "$bin" ] || die "cargo finished but $bin is missing"
}

# build_edge_host: edge-host, the native runner of the WasmEdge socket ABI (release):
# $(edge_host_bin).
build_edge_host() {
  [ -f "$REPO_ROOT/host/src/main.rs" ] || die "host/ has no edge-host sources"
  cargo_build "$REPO_ROOT/host" "edge-host (the native runner, release)" --release
  [ -x "$(edge_host_bin)" ] || die "cargo finished but $(edge_host_bin) is missing"
}

# build_static_edge_host: edge-host linked statically with musl, for the runner image
# (the first build compiles wasmtime again: 5-8 min on 2 cores): $(static_edge_host_bin).
build_static_edge_host() {
  ensure_toolchain "$MUSL_TARGET"
  apt_install musl-tools
  cargo_build "$REPO_ROOT/host" "edge-host statically ($MUSL_TARGET, release)" --release --target "$MUSL_TARGET"
  [ -x "$(static_edge_host_bin)" ] || die "cargo finished but $(static_edge_host_bin) is missing"
}
static_edge_host_bin() { echo "$CARGO_TARGET_DIR/$MUSL_TARGET/release/edge-host"; }

# build_conformance_guest: the socket ABI conformance suite's guest module (release):
# $(conformance_guest_path).
build_conformance_guest() {
  cargo_build "$REPO_ROOT" "the conformance guest (wasm32-wasip1, release)" --release -p conformance-guest
  [ -f "$(conformance_guest_path)" ] || die "cargo finished but $(conformance_guest_path) is missing"
}
conformance_guest_path() { echo "$CARGO_TARGET_DIR/wasm32-wasip1/release/conformance_guest.wasm"; }

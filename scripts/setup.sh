#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and run edge-service, then builds
# edge-host (the native runner) in release. Idempotent: a second run does nothing
# that is already done. Used by scripts/run.sh and scripts/test.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

step "Checking the Rust toolchain"
command -v cargo >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1 \
  || die "cargo and rustup are needed: install Rust from https://rustup.rs, then run this again"
info "$(rustc --version)"

step "Rust target wasm32-wasip1"
if rustup target list --installed | grep -qx wasm32-wasip1; then
  info "already installed"
else
  rustup target add wasm32-wasip1 >&2 || die "rustup could not add the wasm32-wasip1 target"
fi

step "Debian packages for C code in Wasm dependencies and for tests"
# clang + lld + wasi-libc compile zstd/zlib inside the database clients for Wasm;
# wabt gives wasm-objdump/wat2wasm; curl is used by the scripts' readiness checks.
apt_install gcc libc6-dev clang lld llvm-14 wasi-libc wabt curl python3
info "clang: $(clang --version | head -n1)"

if [ "${EDGE_SKIP_HOST_BUILD:-0}" != 1 ]; then
  step "Building edge-host (native runner for the WasmEdge socket ABI) in release"
  (cd "$REPO_ROOT/host" && nice cargo build --release --locked 2>&1 | sed 's/^/    /' >&2) \
    || die "edge-host did not build; the cargo output above says why"
  info "edge-host: $(edge_host_bin)"
fi
step "Setup complete"

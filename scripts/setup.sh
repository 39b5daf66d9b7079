#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and run edge-service, then builds
# edge-host (the native runner) in release. Idempotent: a second run does nothing
# that is already done. Used by scripts/run.sh and scripts/test.sh.
# EDGE_SKIP_HOST_BUILD=1 installs only (`make setup`; `make edge-host` builds it).
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

step "Checking the Rust toolchain and the target wasm32-wasip1"
ensure_toolchain
info "$(rustc --version)"

step "Debian packages for C code in Wasm dependencies and for tests"
# clang + lld + wasi-libc compile zstd/zlib inside the database clients for Wasm;
# wabt gives wasm-objdump/wat2wasm; curl is used by the scripts' readiness checks;
# nginx is the real reverse proxy the request-smuggling tests put in front of the service.
apt_install gcc libc6-dev clang lld llvm-14 wasi-libc wabt curl python3 nginx
info "clang: $(clang --version | head -n1)"

if [ "${EDGE_SKIP_HOST_BUILD:-0}" != 1 ]; then
  build_edge_host
  info "edge-host: $(edge_host_bin)"
fi
step "Setup complete"

#!/usr/bin/env bash
# Builds what it is asked for (default: the module) and prints where it is:
#   module     the service's release module for wasm32-wasip1 (what `cargo build --release` makes)
#   edge-host  the native runner of the WasmEdge socket ABI, release
#   native     the service built for this machine, release (the benchmarks' baseline)
#   all        the three
# Usage: scripts/build.sh [module|edge-host|native|all]...
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[ $# -gt 0 ] || set -- module
for what in "$@"; do
  case "$what" in
    module) build_module ;;
    edge-host) build_edge_host; info "$(edge_host_bin)" ;;
    native) build_native_service; info "$(native_service_bin)" ;;
    all) build_module; build_edge_host; build_native_service ;;
    *) die "unknown build '$what' (usage: scripts/build.sh [module|edge-host|native|all]...)" ;;
  esac
done

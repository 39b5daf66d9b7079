#!/usr/bin/env bash
# Builds the service's release module for wasm32-wasip1 and prints its path and size.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

step "Building edge_service.wasm (release, wasm32-wasip1)"
(cd "$REPO_ROOT" && nice cargo build --release --locked 2>&1 | sed 's/^/    /' >&2) \
  || die "the module did not build; the cargo output above says why"
[ -f "$WASM_MODULE" ] || die "cargo finished but $WASM_MODULE is missing"
info "$WASM_MODULE ($(stat -c %s "$WASM_MODULE") bytes)"

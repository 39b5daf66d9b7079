#!/usr/bin/env bash
# Runs every test: setup, lint, native unit tests of the service and of edge-host,
# the Wasm build, and the end-to-end suites on the real module under the runner.
# CI runs exactly this (.ci/run). Idempotent; reuses target/ between runs.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"
started=$SECONDS

bash scripts/setup.sh
bash scripts/build.sh
select_runtime
export EDGE_RUNTIME
export EDGE_SERVICE_WASM="$WASM_MODULE"
export EDGE_HOST_BIN="$(edge_host_bin)"
# One compile cache for the whole run, inside target/ so CI keeps it.
export EDGE_HOST_CACHE_DIR="$CARGO_TARGET_DIR/edge-host-cache"

step "Formatting and lints (service: wasm32-wasip1 and native; edge-host)"
cargo fmt --all -- --check || die "code is not formatted: run 'cargo fmt --all' (and in host/)"
(cd host && cargo fmt --all -- --check) || die "host/ is not formatted: run 'cd host && cargo fmt --all'"
nice cargo clippy --locked -p edge-service --all-targets -- -D warnings
nice cargo clippy --locked -p edge-service -p edge-backend-tests --all-targets --target host-tuple -- -D warnings
(cd host && nice cargo clippy --locked --release --all-targets -- -D warnings)

step "edge-host: unit and integration tests (release, sharing the release build)"
(cd host && nice cargo test --locked --release)

step "WasmEdge socket ABI conformance suite on $EDGE_RUNTIME"
bash scripts/conformance.sh

step "Service: native unit tests and end-to-end tests on $EDGE_RUNTIME"
nice cargo test --locked --target host-tuple -p edge-service

step "Database backends: the end-to-end suite on MySQL, PostgreSQL and Redis"
# The memory backend already ran above; the databases get the same suite here.
BACKENDS="mysql postgres mysql+redis postgres+redis" bash scripts/test-backends.sh

step "Deployment: OCI image, Kubernetes and compose validation, run as the container would"
bash scripts/test-deploy.sh

step "All tests passed in $((SECONDS - started)) s"

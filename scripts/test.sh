#!/usr/bin/env bash
# Runs every test: setup, lint, native unit tests of the service and of edge-host,
# the Wasm build, and the end-to-end suites on the real module under the runner.
# CI runs exactly this (.ci/run). Idempotent; reuses target/ between runs.
#
# Usage: scripts/test.sh [SUITE...]   with no SUITE, all of them in this order:
#   lint         formatting, and clippy for both targets and edge-host
#   unit         edge-host's unit and integration tests, the service's unit tests
#   conformance  the WasmEdge socket ABI conformance suite (scripts/conformance.sh)
#   e2e          the service's end-to-end tests on the real module (memory store)
#   backends     the end-to-end suite on the databases (scripts/test-backends.sh)
#   deploy       the deployment tests (scripts/test-deploy.sh)
# (`make test-SUITE` runs one after building what it needs; see the Makefile.)
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT" || exit 1
started=$SECONDS

SUITES=(lint unit conformance e2e backends deploy)
if [ $# -gt 0 ]; then
  for name in "$@"; do
    [[ " ${SUITES[*]} " == *" $name "* ]] || die "unknown suite '$name' (choose from: ${SUITES[*]})"
  done
  SUITES=("$@")
fi
# suite NAME: true when this run includes NAME.
suite() { [[ " ${SUITES[*]} " == *" $1 "* ]]; }

bash scripts/setup.sh
bash scripts/build.sh
select_runtime
export EDGE_RUNTIME
export EDGE_SERVICE_WASM="$WASM_MODULE"
EDGE_HOST_BIN="$(edge_host_bin)"
export EDGE_HOST_BIN
# One compile cache for the whole run, inside target/ so CI keeps it.
export EDGE_HOST_CACHE_DIR="$CARGO_TARGET_DIR/edge-host-cache"

if suite lint; then
  step "Formatting and lints (service: wasm32-wasip1 and native; edge-host)"
  cargo fmt --all -- --check || die "code is not formatted: run 'cargo fmt --all' (and in host/)"
  (cd host && cargo fmt --all -- --check) || die "host/ is not formatted: run 'cd host && cargo fmt --all'"
  nice cargo clippy --locked -p edge-service --all-targets -- -D warnings
  nice cargo clippy --locked -p edge-service -p edge-service-test-support -p edge-backend-tests --all-targets --target host-tuple -- -D warnings
  (cd host && nice cargo clippy --locked --release --all-targets -- -D warnings)
fi

if suite unit; then
  step "edge-host: unit and integration tests (release, sharing the release build)"
  (cd host && nice cargo test --locked --release)
  step "Service: native unit tests"
  nice cargo test --locked --target host-tuple -p edge-service --lib --bins
fi

if suite conformance; then
  step "WasmEdge socket ABI conformance suite on $EDGE_RUNTIME"
  bash scripts/conformance.sh
fi

if suite e2e; then
  step "Service: end-to-end tests on $EDGE_RUNTIME"
  nice cargo test --locked --target host-tuple -p edge-service --test '*'
fi

if suite backends; then
  step "Database backends: the end-to-end suite on SQLite, MySQL, PostgreSQL and Redis"
  # The memory backend already ran above; the other stores get the same suite here.
  BACKENDS="sqlite mysql postgres mysql+redis postgres+redis" bash scripts/test-backends.sh
fi

if suite deploy; then
  step "Deployment: OCI image, Kubernetes and compose validation, run as the container would"
  bash scripts/test-deploy.sh
fi

step "Tests passed (${SUITES[*]}) in $((SECONDS - started)) s"

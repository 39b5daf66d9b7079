#!/usr/bin/env bash
# Runs the end-to-end API suite (tests/api, `--test api`) on the real module once per
# backend: memory, SQLite (the embedded store, a file in a directory granted to each
# service), MySQL (MariaDB), PostgreSQL, MySQL + Redis, PostgreSQL + Redis; then
# the database tests of tests/backends (restarts, killed servers, timeouts, cache faults,
# two instances). Installs Debian's mariadb-server, postgresql and redis-server when
# missing and starts private servers on free loopback ports in a temporary directory;
# they are stopped when this script exits, also on failure or Ctrl-C. The test harness
# (tests/support) gives every service the suite starts its own fresh database on them.
#
#   BACKENDS="mysql postgres+redis" bash scripts/test-backends.sh   # a subset
#   SKIP_DB_TESTS=1 bash scripts/test-backends.sh                   # API suite only
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/dbservers.sh"
cd "$REPO_ROOT"
started=$SECONDS

BACKENDS=${BACKENDS:-"memory sqlite mysql postgres mysql+redis postgres+redis"}

step "Database servers: Debian packages"
db_install

bash scripts/build.sh   # a no-op when the module is current
select_runtime
export EDGE_SERVICE_WASM="$WASM_MODULE"
export EDGE_RUNTIME
EDGE_HOST_BIN="$(edge_host_bin)"
export EDGE_HOST_BIN
export EDGE_HOST_CACHE_DIR="${EDGE_HOST_CACHE_DIR:-$CARGO_TARGET_DIR/edge-host-cache}"

EDGE_DB_ROOT="$(mktemp -d /tmp/edge-backends.XXXXXX)"
export EDGE_DB_ROOT
cleanup() {
  db_stop_all
  rm -rf "$EDGE_DB_ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Starting private MariaDB, PostgreSQL and Redis under $EDGE_DB_ROOT"
db_start_private_servers

run_suite() {
  local backend=$1
  case "$backend" in
    memory | sqlite | mysql | postgres | mysql+redis | postgres+redis) ;;
    *) die "unknown backend '$backend' (memory, sqlite, mysql, postgres, mysql+redis, postgres+redis)" ;;
  esac
  step "API suite on backend: $backend"
  # The harness reads the servers' URLs under EDGE_DB_ROOT and makes a fresh database
  # (or Redis index) for every service it starts.
  EDGE_TEST_BACKEND="$backend" nice cargo test --locked --target host-tuple -p edge-service --test api \
    || die "the API suite failed on backend '$backend' (output above)"
}

for backend in $BACKENDS; do run_suite "$backend"; done

if [ "${SKIP_DB_TESTS:-0}" != 1 ]; then
  step "Database tests (tests/backends): restarts, killed servers, timeouts, cache faults"
  EDGE_TEST_BACKEND=memory nice cargo test --locked --target host-tuple -p edge-backend-tests \
    || die "the database tests failed (output above)"
fi

step "Backend tests passed in $((SECONDS - started)) s"

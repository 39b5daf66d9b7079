#!/usr/bin/env bash
# Runs the end-to-end API suite (tests/*.rs) on the real module once per backend:
# memory, MySQL (MariaDB), PostgreSQL, MySQL + Redis, PostgreSQL + Redis; then the
# database tests of tests/backends (restarts, killed servers, timeouts, cache faults,
# two instances). Installs Debian's mariadb-server, postgresql and redis-server when
# missing and starts private servers on free loopback ports in a temporary directory;
# they are stopped when this script exits, also on failure or Ctrl-C.
#
#   BACKENDS="mysql postgres+redis" bash scripts/test-backends.sh   # a subset
#   SKIP_DB_TESTS=1 bash scripts/test-backends.sh                   # API suite only
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/dbservers.sh"
cd "$REPO_ROOT"
started=$SECONDS

BACKENDS=${BACKENDS:-"memory mysql postgres mysql+redis postgres+redis"}

step "Database servers: Debian packages"
db_install

bash scripts/build.sh   # a no-op when the module is current
select_runtime
export EDGE_SERVICE_WASM="$WASM_MODULE"
real_runner_bin="$(edge_host_bin)"
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

# The suite starts a service per test and expects an empty store each time, as the
# memory store gives. This runner wrapper (pointed to by EDGE_HOST_BIN, or put first on
# PATH as `wasmedge`) hands every service it starts a fresh database on the server.
# Called as `wasmedge` it runs $REAL_RUNNER (the runtime under test); called as
# EDGE_HOST_BIN it always runs edge-host, since tests of edge-host's own behaviour
# (graceful shutdown) start it directly whatever EDGE_RUNTIME says.
mkdir -p "$EDGE_DB_ROOT/bin"
wrapper="$EDGE_DB_ROOT/bin/edge-host-fresh-db"
cat >"$wrapper" <<EOF
#!/usr/bin/env bash
# Runs the module like \$REAL_RUNNER, adding DATABASE_URL of a new empty database.
set -euo pipefail
runner="\$REAL_EDGE_HOST"
[ "\$(basename "\$0")" = wasmedge ] && runner="\$REAL_RUNNER"
[ "\${1:-}" = run ] || exec "\$runner" "\$@"
shift
url=\$(bash "$REPO_ROOT/scripts/lib/dbservers.sh" fresh "\$FRESH_DB_SERVER")
exec "\$runner" run --env "DATABASE_URL=\$url" "\$@"
EOF
chmod +x "$wrapper"
ln -sf "$wrapper" "$EDGE_DB_ROOT/bin/wasmedge"
if [ "$EDGE_RUNTIME" = wasmedge ]; then real_runner=$(command -v wasmedge); else real_runner=$real_runner_bin; fi

# The API suite: every integration test of the service crate (tests/*.rs).
api_tests=()
for file in tests/*.rs; do api_tests+=(--test "$(basename "$file" .rs)"); done

run_suite() {
  local backend=$1 server="" cache=""
  case "$backend" in
    memory) ;;
    mysql) server=mariadb ;;
    postgres) server=postgres ;;
    mysql+redis) server=mariadb cache=$DB_REDIS_URL ;;
    postgres+redis) server=postgres cache=$DB_REDIS_URL ;;
    *) die "unknown backend '$backend' (memory, mysql, postgres, mysql+redis, postgres+redis)" ;;
  esac
  step "API suite on backend: $backend"
  local env_lines="${cache:+REDIS_URL=$cache}"
  if [ -z "$server" ]; then
    EDGE_TEST_ENV="$env_lines" nice cargo test --locked --target host-tuple -p edge-service "${api_tests[@]}" \
      || die "the API suite failed on backend '$backend' (output above)"
  else
    REAL_RUNNER="$real_runner" REAL_EDGE_HOST="$real_runner_bin" FRESH_DB_SERVER="$EDGE_DB_ROOT/$server" EDGE_HOST_BIN="$wrapper" \
      PATH="$EDGE_DB_ROOT/bin:$PATH" EDGE_TEST_ENV="$env_lines" \
      nice cargo test --locked --target host-tuple -p edge-service "${api_tests[@]}" \
      || die "the API suite failed on backend '$backend' (output above)"
  fi
}

for backend in $BACKENDS; do run_suite "$backend"; done

if [ "${SKIP_DB_TESTS:-0}" != 1 ]; then
  step "Database tests (tests/backends): restarts, killed servers, timeouts, cache faults"
  EDGE_HOST_BIN="$real_runner_bin" EDGE_TEST_ENV="" \
    nice cargo test --locked --target host-tuple -p edge-backend-tests \
    || die "the database tests failed (output above)"
fi

step "Backend tests passed in $((SECONDS - started)) s"

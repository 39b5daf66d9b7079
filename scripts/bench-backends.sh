#!/usr/bin/env bash
# Measures GET /api/users/{id} (throughput, p50, p99) on each store — memory, MySQL
# (MariaDB), MySQL + Redis cache, PostgreSQL — for the Wasm module on edge-host and
# for the native build of the same source, side by side, with Debian's wrk.
# Starts private database servers on loopback (stopped on exit, also on failure).
# Never part of the tests: numbers depend on the machine and its load.
#
#   DURATION=10s CONNECTIONS=16 USERS=1000 BACKENDS="memory mysql mysql+redis postgres" \
#     bash scripts/bench-backends.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/dbservers.sh"
cd "$REPO_ROOT"

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-16}
USERS=${USERS:-1000}
BACKENDS=${BACKENDS:-"memory mysql mysql+redis postgres"}

step "Setup: Debian packages (wrk, database servers), builds"
apt_install wrk python3 curl
db_install
bash scripts/build.sh
info "native build of the service (release)"
nice cargo build --release --locked --target host-tuple --bin edge_service 2>&1 | sed 's/^/    /' >&2
native_bin="$(native_service_bin)"
[ -x "$native_bin" ] || die "the native build is missing at $native_bin"
edge_host="$(edge_host_bin)"
[ -x "$edge_host" ] || die "edge-host is not built at $edge_host; run scripts/setup.sh"
export EDGE_HOST_CACHE_DIR="${EDGE_HOST_CACHE_DIR:-$CARGO_TARGET_DIR/edge-host-cache}"

EDGE_DB_ROOT="$(mktemp -d /tmp/edge-bench-backends.XXXXXX)"
export EDGE_DB_ROOT
service_pid=""
cleanup() {
  [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null
  db_stop_all
  rm -rf "$EDGE_DB_ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Starting private MariaDB, PostgreSQL and Redis"
db_start_private_servers
results="$EDGE_DB_ROOT/results.txt"
: >"$results"

# start_service RUNTIME PORT ENV...: starts the service in the background (service_pid)
# and waits until it answers /api/health.
start_service() {
  local runtime=$1 port=$2; shift 2
  local log="$EDGE_DB_ROOT/service-$runtime.log"
  if [ "$runtime" = native ]; then
    env -i PATH="$PATH" HOST=127.0.0.1 PORT="$port" LOG_LEVEL=warn "$@" "$native_bin" >"$log" 2>&1 &
  else
    local flags=(--env HOST=127.0.0.1 --env "PORT=$port" --env LOG_LEVEL=warn) pair
    for pair in "$@"; do flags+=(--env "$pair"); done
    "$edge_host" run "${flags[@]}" "$WASM_MODULE" >"$log" 2>&1 &
  fi
  service_pid=$!
  local deadline=$((SECONDS + 120))
  until curl -fs -o /dev/null "http://127.0.0.1:$port/api/ready"; do
    kill -0 "$service_pid" 2>/dev/null || { cat "$log" >&2; die "the $runtime service exited during start"; }
    [ $SECONDS -lt $deadline ] || { cat "$log" >&2; die "the $runtime service was not ready within 120 s"; }
    sleep 0.1
  done
}

stop_service() {
  kill "$service_pid" 2>/dev/null || true
  wait "$service_pid" 2>/dev/null || true
  service_pid=""
}

for backend in $BACKENDS; do
  for runtime in wasm-edge-host native; do
    env_pairs=()
    case "$backend" in
      memory) ;;
      mysql) env_pairs+=("DATABASE_URL=$(db_fresh "$EDGE_DB_ROOT/mariadb")") ;;
      mysql+redis) env_pairs+=("DATABASE_URL=$(db_fresh "$EDGE_DB_ROOT/mariadb")" "REDIS_URL=$DB_REDIS_URL") ;;
      postgres) env_pairs+=("DATABASE_URL=$(db_fresh "$EDGE_DB_ROOT/postgres")") ;;
      postgres+redis) env_pairs+=("DATABASE_URL=$(db_fresh "$EDGE_DB_ROOT/postgres")" "REDIS_URL=$DB_REDIS_URL") ;;
      *) die "unknown backend '$backend' (memory, mysql, mysql+redis, postgres, postgres+redis)" ;;
    esac
    step "$backend on $runtime: seeding $USERS users, then wrk -c$CONNECTIONS for $DURATION"
    port=$(db_free_port)
    start_service "$runtime" "$port" "${env_pairs[@]}"
    python3 bench/backends/seed_users.py "$port" "$USERS" || die "seeding failed"
    url="http://127.0.0.1:$port"
    wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" -s bench/lib/wrk/get_user.lua "$url" -- "$USERS" >/dev/null
    line=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s bench/lib/wrk/get_user.lua "$url" -- "$USERS" | grep '^BENCH_RESULT ')
    [ -n "$line" ] || die "wrk printed no result"
    echo "$backend $runtime ${line#BENCH_RESULT }" >>"$results"
    info "${line#BENCH_RESULT }"
    stop_service
  done
done

step "GET /api/users/{id}: $CONNECTIONS connections, $DURATION per run, $USERS users, $(nproc) cores shared by wrk, service and databases"
python3 bench/backends/report.py "$results"

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
source "$REPO_ROOT/scripts/lib/service.sh"
cd "$REPO_ROOT" || exit 1

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-16}
USERS=${USERS:-1000}
BACKENDS=${BACKENDS:-"memory mysql mysql+redis postgres"}

step "Setup: Debian packages (wrk, database servers), builds"
apt_install wrk python3 curl
db_install
build_module
build_edge_host
build_native_service

EDGE_DB_ROOT="$(mktemp -d /tmp/edge-bench-backends.XXXXXX)"
export EDGE_DB_ROOT
cleanup() {
  stop_service
  db_stop_all
  rm -rf "$EDGE_DB_ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Starting private MariaDB, PostgreSQL and Redis"
db_start_private_servers
results="$EDGE_DB_ROOT/results.txt"
: >"$results"

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
    start_service "${runtime#wasm-}" "$port" "$EDGE_DB_ROOT/service-$runtime.log" ${env_pairs[@]+"${env_pairs[@]}"}
    PYTHONPATH=bench/lib python3 -m edgebench.seed "$port" "$USERS" || die "seeding failed"
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

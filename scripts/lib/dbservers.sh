#!/usr/bin/env bash
# Private database servers for tests, benchmarks and local runs: MariaDB, PostgreSQL
# and Redis from Debian's packages, each in its own directory on a free loopback port,
# never the system services. A server directory holds its data, socket, log, `port`,
# `pid` and `url` (the URL the service is given, with a password); starting it again
# reuses its data and port, so "restart the database" is stop + start.
#
# Source it (functions below), or run it:
#   bash scripts/lib/dbservers.sh start mariadb|postgres|redis DIR   # prints the URL
#   bash scripts/lib/dbservers.sh stop DIR | kill DIR                  # SIGTERM | SIGKILL
#   bash scripts/lib/dbservers.sh fresh DIR                            # new empty database, prints its URL
#   bash scripts/lib/dbservers.sh install                              # the Debian packages
# Servers started from the command line keep running until stopped; scripts that
# source this file call `db_stop_all` from an EXIT trap, so they also stop on failure.

if [ -z "${REPO_ROOT:-}" ]; then
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fi

PG_BIN=/usr/lib/postgresql/15/bin   # Debian's, explicitly (another `postgres` may be on PATH)
DB_PASSWORD='s3cret/p@ss'          # exercises percent-decoding in the service
DB_PASSWORD_IN_URL='s3cret%2Fp%40ss'
DB_USER=edge
DB_NAME=edge
DB_START_TIMEOUT=60
# Every directory db_start used, for db_stop_all.
DB_STARTED_DIRS=()

# db_install: installs mariadb-server, postgresql and redis-server when missing, without
# letting the packages start their system services.
db_install() {
  local needed=(mariadb-server mariadb-client postgresql redis-server)
  local missing=() p
  for p in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # Refuse service starts during the install; removed again right after.
    guard=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$guard" >/dev/null && as_root chmod 755 "$guard"
  fi
  apt_install "${missing[@]}"
  [ -n "$guard" ] && as_root rm -f "$guard"
  return 0
}

# db_free_port: prints a TCP port that is free on 127.0.0.1 right now.
db_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# db_run_as USER CMD...: runs CMD as USER when we are root (the servers refuse root),
# else as ourselves. Replaces itself with CMD (exec), so a PID stays the server's.
db_run_as() {
  local user=$1; shift
  if [ "$(id -u)" -eq 0 ]; then
    exec setpriv --reuid="$user" --regid="$user" --init-groups "$@"
  else
    exec "$@"
  fi
}

# db_owner KIND: the system user a server runs as when we are root.
db_owner() {
  case "$1" in mariadb) echo mysql ;; postgres) echo postgres ;; redis) echo redis ;; esac
}

# db_start KIND DIR: starts (or restarts) a server in DIR and waits until it answers.
db_start() {
  local kind=$1 dir=$2
  case "$kind" in mariadb | postgres | redis) ;; *) die "unknown database kind '$kind' (mariadb, postgres, redis)" ;; esac
  db_install
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  # The server's user must be able to reach its directory through the parents.
  chmod a+x "$(dirname "$dir")" 2>/dev/null || true
  [ -f "$dir/port" ] || db_free_port >"$dir/port"
  echo "$kind" >"$dir/kind"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    info "$kind in $dir is already running"
  else
    [ "$(id -u)" -eq 0 ] && chown "$(db_owner "$kind")" "$dir"
    "db_start_$kind" "$dir"
  fi
  DB_STARTED_DIRS+=("$dir")
  cat "$dir/url"
}

# db_start_private_servers: starts MariaDB, PostgreSQL and Redis in the mariadb/,
# postgres/ and redis/ directories under $EDGE_DB_ROOT (db_stop_all stops them);
# sets DB_REDIS_URL to Redis's URL.
db_start_private_servers() {
  db_start mariadb "$EDGE_DB_ROOT/mariadb" >/dev/null
  db_start postgres "$EDGE_DB_ROOT/postgres" >/dev/null
  # shellcheck disable=SC2034 # DB_REDIS_URL is for the scripts that source this file
  DB_REDIS_URL=$(db_start redis "$EDGE_DB_ROOT/redis")
}

db_start_mariadb() {
  local dir=$1 port; port=$(cat "$dir/port")
  local user; user=$(db_owner mariadb)
  local fresh=0
  if [ ! -d "$dir/data/mysql" ]; then
    fresh=1
    info "initialising MariaDB in $dir"
    local as_user=(); [ "$(id -u)" -eq 0 ] && as_user=(--user="$user")
    # A private tmpdir: concurrent installs in a shared /tmp collide on temp table names.
    mkdir -p "$dir/tmp" && { [ "$(id -u)" -ne 0 ] || chown "$user" "$dir/tmp"; }
    mariadb-install-db --no-defaults "${as_user[@]}" --datadir="$dir/data" --tmpdir="$dir/tmp" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 \
      || die "mariadb-install-db failed; see $dir/install.log"
  fi
  info "starting MariaDB on 127.0.0.1:$port"
  # Test servers skip the fsync per commit (flushed each second instead): a killed
  # server loses nothing a commit acknowledged, only a power cut would.
  (db_run_as "$user" setsid /usr/sbin/mariadbd --no-defaults --datadir="$dir/data" \
    --socket="$dir/mysqld.sock" --port="$port" --bind-address=127.0.0.1 \
    --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" --tmpdir="$dir/tmp" --skip-name-resolve \
    --innodb-flush-log-at-trx-commit=2 --innodb-buffer-pool-size=64M --max-connections=400 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin) >>"$dir/server.log" 2>&1 &
  echo $! >"$dir/pid"
  db_wait "$dir" "MariaDB" mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot ping
  if [ "$fresh" = 1 ]; then
    db_mariadb_sql "$dir" "CREATE USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
      GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'127.0.0.1';
      CREATE DATABASE $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"
  fi
  echo "mysql://$DB_USER:$DB_PASSWORD_IN_URL@127.0.0.1:$port/$DB_NAME" >"$dir/url"
}

# db_mariadb_sql DIR SQL: runs SQL as root over the server's socket.
db_mariadb_sql() {
  mariadb --no-defaults --socket="$1/mysqld.sock" -uroot -e "$2"
}

db_start_postgres() {
  local dir=$1 port; port=$(cat "$dir/port")
  local user; user=$(db_owner postgres)
  local fresh=0
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    fresh=1
    info "initialising PostgreSQL in $dir"
    (db_run_as "$user" "$PG_BIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256) >"$dir/install.log" 2>&1 \
      || die "initdb failed; see $dir/install.log"
  fi
  info "starting PostgreSQL on 127.0.0.1:$port"
  # fsync=off: a killed server loses nothing a commit acknowledged (the WAL is in the
  # OS page cache); only a power cut would.
  (db_run_as "$user" setsid "$PG_BIN/postgres" -D "$dir/data" -p "$port" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories="$dir" -c fsync=off \
    -c max_connections=400 -c shared_buffers=32MB -c logging_collector=off) >>"$dir/server.log" 2>&1 &
  echo $! >"$dir/pid"
  db_wait "$dir" "PostgreSQL" psql -h "$dir" -p "$port" -U postgres -d postgres -Atqc 'SELECT 1'
  if [ "$fresh" = 1 ]; then
    db_postgres_sql "$dir" "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD'"
    db_postgres_sql "$dir" "CREATE DATABASE $DB_NAME OWNER $DB_USER"
  fi
  echo "postgres://$DB_USER:$DB_PASSWORD_IN_URL@127.0.0.1:$port/$DB_NAME" >"$dir/url"
}

# db_postgres_sql DIR SQL: runs SQL as the superuser over the server's socket.
db_postgres_sql() {
  psql -h "$1" -p "$(cat "$1/port")" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atqc "$2" >/dev/null
}

db_start_redis() {
  local dir=$1 port; port=$(cat "$dir/port")
  info "starting Redis on 127.0.0.1:$port"
  (db_run_as "$(db_owner redis)" setsid redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
    --save '' --appendonly no --requirepass "$DB_PASSWORD" --logfile "$dir/redis.log") >>"$dir/server.log" 2>&1 &
  echo $! >"$dir/pid"
  db_wait "$dir" "Redis" db_redis_ping "$dir"
  echo "redis://:$DB_PASSWORD_IN_URL@127.0.0.1:$port/0" >"$dir/url"
}

db_redis_ping() {
  [ "$(redis-cli -h 127.0.0.1 -p "$(cat "$1/port")" -a "$DB_PASSWORD" --no-auth-warning ping 2>/dev/null)" = PONG ]
}

# db_wait DIR NAME CMD...: polls CMD until it succeeds; fails if the server died.
db_wait() {
  local dir=$1 name=$2; shift 2
  local deadline=$((SECONDS + DB_START_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      tail -n 20 "$dir"/*.log >&2 || true
      die "$name exited during start; its logs are in $dir"
    fi
    [ $SECONDS -lt $deadline ] || die "$name did not answer within ${DB_START_TIMEOUT}s; log: $dir/server.log"
    sleep 0.1
  done
}

# db_signal DIR SIGNAL: sends SIGNAL to the server's process group and waits for it to go.
db_signal() {
  local dir=$1 signal=$2 pid
  [ -f "$dir/pid" ] || return 0
  pid=$(cat "$dir/pid")
  kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null || pgrep -g "$pid" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      kill -KILL -- "-$pid" 2>/dev/null || true
      deadline=$((SECONDS + 30))
    fi
    sleep 0.05
  done
  rm -f "$dir/pid"
}

# db_stop DIR: stops the server cleanly (data kept).
db_stop() { db_signal "$1" TERM; }

# db_kill DIR: kills the server with SIGKILL, as a crash would (data kept).
db_kill() { db_signal "$1" KILL; }

# db_fresh DIR: creates a new empty database on the server in DIR; prints its URL.
db_fresh() {
  local dir=$1 kind name port
  kind=$(cat "$dir/kind") port=$(cat "$dir/port")
  name="t_$(date +%s%N)_$RANDOM"
  case "$kind" in
    mariadb)
      db_mariadb_sql "$dir" "CREATE DATABASE $name CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
      echo "mysql://$DB_USER:$DB_PASSWORD_IN_URL@127.0.0.1:$port/$name" ;;
    postgres)
      db_postgres_sql "$dir" "CREATE DATABASE $name OWNER $DB_USER"
      echo "postgres://$DB_USER:$DB_PASSWORD_IN_URL@127.0.0.1:$port/$name" ;;
    *) die "fresh databases exist for mariadb and postgres, not $kind" ;;
  esac
}

# db_stop_all: stops every server this shell started, and any left under EDGE_DB_ROOT.
db_stop_all() {
  local dir
  for dir in "${DB_STARTED_DIRS[@]}" ${EDGE_DB_ROOT:+"$EDGE_DB_ROOT"/*/}; do
    [ -f "$dir/pid" ] && db_stop "$dir"
  done
  return 0
}

# Command-line use.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  command=${1:-}
  case "$command" in
    start) [ $# -eq 3 ] || die "usage: $0 start mariadb|postgres|redis DIR"; db_start "$2" "$3" ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; db_stop "$2" ;;
    kill) [ $# -eq 2 ] || die "usage: $0 kill DIR"; db_kill "$2" ;;
    fresh) [ $# -eq 2 ] || die "usage: $0 fresh DIR"; db_fresh "$2" ;;
    install) db_install ;;
    *) die "usage: $0 start KIND DIR | stop DIR | kill DIR | fresh DIR | install" ;;
  esac
fi

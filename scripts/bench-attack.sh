#!/usr/bin/env bash
# Hostile-load benchmark: the attacks of bench/attack/attack.py (idle flood,
# slowloris, slow bodies, naive large uploads), each while a normal client makes
# sequential GET /api/health requests on fresh connections, against the module on
# edge-host and against the native build, one after the other, with the service's
# default settings. Also measures memory per idle connection (bench/attack/memory.py).
# Prints the tables side by side and, for a full run, writes them to
# bench/results/attack-<UTC date>.md. Measures, asserts nothing.
#
# Usage: scripts/bench-attack.sh            full scale: 5,000 idle, 1,000 slowloris,
#                                           200 slow bodies, 200 naive uploads, 12 s each
#        scripts/bench-attack.sh --smoke    small scale, 3 s per phase (proves the chain works)
# Tunables: ATTACK_SECONDS (12), ATTACK_MEMORY_CONNECTIONS (2000).
# The server runs on core 0, the attacker and the normal client on core 1.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/service.sh"
cd "$REPO_ROOT" || exit 1

SCALE=full
SECONDS_PER_PHASE="${ATTACK_SECONDS:-12}"
MEMORY_CONNECTIONS="${ATTACK_MEMORY_CONNECTIONS:-2000}"
case "${1:-}" in
  --smoke) SCALE=small SECONDS_PER_PHASE=3 MEMORY_CONNECTIONS=200 ;;
  "") ;;
  *) die "unknown argument '$1' (usage: scripts/bench-attack.sh [--smoke])" ;;
esac
require_number ATTACK_SECONDS "$SECONDS_PER_PHASE"
require_number ATTACK_MEMORY_CONNECTIONS "$MEMORY_CONNECTIONS"
[ "$(nproc)" -ge 2 ] || die "the server runs on core 0 and the clients on core 1: this needs 2 cores"
apt_install python3 util-linux curl

# 5,000 attacking sockets on the client side, as many accepted on the server side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE="$(ulimit -n)"
if [ "$SCALE" = full ] && [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt 12000 ]; then
  die "the open-file limit is $NOFILE; the full run needs about 12,000 (raise the hard limit: ulimit -Hn)"
fi
info "open-file limit for the server and the clients: $NOFILE"

build_module
build_edge_host
build_native_service

WORK="$(mktemp -d /tmp/edge-attack.XXXXXX)"
trap 'stop_service; rm -rf "$WORK"' EXIT
# The server on core 0, the attackers and the normal client on core 1.
SERVICE_PREFIX="taskset -c 0"

# start_server RUNTIME LOG NAME=VALUE...: starts the service on a free port (PORT).
start_server() {
  local runtime="$1" log="$2"; shift 2
  PORT="$(free_port)"
  start_service "$runtime" "$PORT" "$log" "$@"
}

REPORT="$WORK/report.md"
{
  echo "Hostile-load run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + local changes'),"
  echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r), open-file limit $NOFILE;"
  echo "scale $SCALE, ${SECONDS_PER_PHASE} s of normal client per phase; server on core 0, clients on core 1; default settings."
  echo
} >"$REPORT"

for runtime in edge-host native; do
  step "Memory per idle connection: $runtime ($MEMORY_CONNECTIONS connections of each kind)"
  start_server "$runtime" "$WORK/$runtime-memory.log" MAX_CONNECTIONS=65536 FIRST_BYTE_TIMEOUT_SECS=3600 \
    IDLE_TIMEOUT_SECS=3600 READ_TIMEOUT_SECS=3600
  taskset -c 1 python3 bench/attack/memory.py --url "http://127.0.0.1:$PORT" --pid "$SERVICE_PID" \
    --count "$MEMORY_CONNECTIONS" --label "$runtime" | tee -a "$REPORT"
  echo >>"$REPORT"
  stop_service

  step "Attacks: $runtime"
  start_server "$runtime" "$WORK/$runtime.log"
  taskset -c 1 python3 bench/attack/attack.py --url "http://127.0.0.1:$PORT" --pid "$SERVICE_PID" \
    --scale "$SCALE" --seconds "$SECONDS_PER_PHASE" --label "$runtime" --json "$WORK/$runtime.json" | tee -a "$REPORT"
  {
    echo
    echo "Warnings the $runtime service logged: $(grep -c 'WARN' "$WORK/$runtime.log" || true)" \
      "(of which about shedding: $(grep -c 'closed idle and slow connections' "$WORK/$runtime.log" || true))."
    echo
  } >>"$REPORT"
  stop_service
done

step "Results"
cat "$REPORT"
if [ "$SCALE" = full ]; then
  mkdir -p bench/results
  out="bench/results/attack-$(date -u +%Y-%m-%d).md"
  { echo "# Hostile load: edge-host and native"; echo; cat "$REPORT"; } >"$out"
  info "written to $out"
fi

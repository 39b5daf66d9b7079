#!/usr/bin/env bash
# Measures the memory (RSS) and CPU of the service module under the runner, idle
# and under load, to size the Kubernetes requests/limits in
# deploy/k8s/*/20-deployment.yaml. Prints the figures; asserts nothing.
#
#   bash deploy/measure-rss.sh [--duration SECONDS] [--connections N]
#                              [--body-kib N] [--env NAME=VALUE]...
#
# Runs the release module (WASM_MODULE) under wasmedge or edge-host (as
# scripts/lib/common.sh's select_runtime picks) on a free 127.0.0.1 port with
# the memory store and any extra --env settings (e.g. the Deployment's
# MAX_CONNECTIONS and MAX_BODY_BYTES), and drives it with wrk: GET /api/health,
# GET /api/users?limit=100 over 100 stored users, then POSTs whose JSON bodies
# are --body-kib KiB (default 60; read in full, then refused because the name
# is too long). RSS is read from /proc/PID/status (VmRSS now, VmHWM = peak) of
# the runner process, which holds the runtime, the compiled code and the
# guest's linear memory.
set -euo pipefail
requested_module="${WASM_MODULE:-}"
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
WASM_MODULE="${requested_module:-$WASM_MODULE}"

DURATION=10
CONNECTIONS=64
BODY_KIB=60
EXTRA_ENV=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="${2:?--duration needs seconds}"; shift 2 ;;
    --connections) CONNECTIONS="${2:?--connections needs a number}"; shift 2 ;;
    --body-kib) BODY_KIB="${2:?--body-kib needs a number}"; shift 2 ;;
    --env) [[ "${2:-}" == *=* ]] || die "--env needs NAME=VALUE"; EXTRA_ENV+=(--env "$2"); shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$DURATION" =~ ^[0-9]+$ && "$CONNECTIONS" =~ ^[0-9]+$ && "$BODY_KIB" =~ ^[1-9][0-9]*$ ]] \
  || die "--duration, --connections and --body-kib take whole numbers"

step "Checking the module and the runner"
[ -f "$WASM_MODULE" ] || die "no Wasm module at $WASM_MODULE: build it with 'cargo build --release' first"
select_runtime
apt_install wrk curl procps
info "module: $WASM_MODULE ($(stat -c %s "$WASM_MODULE") bytes)"
info "runner: ${RUNTIME_CMD[*]}"
info "extra settings: ${EXTRA_ENV[*]:-(none)}"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
WORK="$(mktemp -d /tmp/edge-measure.XXXXXX)"
LOG="$WORK/module.log"
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step "Starting the module on $BASE"
"${RUNTIME_CMD[@]}" --env "PORT=$PORT" --env HOST=127.0.0.1 --env LOG_LEVEL=warn "${EXTRA_ENV[@]}" \
  "$WASM_MODULE" >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null "$BASE/api/health" 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || { cat "$LOG" >&2; die "the module exited before answering /api/health"; }
  sleep 0.1
done
curl -fsS -o /dev/null "$BASE/api/health" || { cat "$LOG" >&2; die "no answer from $BASE/api/health after 60 s"; }

# kib FIELD: a /proc/PID/status field (VmRSS, VmHWM) in KiB.
kib() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$PID/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
# cpu_ticks: user + system CPU time of the runner, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
TICKS_PER_SECOND="$(getconf CLK_TCK)"

report() {
  info "$(printf '%-34s VmRSS %-10s VmHWM (peak) %s' "$1" "$(mib "$(kib VmRSS)")" "$(mib "$(kib VmHWM)")")"
}

# load NAME PATH [WRK_ARGS...]: wrk for DURATION seconds; prints throughput, CPU used, RSS.
load() {
  local name="$1" path="$2" before after out rps cpu
  shift 2
  before="$(cpu_ticks)"
  out="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$BASE$path")"
  after="$(cpu_ticks)"
  rps="$(awk '/Requests\/sec/ { print $2 }' <<<"$out")"
  cpu="$(awk -v a="$after" -v b="$before" -v t="$TICKS_PER_SECOND" -v d="$DURATION" 'BEGIN { printf "%.2f", (a - b) / t / d }')"
  info "$name: $rps req/s with $CONNECTIONS connections, runner CPU $cpu cores, p99 $(awk '/ 99%/ { print $2 }' <<<"$out")"
  report "after $name"
}

sleep 1
step "Idle"
report "idle after start"

step "Load: GET /api/health for ${DURATION}s"
load "GET /api/health" /api/health

step "Load: GET /api/users?limit=100 over 100 users for ${DURATION}s"
created=0
for i in $(seq 1 100); do
  code="$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"name\":\"User $i\",\"email\":\"user$i@example.com\"}" "$BASE/api/users")"
  [ "$code" = 201 ] && created=$((created + 1))
done
if [ "$created" -eq 100 ]; then
  load "GET /api/users?limit=100" "/api/users?limit=100"
else
  info "POST /api/users created $created of 100 users: the users API is not there yet, skipping this load"
fi

step "Load: POST /api/users with ${BODY_KIB} KiB bodies for ${DURATION}s"
name_length=$((BODY_KIB * 1024 - 40))
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
  "'{\"name\":\"' .. string.rep(\"n\", $name_length) .. '\",\"email\":\"big@example.com\"}'" >"$WORK/post.lua"
python3 -c "import sys; sys.stdout.write('{\"name\":\"' + 'n' * $name_length + '\",\"email\":\"big@example.com\"}')" >"$WORK/body.json"
info "one such POST answers $(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data-binary @"$WORK/body.json" "$BASE/api/users")"
load "POST ${BODY_KIB} KiB bodies" /api/users -s "$WORK/post.lua"

step "Idle again (Wasm linear memory never shrinks: the peak stays reserved)"
sleep 2
report "idle after load"

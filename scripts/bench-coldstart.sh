#!/usr/bin/env bash
# Cold-start benchmark: time from process spawn to the first 200 from
# GET /api/health, median / min / p90 over RUNS runs (default 20), for
#   * edge-host with a cold cache (a fresh empty EDGE_HOST_CACHE_DIR every run),
#   * edge-host with a warm cache (primed by one uncounted run),
#   * edge-host running a .cwasm made by `edge-host compile`,
#   * wasmedge interpreter and wasmedge AOT (`wasmedge compile` + --run-mode=aot),
#     when wasmedge is on PATH (otherwise a note says they were skipped).
# The measuring loop is bench/coldstart/measure.py (perf_counter, Popen,
# connect + GET retried every 0.2 ms, process killed after each run).
#
# Usage: scripts/bench-coldstart.sh [--smoke]     (--smoke: 3 runs, for CI)
#        RUNS=50 scripts/bench-coldstart.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"

RUNS="${RUNS:-20}"
case "${1:-}" in
  --smoke) RUNS=3 ;;
  "") ;;
  *) die "unknown argument '$1' (usage: scripts/bench-coldstart.sh [--smoke]; RUNS=N to change the run count)" ;;
esac
require_number RUNS "$RUNS"
command -v python3 >/dev/null 2>&1 || apt_install python3

build_module
build_edge_host
EDGE_HOST="$(edge_host_bin)"

WORK="$(mktemp -d /tmp/edge-coldstart.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

step "Precompiling the module with edge-host compile"
"$EDGE_HOST" compile "$WASM_MODULE" "$WORK/edge_service.cwasm" || die "edge-host compile failed"

ROWS="$WORK/rows.md"
: >"$ROWS"
measure() { python3 bench/coldstart/measure.py --runs "$RUNS" "$@" | tee -a "$ROWS" || true; }

step "Measuring spawn -> first 200 over $RUNS runs per variant"
LOAD_BEFORE="$(cut -d' ' -f1 /proc/loadavg)"
measure --label "edge-host, cold cache" --module "$WASM_MODULE" --cache-dir fresh -- "$EDGE_HOST" run
measure --label "edge-host, warm cache" --module "$WASM_MODULE" --cache-dir warm -- "$EDGE_HOST" run
measure --label "edge-host, .cwasm" --module "$WORK/edge_service.cwasm" --cache-dir empty -- "$EDGE_HOST" run

NOTE=""
if command -v wasmedge >/dev/null 2>&1; then
  step "Compiling the module with wasmedge compile (AOT)"
  wasmedge compile "$WASM_MODULE" "$WORK/edge_service_aot.wasm" >/dev/null || die "wasmedge compile failed"
  measure --label "wasmedge $(wasmedge --version 2>/dev/null | awk '{print $NF}'), interpreter" --module "$WASM_MODULE" -- wasmedge run
  # WasmEdge 0.17 interprets even an AOT file unless --run-mode=aot is given.
  measure --label "wasmedge, AOT (--run-mode=aot)" --module "$WORK/edge_service_aot.wasm" -- wasmedge run --run-mode=aot
else
  NOTE="wasmedge is not on PATH: its interpreter and AOT rows were skipped."
fi

LOAD_AFTER="$(cut -d' ' -f1 /proc/loadavg)"
echo
echo "Spawn to first 200 from /api/health, $RUNS runs each, $(nproc) cores, module $(du -h "$WASM_MODULE" | cut -f1),"
echo "1-minute load average ${LOAD_BEFORE} before and ${LOAD_AFTER} after (above $(nproc), other work competed: trust min over median):"
echo
echo "| variant | median ms | min ms | p90 ms | runs |"
echo "|---|---:|---:|---:|---:|"
cat "$ROWS"
[ -n "$NOTE" ] && { echo; echo "$NOTE"; }
warm="$(grep -F '| edge-host, warm cache |' "$ROWS" | awk -F'|' '{gsub(/ /,"",$3); print $3}')"
if [[ "$warm" =~ ^[0-9.]+$ ]]; then
  echo
  echo "Target, warm cache under 10 ms: median ${warm} ms ($(python3 -c "print('met' if $warm < 10 else 'not met')"))."
fi
! grep -q '| failed:' "$ROWS"

#!/usr/bin/env bash
# Conformance suite for WasmEdge's socket ABI (tests/conformance-guest/README.md).
#
# Runs the same checks on edge-host (default) or on real WasmEdge
# (EDGE_RUNTIME=wasmedge), so the two can be compared case by case:
#   * the Rust guest (tests/conformance-guest) with the native peer
#     (tests/conformance-peer/peer.py) for checks 1-23 and the extras;
#   * process-level checks run here: 22 (misaligned fd_fdstat_get traps, on
#     WasmEdge main only), 24 (import matching, tiny WAT modules in
#     tests/conformance-guest/wat), 25 (proc_exit status, trap status, argv[0]
#     and environ);
#   * 26 end to end with the service module (tests/conformance-peer/http_e2e.py).
# Every expectation belongs to a range of WasmEdge versions; the run expects
# the behaviour of --abi VERSION (default 0.17.0) and reports the other cases
# as `skip`.
# Prints `ok   <case>` / `FAIL <case>: ...` / `skip <case>: ...` lines (and
# `obs` lines with observed values), then compares every case's outcome with
# the record of real WasmEdge, tests/conformance-guest/recorded/wasmedge-<abi>.json,
# printing one MISMATCH line per difference. Exits 1 if a case failed or the
# outcomes differ from the record.
#
# Usage: scripts/conformance.sh [--abi VERSION] [--record] [CASE-PREFIX...]
#   --record  (EDGE_RUNTIME=wasmedge, WASMEDGE_COMMIT=<the commit wasmedge was
#             built from>) writes this run's outcomes as the record instead of
#             comparing with it.
#   CASE-PREFIX filters the guest's cases (and compares only those).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"

ABI=0.17.0
RECORD=0
PREFIXES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --abi) [ $# -ge 2 ] || die "--abi needs a version (e.g. 0.17.0 or main)"; ABI="$2"; shift 2 ;;
    --record) RECORD=1; shift ;;
    -*) die "unknown option $1 (usage: scripts/conformance.sh [--abi VERSION] [--record] [CASE-PREFIX...])" ;;
    *) PREFIXES+=("$1"); shift ;;
  esac
done
RECORDED_DIR=tests/conformance-guest/recorded
RECORD_FILE="$RECORDED_DIR/wasmedge-$ABI.json"

GUEST_TIMEOUT_S=120
WORK="$(mktemp -d /tmp/edge-conformance.XXXXXX)"
RESULTS="$WORK/results"
: >"$RESULTS"
PEER_PID=""
cleanup() {
  if [ -n "$PEER_PID" ]; then kill "$PEER_PID" 2>/dev/null || true; wait "$PEER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# result NAME ERROR: records one script-level case ("" = passed).
result() {
  if [ -z "$2" ]; then printf 'ok   %s\n' "$1"; else printf 'FAIL %s: %s\n' "$1" "$2"; fi | tee -a "$RESULTS"
}

# observe NAME KEY VALUE: records a value a script-level case observed.
observe() { printf 'obs  %s\t%s\t%s\n' "$1" "$2" "$3" | tee -a "$RESULTS"; }

# version_le A B: whether WasmEdge version A <= B ("main" is after every release).
version_le() {
  [ "$1" = "$2" ] && return 0
  [ "$2" = main ] && return 0
  [ "$1" = main ] && return 1
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ]
}

# expected_on NAME SINCE UNTIL: true when the case's expectation (WasmEdge
# SINCE inclusive .. UNTIL exclusive, "-" = open) holds for --abi; otherwise
# prints the case as skipped.
expected_on() {
  local name="$1" since="$2" until="$3"
  if { [ "$since" = - ] || version_le "$since" "$ABI"; } &&
     { [ "$until" = - ] || ! version_le "$until" "$ABI"; }; then
    return 0
  fi
  printf 'skip %s: expectation of WasmEdge %s up to %s (exclusive), target %s\n' "$name" "$since" "$until" "$ABI" | tee -a "$RESULTS"
  return 1
}

step "Checking tools (rust target wasm32-wasip1, wat2wasm, python3)"
ensure_toolchain
command -v wat2wasm >/dev/null 2>&1 || apt_install wabt
command -v python3 >/dev/null 2>&1 || apt_install python3

step "Checking the outcome recorder (tests/conformance-peer/test_outcomes.py)"
python3 -m unittest -q tests/conformance-peer/test_outcomes.py 2>"$WORK/unittest.err" ||
  die "outcomes.py fails its own tests: $(tail -n 20 "$WORK/unittest.err")"

build_conformance_guest
build_module
GUEST="$(conformance_guest_path)"

if [ "${EDGE_RUNTIME:-}" = edge-host ] || { [ -z "${EDGE_RUNTIME:-}" ] && ! command -v wasmedge >/dev/null 2>&1; }; then
  build_edge_host
fi
select_runtime
info "runtime: $EDGE_RUNTIME (${RUNTIME_CMD[*]}), expecting the behaviour of WasmEdge $ABI"
if [ "$RECORD" = 1 ]; then
  [ "$EDGE_RUNTIME" = wasmedge ] || die "--record records real WasmEdge: run it with EDGE_RUNTIME=wasmedge"
  [ -n "${WASMEDGE_COMMIT:-}" ] || die "--record needs WASMEDGE_COMMIT=<the git commit this wasmedge was built from>"
  [ ${#PREFIXES[@]} -eq 0 ] || die "--record records the whole suite: give no case prefixes"
else
  [ -f "$RECORD_FILE" ] || die "no record of real WasmEdge $ABI at $RECORD_FILE (make one with --record on WasmEdge $ABI)"
fi
case "$EDGE_RUNTIME" in
  wasmedge) RUNTIME_VERSION="$(wasmedge --version | sed -n 's/^.*wasmedge version //p' | head -n1)" ;;
  *) RUNTIME_VERSION="$("${RUNTIME_CMD[0]}" --version | sed -n 's/^edge-host //p')" ;;
esac

step "Building the import-matching modules (check 24) from WAT"
for wat in tests/conformance-guest/wat/*.wat; do
  name="$(basename "$wat" .wat)"
  [ "$name" = prelude ] && continue
  sed -e '/;;@PRELUDE/r tests/conformance-guest/wat/prelude.wat' -e '/;;@PRELUDE/d' "$wat" >"$WORK/$name.wat"
  wat2wasm "$WORK/$name.wat" -o "$WORK/$name.wasm" || die "wat2wasm failed on $wat"
done

step "Starting the native peer"
python3 tests/conformance-peer/peer.py --lifetime 600 >"$WORK/peer.out" 2>"$WORK/peer.err" &
PEER_PID=$!
PEER_PORT=""
for _ in $(seq 1 100); do
  PEER_PORT="$(sed -n 's/^PEER_PORT=//p' "$WORK/peer.out")"
  [ -n "$PEER_PORT" ] && break
  kill -0 "$PEER_PID" 2>/dev/null || die "the native peer exited: $(cat "$WORK/peer.err")"
  sleep 0.05
done
[ -n "$PEER_PORT" ] || die "the native peer did not report its port within 5 s"
info "peer on 127.0.0.1:$PEER_PORT"

step "Running the guest suite (checks 1-23 and extras) under $EDGE_RUNTIME"
cp "$GUEST" "$WORK/conformance_guest.wasm"
set +e
timeout "$GUEST_TIMEOUT_S" "${RUNTIME_CMD[@]}" --env "PEER_PORT=$PEER_PORT" --env "CONFORMANCE_ABI=$ABI" \
  "$WORK/conformance_guest.wasm" ${PREFIXES[@]+"${PREFIXES[@]}"} 2>"$WORK/guest.err" | tee -a "$RESULTS"
status=${PIPESTATUS[0]}
set -e
case "$status" in
  0|1) result "guest-suite-ran-to-completion" "" ;;
  124) result "guest-suite-ran-to-completion" "expected the guest to finish within ${GUEST_TIMEOUT_S}s, got a hang in case '$(sed -n 's/^\.\. //p' "$WORK/guest.err" | tail -n1)'" ;;
  *) result "guest-suite-ran-to-completion" "expected exit status 0 or 1, got $status during case '$(sed -n 's/^\.\. //p' "$WORK/guest.err" | tail -n1)': $(grep -v '^\.\. ' "$WORK/guest.err" | tail -n3 | tr '\n' ' ')" ;;
esac

# run_mode NAME EXPECTED-STATUS ARGS...: runs the guest in a process mode and checks its exit status.
run_mode() {
  local name="$1" want="$2"; shift 2
  local got=0
  timeout 30 "${RUNTIME_CMD[@]}" "$@" >"$WORK/mode.out" 2>"$WORK/mode.err" || got=$?
  if [ "$got" = "$want" ]; then result "$name" ""
  else result "$name" "expected exit status $want, got $got ($(tail -c 300 "$WORK/mode.out" "$WORK/mode.err" 2>/dev/null | tr '\n' ' '))"; fi
  observe "$name" "exit status" "$got"
}

if [ ${#PREFIXES[@]} -eq 0 ]; then
  step "Process-level checks (22 trap, 25 exit codes and environ)"
  # 0.17.x returns ADDRNOTAVAIL instead (the guest's c22-misaligned-fdstat-buffer-addrnotavail).
  if expected_on "c22-misaligned-fdstat-buffer-traps" main -; then
    run_mode "c22-misaligned-fdstat-buffer-traps" 134 "$WORK/conformance_guest.wasm" trap-fdstat-misaligned
  fi
  run_mode "c25-proc-exit-3-exits-3" 3 "$WORK/conformance_guest.wasm" exit-3
  run_mode "c25-return-from-start-exits-0" 0 "$WORK/conformance_guest.wasm" return
  run_mode "c25-trap-exits-134" 134 "$WORK/conformance_guest.wasm" trap
  # The host's own environment must not leak into the guest (§7).
  got=0
  CONFORMANCE_HOST_ONLY=leaked timeout 30 "${RUNTIME_CMD[@]}" --env CONF_A=1 --env "CONF_B=two words=x" \
    "$WORK/conformance_guest.wasm" environ conformance_guest.wasm CONF_A=1 "CONF_B=two words=x" \
    >"$WORK/environ.out" 2>"$WORK/environ.err" || got=$?
  if grep -q 'c25-environ' "$WORK/environ.out"; then
    grep -E '^(ok   |FAIL )' "$WORK/environ.out" | tee -a "$RESULTS"
  else
    result "c25-environ-exactly-the-configured-variables" "expected the guest to report, got exit status $got: $(tail -c 300 "$WORK/environ.err" | tr '\n' ' ')"
  fi

  step "Import matching (check 24)"
  # module  since  until: the WasmEdge versions whose behaviour the module expects.
  while read -r mod since until; do
    expected_on "c24-import-$mod" "$since" "$until" || continue
    got=0
    timeout 30 "${RUNTIME_CMD[@]}" "$WORK/$mod.wasm" </dev/null >"$WORK/mod.out" 2>&1 || got=$?
    if [ "$got" = 0 ]; then result "c24-import-$mod" ""
    else result "c24-import-$mod" "expected exit status 0, got $got (a number below 20 is a set-up step, 20+ a check; see tests/conformance-guest/wat/$mod.wat) $(tail -c 300 "$WORK/mod.out" | tr '\n' ' ')"; fi
    observe "c24-import-$mod" "exit status" "$got"
  done <<'MODULES'
accept_2_params - -
accept_3_params - main
accept_3_params_main main -
recv_from_7_params - -
recv_from_8_params - -
recv_from_both - -
MODULES

  step "End to end with the service module (check 26)"
  python3 tests/conformance-peer/http_e2e.py "$WASM_MODULE" -- "${RUNTIME_CMD[@]}" | tee -a "$RESULTS" || true
fi

passed="$(grep -c '^ok   ' "$RESULTS" || true)"
failed="$(grep -c '^FAIL ' "$RESULTS" || true)"
skipped="$(grep -c '^skip ' "$RESULTS" || true)"
echo
if [ "$failed" -gt 0 ]; then
  echo "Failed cases:"
  grep '^FAIL ' "$RESULTS" | sed 's/^/  /'
fi
echo "conformance: $passed passed, $failed failed, $skipped skipped (expectations of WasmEdge $ABI, on $EDGE_RUNTIME $RUNTIME_VERSION)"

step "Per-case outcomes"
command_line="EDGE_RUNTIME=$EDGE_RUNTIME bash scripts/conformance.sh --abi $ABI"
[ "$RECORD" = 1 ] && command_line="$command_line --record"
python3 tests/conformance-peer/outcomes.py collect "$RESULTS" -o "$WORK/outcomes.json" \
  --runtime "$EDGE_RUNTIME" --runtime-version "$RUNTIME_VERSION" --wasmedge-commit "${WASMEDGE_COMMIT:--}" \
  --abi "$ABI" --command "$command_line" || die "could not turn the results into outcomes"
same=0
if [ "$RECORD" = 1 ]; then
  mkdir -p "$RECORDED_DIR"
  cp "$WORK/outcomes.json" "$RECORD_FILE"
  info "recorded $(grep -c '"name"' "$RECORD_FILE") cases of wasmedge $RUNTIME_VERSION ($WASMEDGE_COMMIT) in $RECORD_FILE"
else
  subset=()
  [ ${#PREFIXES[@]} -gt 0 ] && subset=(--subset)
  python3 tests/conformance-peer/outcomes.py compare "$RECORD_FILE" "$WORK/outcomes.json" ${subset[@]+"${subset[@]}"} || same=$?
  [ "$same" = 0 ] || info "outcomes differ from real WasmEdge $ABI (MISMATCH lines above)"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && [ "$same" = 0 ]

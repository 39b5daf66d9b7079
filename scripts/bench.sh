#!/usr/bin/env bash
# The comparison benchmark: the article's table, measured here.
#
# Builds everything in release mode, then measures one row after another in
# the same run: the service built natively (the baseline), its .wasm on
# edge-host (warm compile cache), on wasmedge (interpreter and AOT, only when
# wasmedge is on PATH), and the peers in bench/peers/ (Node.js node:http,
# Express, Go net/http). Per row: cold start (median spawn -> first 200),
# throughput and p50/p99 from wrk on GET /api/hello, GET /api/users/{id} and
# POST /api/users, peak and idle RSS, artifact size. Prints one Markdown table
# with ratios to native and writes it to bench/results/latest.md (+ .json).
#
# Usage: scripts/bench.sh            full run (about 4 minutes after the builds)
#        scripts/bench.sh --smoke    ~20 s of measuring that only proves the script
#                                    works end to end; leaves bench/results/ alone
#        scripts/bench.sh --only native,edge-host   a subset (not saved as latest)
#        scripts/bench.sh --wait-quiet 600   first wait up to 600 s for the machine to
#                                    be under 15% busy (the cores are shared)
# Tunables (full run): BENCH_DURATION (10 s), BENCH_WARMUP (2 s),
# BENCH_CONNECTIONS (16), BENCH_COLDSTART_RUNS (20), BENCH_SEED_USERS (100),
# BENCH_NOISE_RETRIES (2: an endpoint run during which other processes took
# >= 15% of the server's or wrk's core is measured again, at most twice).
# Never part of scripts/test.sh: it measures, it does not assert.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT" || exit 1

SMOKE=0
ONLY=""
WAIT_QUIET=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --only) [ $# -ge 2 ] || die "--only needs a comma-separated list of rows"; ONLY="$2"; shift ;;
    --wait-quiet)
      require_number --wait-quiet "${2:-}" 0
      WAIT_QUIET="$2"; shift ;;
    -h|--help) sed -n '2,/^# Never/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (usage: scripts/bench.sh [--smoke] [--only ROW,...] [--wait-quiet SECONDS])" ;;
  esac
  shift
done

if [ "$SMOKE" = 1 ]; then
  DURATION=1 WARMUP=0 CONNECTIONS=4 COLDSTART_RUNS=3 SEED_USERS=20 IDLE_SETTLE=0.2 NOISE_RETRIES=0
else
  DURATION="${BENCH_DURATION:-10}" WARMUP="${BENCH_WARMUP:-2}" CONNECTIONS="${BENCH_CONNECTIONS:-16}"
  COLDSTART_RUNS="${BENCH_COLDSTART_RUNS:-20}" SEED_USERS="${BENCH_SEED_USERS:-100}" IDLE_SETTLE=1
  NOISE_RETRIES="${BENCH_NOISE_RETRIES:-2}"
fi
for var in DURATION CONNECTIONS COLDSTART_RUNS SEED_USERS; do require_number "BENCH_$var" "${!var}"; done
require_number BENCH_WARMUP "$WARMUP" 0
require_number BENCH_NOISE_RETRIES "$NOISE_RETRIES" 0
[ "$(nproc)" -ge 2 ] || die "the benchmark pins the server to core 0 and wrk to core 1: it needs 2 cores, this machine has $(nproc)"

# wants ROW: true when this run measures ROW (all rows unless --only narrows them).
wants() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

TRIPLE="$(host_triple)"
BENCH_BUILD="$CARGO_TARGET_DIR/bench"
mkdir -p "$BENCH_BUILD"
# run_build DESCRIPTION CMD...: runs a build step under nice, records it for the report
# (the cargo builds of scripts/lib/build.sh record themselves in BUILD_COMMANDS).
run_build() {
  local what="$1"; shift
  step "$what"
  BUILD_COMMANDS+=("$*")
  nice "$@" 2>&1 | sed 's/^/    /' >&2 || die "$what failed; the output above says why"
}

step "Toolchain and Debian packages (wrk, Go, taskset)"
EDGE_SKIP_HOST_BUILD=1 bash scripts/setup.sh
apt_install wrk golang-go util-linux
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
info "$(wrk -v 2>&1 | head -n1 | cut -c1-40); $(go version); node $(node --version)"

build_module
build_native_service
if wants edge-host; then build_edge_host; fi

step "Building the Go peer (standard library only, offline)"
BUILD_COMMANDS+=("(cd bench/peers/go-nethttp && GOFLAGS=-mod=mod GOPROXY=off go build -trimpath -o target/bench/go-nethttp .)")
(cd bench/peers/go-nethttp \
  && GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$BENCH_BUILD/go-cache" nice go build -trimpath -o "$BENCH_BUILD/go-nethttp" .) \
  || die "the Go peer did not build (bench/peers/go-nethttp); it must need nothing beyond Go's standard library"

step "Installing Express for its peer (npm ci, from the committed package-lock.json)"
BUILD_COMMANDS+=("(cd bench/peers/express && npm ci --omit=dev)")
(cd bench/peers/express && npm ci --omit=dev --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config' | sed 's/^/    /' >&2) \
  || die "npm ci failed in bench/peers/express; the npm registry must be reachable"
[ -d bench/peers/express/node_modules/express ] || die "npm ci finished but Express is not in bench/peers/express/node_modules"

NOTES=()
if command -v wasmedge >/dev/null 2>&1; then
  run_build "Compiling the module ahead of time with wasmedge compile" \
    wasmedge compile "$WASM_MODULE" "$BENCH_BUILD/edge_service_aot.wasm"
else
  NOTES+=(--note "wasmedge is not on PATH: the WasmEdge interpreter and AOT rows were skipped.")
  info "wasmedge is not on PATH: the WasmEdge interpreter and AOT rows will be skipped"
fi
NOTES+=(--note "The service runs with its defaults (LOG_LEVEL=info: one log line per request on stderr, discarded to /dev/null during the load); the peers do not log.")

# Which source the figures belong to: the commit, and whether measured code had local changes.
if git -C "$REPO_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  SOURCE="commit $(git -C "$REPO_ROOT" rev-parse --short HEAD)"
  dirty="$(git -C "$REPO_ROOT" status --porcelain -- src host Cargo.toml Cargo.lock bench | wc -l)"
  [ "$dirty" -gt 0 ] && SOURCE+=" with $dirty uncommitted change(s) in src/, host/, Cargo.* or bench/"
else
  SOURCE="${BENCH_SOURCE:-an export without git metadata}"
fi
NOTES+=(--note "Measured source: $SOURCE.")

command -v python3 >/dev/null 2>&1 || apt_install python3
RESULTS_TMP="$(mktemp -d /tmp/edge-bench-results.XXXXXX)"
COMMAND_ARGS=()
for c in "${BUILD_COMMANDS[@]}"; do COMMAND_ARGS+=(--command "$c"); done
SUBSET=()
[ -n "$ONLY" ] && SUBSET=(--only "$ONLY")
SMOKE_ARG=()
[ "$SMOKE" = 1 ] && SMOKE_ARG=(--smoke)

step "Measuring (${DURATION} s per endpoint after ${WARMUP} s warm-up, ${CONNECTIONS} connections, ${COLDSTART_RUNS} cold starts per row)"
status=0
PYTHONPATH="$REPO_ROOT/bench/lib" python3 -m edgebench \
  --repo "$REPO_ROOT" --target-dir "$CARGO_TARGET_DIR" --triple "$TRIPLE" --bench-build-dir "$BENCH_BUILD" \
  --duration "$DURATION" --warmup "$WARMUP" --connections "$CONNECTIONS" \
  --coldstart-runs "$COLDSTART_RUNS" --seed-users "$SEED_USERS" --idle-settle "$IDLE_SETTLE" \
  --wait-quiet "$WAIT_QUIET" --noise-retries "$NOISE_RETRIES" \
  --markdown-out "$RESULTS_TMP/latest.md" --json-out "$RESULTS_TMP/latest.json" \
  "${COMMAND_ARGS[@]}" "${NOTES[@]}" "${SUBSET[@]}" "${SMOKE_ARG[@]}" || status=$?

if [ "$status" -ne 0 ]; then
  die "the benchmark did not complete (see the errors above); the partial report is in $RESULTS_TMP/latest.md"
fi
if [ "$SMOKE" = 1 ] || [ -n "$ONLY" ]; then
  step "Done; report in $RESULTS_TMP/latest.md (bench/results/latest.md is only written by a full run)"
else
  mkdir -p bench/results
  cp "$RESULTS_TMP/latest.md" "$RESULTS_TMP/latest.json" bench/results/
  rm -rf "$RESULTS_TMP"
  step "Done; report written to bench/results/latest.md (raw figures in bench/results/latest.json)"
fi

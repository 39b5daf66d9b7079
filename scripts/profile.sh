#!/usr/bin/env bash
# Where the time goes, per request: callgrind instruction counts,
# heap allocations and system calls of the service built natively and of its
# .wasm on edge-host, side by side, for GET /api/hello, GET /api/users/{id} and
# POST /api/users. Instruction counts are exact whatever else the machine is
# doing, so they are the before/after measure of an optimisation; throughput
# belongs to scripts/bench.sh.
#
# Usage: scripts/profile.sh [OPTIONS]
#   --requests N           measured requests per endpoint under callgrind (default 2000)
#   --endpoints LIST       hello,get_user,post_user (default: all three)
#   --targets LIST         native,edge-host (default: both)
#   --env NAME=VALUE       extra service environment, e.g. --env LOG_LEVEL=warn (repeatable)
#   --no-callgrind         only count system calls (seconds instead of minutes)
#   --no-build             profile what is already built
#   --out FILE             also write the Markdown report to FILE
#   (python3 -m edgeprofile --help lists the rest)
# About 5 minutes after the builds with the defaults. Builds use Cargo's
# `profiling` profile: the release build with its symbols kept (the code is
# the same), so functions have names natively and, through edge-host's perf
# map (EDGE_HOST_PERFMAP=1), inside the guest too. Never part of scripts/test.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT" || exit 1

BUILD=1
OUT=""
PASS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --out) [ $# -ge 2 ] || die "--out needs a file name"; OUT="$2"; shift ;;
    -h|--help) sed -n '2,/^# the same), so/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) PASS+=("$1") ;;
  esac
  shift
done

step "Tools: valgrind (callgrind), strace, perf, wrk"
apt_install valgrind strace linux-perf wrk util-linux python3

TRIPLE="$(host_triple)"
NATIVE="$CARGO_TARGET_DIR/$TRIPLE/profiling/edge_service"
MODULE="$(module_path profiling)"
EDGE_HOST="$(edge_host_bin)"
if [ "$BUILD" = 1 ]; then
  # Profile 'profiling': the release code with its symbols kept.
  build_native_service profiling
  build_module profiling
  build_edge_host
fi
for built in "$NATIVE" "$MODULE" "$EDGE_HOST"; do
  [ -f "$built" ] || die "$built is missing; run scripts/profile.sh without --no-build"
done

step "Profiling (callgrind runs are ~50x slower than native; each prints a line)"
REPORT="$(mktemp /tmp/edge-profile-report.XXXXXX.md)"
PYTHONPATH="$REPO_ROOT/bench/lib" python3 -m edgeprofile \
  --native "$NATIVE" --edge-host "$EDGE_HOST" --wasm "$MODULE" --markdown-out "$REPORT" "${PASS[@]}" \
  || die "profiling failed (see the error above)"
if [ -n "$OUT" ]; then
  cp "$REPORT" "$OUT"
  step "Report written to $OUT"
fi
rm -f "$REPORT"

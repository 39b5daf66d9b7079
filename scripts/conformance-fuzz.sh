#!/usr/bin/env bash
# Differential fuzzer for WasmEdge's socket ABI: runs the conformance guest's
# seeded random call sequences (`conformance_guest.wasm fuzz --seed S --steps N`,
# tests/conformance-guest/src/fuzz/) on edge-host and on real WasmEdge and
# diffs them step by step; prints every divergence at its first differing step
# and a closing `fuzz: N sequences, M steps, D divergent`; exits 1 on any.
#
# Without wasmedge on PATH it checks edge-host against itself run twice (a
# determinism check of the comparison itself); CI compares the recorded WasmEdge
# outcomes of seeds 1-20 through the `fuzz-seed-*` cases of scripts/conformance.sh.
#
# Usage: scripts/conformance-fuzz.sh [SEEDS (default 200)] [STEPS (default 200)] [FIRST-SEED (default 1)]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"

SEEDS="${1:-200}"
STEPS="${2:-200}"
FIRST="${3:-1}"
WORK="$(mktemp -d /tmp/edge-fuzz.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

build_conformance_guest
build_edge_host
cp "$(conformance_guest_path)" "$WORK/conformance_guest.wasm"
EDGE_HOST="$(edge_host_bin)"

if command -v wasmedge >/dev/null 2>&1; then
  OTHER=(wasmedge run)
  info "comparing edge-host with $(wasmedge --version | head -n1)"
else
  OTHER=("$EDGE_HOST" run)
  info "wasmedge is not on PATH: comparing edge-host with itself (determinism only)"
fi

# run_one RUNTIME-CMD... -- SEED OUT: one sequence; the exit status is appended as a last line.
run_one() {
  local out="${*: -1}" seed="${*: -2:1}"
  local cmd=("${@:1:$#-3}")
  local got=0
  timeout 60 "${cmd[@]}" "$WORK/conformance_guest.wasm" fuzz --seed "$seed" --steps "$STEPS" \
    <"/dev/null" >"$out.raw" 2>"$out.err" || got=$?
  # Only the guest's lines: WasmEdge also logs warnings to stdout.
  grep -E '^(seed [0-9]+ steps|[0-9]+ |end$)' "$out.raw" >"$out" || true
  echo "exit $got" >>"$out"
}

step "Running seeds $FIRST..$((FIRST + SEEDS - 1)), $STEPS steps each, on both runtimes"
divergent=0
total_steps=0
for seed in $(seq "$FIRST" $((FIRST + SEEDS - 1))); do
  run_one "${OTHER[@]}" -- "$seed" "$WORK/a"
  run_one "$EDGE_HOST" run -- "$seed" "$WORK/b"
  total_steps=$((total_steps + $(grep -cE '^[0-9]+ ' "$WORK/b" || true)))
  if ! cmp -s "$WORK/a" "$WORK/b"; then
    divergent=$((divergent + 1))
    lineno="$( (cmp "$WORK/a" "$WORK/b" 2>/dev/null || true) | sed -n 's/.* line \([0-9]*\).*/\1/p')"
    printf 'DIVERGE seed %s at output line %s\n' "$seed" "${lineno:-?}"
    printf '  %s:  %s\n' "${OTHER[0]}" "$(sed -n "${lineno:-1}p" "$WORK/a")"
    printf '  edge-host: %s\n' "$(sed -n "${lineno:-1}p" "$WORK/b")"
  fi
done
echo "fuzz: $SEEDS sequences, $total_steps steps on each runtime, $divergent divergent"
[ "$divergent" -eq 0 ]

#!/usr/bin/env bash
# Runs the deployment tests (tests/deploy): the daemonless OCI image
# (scripts/image.sh) is valid, complete and reproducible; the Kubernetes
# manifests and the compose file validate against their official schemas; the
# Dockerfile matches the image; and the module taken out of the image runs
# under the runner (wasmedge, else edge-host) and answers /api/health.
#
# Needs the release module (cargo build --release) and the runner built
# (scripts/setup.sh builds edge-host). Installs its own tools, idempotently:
# Debian's umoci, skopeo, oci-image-tool, jq; pinned PyPI packages in target/py-venv.
#
# Arguments are passed to pytest (e.g. -k reproducible, -x).
set -euo pipefail
requested_module="${WASM_MODULE:-}"
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/venv.sh"
# common.sh sets WASM_MODULE to the release build; an explicit one wins.
WASM_MODULE="${requested_module:-$WASM_MODULE}"
export WASM_MODULE

step "Deployment tests: checking the inputs"
[ -f "$WASM_MODULE" ] || die "no Wasm module at $WASM_MODULE: build it first with 'cargo build --release' at the repository root (or set WASM_MODULE)"
select_runtime
info "module:  $WASM_MODULE"
info "runner:  ${RUNTIME_CMD[*]} ($EDGE_RUNTIME)"

step "Installing the image and validation tools (Debian: umoci, skopeo, oci-image-tool, jq)"
apt_install umoci skopeo oci-image-tool jq tar gzip
for bin in umoci skopeo oci-image-tool jq; do
  command -v "$bin" >/dev/null 2>&1 || die "$bin is not on PATH after installing its Debian package"
done

step "Preparing the Python test environment (pytest, kubernetes-validate, check-jsonschema, hadolint)"
ensure_py_venv "$REPO_ROOT/tests/deploy/requirements.txt"

WORK="$(mktemp -d /tmp/edge-deploy-test.XXXXXX)"
# Every module the tests start records its pid here; kill leftovers whatever happens.
cleanup() {
  local pid
  if [ -f "$WORK/pids" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null || true
    done <"$WORK/pids"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Running tests/deploy with pytest"
export DEPLOY_TEST_PIDS="$WORK/pids"
EDGE_RUNTIME_CMD="$(printf '%s\n' "${RUNTIME_CMD[@]}" | jq -R . | jq -cs .)"
export EDGE_RUNTIME_CMD
export PATH="$PY_VENV/bin:$PATH"
cd "$REPO_ROOT/tests/deploy"
"$PY_VENV/bin/python" -m pytest --basetemp="$WORK/pytest" "$@"

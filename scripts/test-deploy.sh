#!/usr/bin/env bash
# Runs the deployment tests (tests/deploy): the daemonless OCI image
# (scripts/image.sh) is valid, complete and reproducible; the Kubernetes
# manifests and the compose file validate against their official schemas; the
# Dockerfile matches the image; the module taken out of the image runs
# under the runner (wasmedge, else edge-host) and answers /api/health; and the
# runner image (linux/amd64, static edge-host) runs for real in a private
# dockerd (Debian's docker.io 20.10) and under crun, both started and stopped
# by the tests (about a minute more).
#
# Needs the release module (cargo build --release) and the runner built
# (scripts/setup.sh builds edge-host); builds the static edge-host
# (x86_64-unknown-linux-musl) into target/ once. Installs its own tools,
# idempotently: Debian's umoci, skopeo, oci-image-tool, jq, docker.io, crun,
# musl-tools; pinned PyPI packages in target/py-venv.
#
# Arguments are passed to pytest (e.g. -k reproducible, -x).
set -euo pipefail
# common.sh keeps an explicit WASM_MODULE (and exports it); unset, it is the release build.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/venv.sh"

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

step "Installing the container engines (Debian: docker.io, crun)"
apt_install docker.io crun util-linux binutils
for bin in dockerd crun unshare readelf; do
  command -v "$bin" >/dev/null 2>&1 || die "$bin is not on PATH after installing its Debian package"
done
[ -x /usr/bin/docker ] || die "/usr/bin/docker (Debian's docker.io client) is missing"

build_static_edge_host
EDGE_HOST_STATIC="$(static_edge_host_bin)"
export EDGE_HOST_STATIC

step "Preparing the Python test environment (pytest, kubernetes-validate, check-jsonschema, hadolint)"
ensure_py_venv "$REPO_ROOT/tests/deploy/requirements.txt"

WORK="$(mktemp -d /tmp/edge-deploy-test.XXXXXX)"
# Every module the tests start records its pid here, every engine its directory;
# stop leftovers whatever happens (normally the tests have stopped them already).
stop_engine() {
  local dir="$1" pid id cgroup
  if [ -f "$dir/docker.pid" ]; then
    pid="$(cat "$dir/docker.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      info "stopping the test dockerd (pid $pid)"
      for id in $(DOCKER_HOST="unix://$dir/docker.sock" DOCKER_API_VERSION=1.41 /usr/bin/docker ps -aq 2>/dev/null); do
        DOCKER_HOST="unix://$dir/docker.sock" DOCKER_API_VERSION=1.41 /usr/bin/docker rm -f "$id" >/dev/null 2>&1 || true
      done
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  if [ -f "$dir/cgroup-parent" ]; then
    cgroup="/sys/fs/cgroup/pids/$(cat "$dir/cgroup-parent")"
    if [ -d "$cgroup" ]; then
      # shellcheck disable=SC2038 # the files hold process ids, one per line
      find "$cgroup" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    fi
    for cgroup in /sys/fs/cgroup/*/"$(cat "$dir/cgroup-parent")"; do
      [ -d "$cgroup" ] && find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
  fi
  for id in $(crun --root="$dir" list -q 2>/dev/null); do
    crun --root="$dir" --cgroup-manager=disabled kill "$id" KILL 2>/dev/null || true
    crun --root="$dir" --cgroup-manager=disabled delete --force "$id" 2>/dev/null || true
  done
}
cleanup() {
  local pid dir
  if [ -f "$WORK/pids" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null || true
    done <"$WORK/pids"
  fi
  if [ -f "$WORK/engines" ]; then
    while read -r dir; do [ -n "$dir" ] && stop_engine "$dir"; done <"$WORK/engines"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Running tests/deploy with pytest"
export DEPLOY_TEST_PIDS="$WORK/pids"
export DEPLOY_TEST_ENGINES="$WORK/engines"
EDGE_RUNTIME_CMD="$(printf '%s\n' "${RUNTIME_CMD[@]}" | jq -R . | jq -cs .)"
export EDGE_RUNTIME_CMD
export PATH="$PY_VENV/bin:$PATH"
cd "$REPO_ROOT/tests/deploy"
"$PY_VENV/bin/python" -m pytest --basetemp="$WORK/pytest" "$@"

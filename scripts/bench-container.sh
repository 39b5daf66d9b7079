#!/usr/bin/env bash
# Measures the runner image in real container engines (dockerd, crun) next to edge-host
# run directly, in one run: cold start and GET /api/hello throughput
# (bench/container/measure.py). Builds what it needs first (the module, edge-host, the
# images); starts and stops its own private dockerd. Needs root. Arguments go to
# measure.py (--runs N, --duration S, --warmup S).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"

[ "$(id -u)" -eq 0 ] || die "the container engines need root: run this as root"
bash scripts/setup.sh
bash scripts/build.sh
step "Installing the benchmark and engine tools (Debian: wrk, docker.io, crun, umoci, util-linux)"
apt_install wrk docker.io crun umoci util-linux
step "Building the images (scripts/image.sh)"
bash scripts/image.sh
step "Measuring (a few minutes: 4 rows of cold starts and wrk runs)"
PYTHONPATH="$REPO_ROOT/tests/deploy" python3 bench/container/measure.py "$@"

"""The runner image in real container engines next to edge-host run directly, in one
run: cold start (spawn -> first 200 on /api/health, median of N starts) and
GET /api/hello throughput with wrk (1 thread, 16 connections, a discarded warm-up,
then the measured run; server on core 0, wrk on core 1), the settings of
scripts/bench.sh. Rows:

- edge-host (glibc build, warm compile cache) on the .wasm: the baseline;
- the static musl edge-host on the image's .cwasm, run directly: the image's files;
- the runner image under dockerd (docker run --read-only --network host);
- the runner image as an OCI bundle under crun (read-only root, host network).

Engines are started and stopped the way tests/deploy starts them (engines.py).
Usage: scripts/bench-container.sh [--runs N] [--duration S].
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests/deploy"))

from container_run import free_loopback_port  # noqa: E402
from engines import DockerDaemon, run_crun_bundle, wait_for_health  # noqa: E402

SERVICE_ENV = {"LOG_LEVEL": "warn", "HOST": "127.0.0.1"}
SERVER_CORE, CLIENT_CORE = "0", "1"


def wrk(port: int, duration: int, warmup: int) -> float:
    """GET /api/hello req/s: a discarded warm-up, then the measured run."""
    base = ["taskset", "-c", CLIENT_CORE, "wrk", "-t1", "-c16"]
    url = f"http://127.0.0.1:{port}/api/hello"
    subprocess.run(base + [f"-d{warmup}s", url], capture_output=True, check=True)
    out = subprocess.run(base + [f"-d{duration}s", url], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not found:
        raise RuntimeError(f"wrk printed no Requests/sec:\n{out}")
    return float(found.group(1))


def service_env(port: int) -> dict[str, str]:
    return {**SERVICE_ENV, "PORT": str(port)}


def direct_row(binary: Path, module: Path, runs: int, args) -> tuple[float, float]:
    """Cold starts and throughput of `edge-host run MODULE` on the server core."""

    def spawn(port: int) -> subprocess.Popen:
        argv = ["taskset", "-c", SERVER_CORE, str(binary), "run"]
        for name, value in service_env(port).items():
            argv += ["--env", f"{name}={value}"]
        return subprocess.Popen(argv + [str(module)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    starts = []
    for _ in range(runs + 1):
        port = free_loopback_port()
        began = time.monotonic()
        process = spawn(port)
        wait_for_health(port, lambda: process.poll() is None, lambda: "", 120)
        starts.append(time.monotonic() - began)
        if len(starts) <= runs:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    throughput = wrk(port, args.duration, args.warmup)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    # The first start may compile (a cold cache); only the later ones count.
    return statistics.median(starts[1:]), throughput


def docker_row(image_dir: Path, work: Path, runs: int, args) -> tuple[float, float]:
    daemon = DockerDaemon.start(work / "dockerd")
    try:
        daemon.docker("load", "--input", str(image_dir / "edge-service-runner.tar"))

        def run(port: int, *extra: str) -> str:
            argv = ["run", "-d", "--network", "host", "--read-only", "--log-driver", "none", *extra]
            for name, value in service_env(port).items():
                argv += ["-e", f"{name}={value}"]
            return daemon.docker(*argv, "edge-service:runner").stdout.strip()

        starts = []
        for _ in range(runs):
            port = free_loopback_port()
            began = time.monotonic()
            container = run(port)
            wait_for_health(port, lambda: True, lambda: "")
            starts.append(time.monotonic() - began)
            daemon.docker("rm", "-f", container)
        port = free_loopback_port()
        container = run(port, "--cpuset-cpus", SERVER_CORE)
        wait_for_health(port, lambda: True, lambda: "")
        throughput = wrk(port, args.duration, args.warmup)
        daemon.docker("rm", "-f", container)
        return statistics.median(starts), throughput
    finally:
        daemon.stop()


def crun_row(image_dir: Path, work: Path, runs: int, args) -> tuple[float, float]:
    bundle = work / "bundle"
    subprocess.run(["umoci", "unpack", "--image", f"{image_dir / 'runner-oci'}:runner", str(bundle)],
                   check=True, capture_output=True)
    starts, throughput = [], 0.0
    for attempt in range(runs + 1):
        port = free_loopback_port()
        config = json.loads((bundle / "config.json").read_text())
        config["root"]["readonly"] = True
        config["process"]["terminal"] = False
        config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"] if n["type"] != "network"]
        kept = [e for e in config["process"]["env"] if e.split("=", 1)[0] not in service_env(port)]
        config["process"]["env"] = kept + [f"{k}={v}" for k, v in service_env(port).items()]
        (bundle / "config.json").write_text(json.dumps(config))
        began = time.monotonic()
        container = run_crun_bundle(bundle, work / f"crun{attempt}", work / f"crun{attempt}.log")
        try:
            wait_for_health(port, lambda: container.process.poll() is None, container.log)
            if attempt < runs:
                starts.append(time.monotonic() - began)
            else:
                state = json.loads(container.crun("state", container.identifier).stdout)
                subprocess.run(["taskset", "-p", "-c", SERVER_CORE, str(state["pid"])], capture_output=True)
                throughput = wrk(port, args.duration, args.warmup)
            container.crun("kill", container.identifier, "TERM")
            container.process.wait(timeout=30)
        finally:
            container.destroy()
    return statistics.median(starts), throughput


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-dir", type=Path, default=REPO / "target/image")
    parser.add_argument("--target-dir", type=Path, default=REPO / "target")
    parser.add_argument("--runs", type=int, default=7, help="cold starts per row (median)")
    parser.add_argument("--duration", type=int, default=10, help="measured wrk seconds")
    parser.add_argument("--warmup", type=int, default=2, help="discarded wrk seconds")
    args = parser.parse_args()
    gnu = args.target_dir / "x86_64-unknown-linux-gnu/release/edge-host"
    musl = args.target_dir / "x86_64-unknown-linux-musl/release/edge-host"
    wasm = args.target_dir / "wasm32-wasip1/release/edge_service.wasm"
    cwasm = args.image_dir / "edge_service.cwasm"
    for needed in (gnu, musl, wasm, cwasm, args.image_dir / "edge-service-runner.tar"):
        if not needed.exists():
            print(f"error: {needed} is missing: run scripts/bench-container.sh (it builds them)", file=sys.stderr)
            return 1
    work = Path(tempfile.mkdtemp(prefix="edge-bench-container."))
    rows = {}
    try:
        steps = [
            ("edge-host (glibc, warm cache) on the .wasm", lambda: direct_row(gnu, wasm, args.runs, args)),
            ("image files run directly (musl edge-host, .cwasm)", lambda: direct_row(musl, cwasm, args.runs, args)),
            ("runner image under dockerd (docker run)", lambda: docker_row(args.image_dir, work, args.runs, args)),
            ("runner image under crun (crun run)", lambda: crun_row(args.image_dir, work, args.runs, args)),
        ]
        for name, measure in steps:
            print(f"==> measuring: {name}", file=sys.stderr, flush=True)
            rows[name] = measure()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    baseline = next(iter(rows.values()))
    print(f"\n| row | cold start (median of {args.runs}) | GET /api/hello req/s | vs edge-host |")
    print("|---|---:|---:|---:|")
    for name, (start, rps) in rows.items():
        print(f"| {name} | {start * 1000:.1f} ms | {rps:,.0f} | {rps / baseline[1]:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

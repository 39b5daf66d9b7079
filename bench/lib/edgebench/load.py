"""Load runs: Debian's wrk pinned to core 1, one endpoint at a time.

Every run uses a Lua script from bench/lib/wrk/ whose ``done`` hook prints
``BENCH_RESULT {json}``: wrk's exact p50/p99 (its full histogram, microsecond
resolution), request count, duration and error counts. The warm-up run uses
the same command and is thrown away.
"""

import dataclasses
import json
import os
import resource
import subprocess
import time

from .server import core_busy_jiffies

WRK_DIR = os.path.join(os.path.dirname(__file__), "..", "wrk")
LOAD_CORE = 1
SERVER_CORE = 0
# A run in which other processes took this much of the server's or wrk's core
# (core busy minus the process's own CPU) is marked as noisy in the report.
NOISE_LIMIT_PCT = 15.0


class LoadError(RuntimeError):
    """wrk failed or printed no result."""


@dataclasses.dataclass
class Endpoint:
    """One benchmarked endpoint and how wrk drives it."""

    key: str
    title: str
    path: str
    script: str
    # script_args(run_tag, seeded) -> the arguments after `--`.
    script_args: object


ENDPOINTS = [
    Endpoint("hello", "GET /api/hello", "/api/hello", "report.lua", lambda tag, seeded: []),
    Endpoint("get_user", "GET /api/users/{id}", "/", "get_user.lua", lambda tag, seeded: [str(seeded)]),
    Endpoint("post_user", "POST /api/users", "/", "post_user.lua", lambda tag, seeded: [tag]),
]


@dataclasses.dataclass
class LoadSettings:
    """Fixed for the whole run, so every row sees the same load."""

    threads: int
    connections: int
    duration_s: int
    warmup_s: int
    timeout_s: int = 5

    def argv(self, port, endpoint, duration_s, tag, seeded):
        script = os.path.normpath(os.path.join(WRK_DIR, endpoint.script))
        args = endpoint.script_args(tag, seeded)
        return [
            "taskset", "-c", str(LOAD_CORE), "wrk",
            f"-t{self.threads}", f"-c{self.connections}", f"-d{duration_s}s", f"--timeout={self.timeout_s}s",
            "-s", script, f"http://127.0.0.1:{port}{endpoint.path}",
            *(["--", *args] if args else []),
        ]

    def command_line(self, endpoint, duration_s):
        """The wrk command as it appears in the report."""
        argv = self.argv("$PORT", endpoint, duration_s, "<run-tag>", "<seeded>")
        return " ".join("bench/lib/wrk/" + os.path.basename(a) if a.endswith(".lua") else a for a in argv)


def _run_wrk(argv, timeout_s):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as error:
        raise LoadError(f"wrk did not finish within {timeout_s} s: {' '.join(argv)}") from error
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT "):])
    raise LoadError(f"wrk printed no result (exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}")


def _children_cpu():
    """CPU seconds used by our finished children (wrk is the only one a run adds)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_endpoint(server, settings, endpoint, seeded, tag):
    """Warm-up (discarded), then the measured run. Returns the figures as a dict."""
    warmup_requests = 0
    if settings.warmup_s > 0:
        warmup = _run_wrk(
            settings.argv(server.port, endpoint, settings.warmup_s, f"{tag}w", seeded), settings.warmup_s + 30
        )
        warmup_requests = warmup["requests"]
        server.ensure_alive(f"the {endpoint.title} warm-up")

    cpu_before = server.cpu_seconds()
    wrk_before = _children_cpu()
    busy_before = [core_busy_jiffies(c) for c in (SERVER_CORE, LOAD_CORE)]
    wall_before = time.monotonic()
    result = _run_wrk(settings.argv(server.port, endpoint, settings.duration_s, tag, seeded), settings.duration_s + 30)
    wall = time.monotonic() - wall_before
    server.ensure_alive(f"the {endpoint.title} run")
    cpu = server.cpu_seconds() - cpu_before
    wrk_cpu = _children_cpu() - wrk_before
    busy_after = [core_busy_jiffies(c) for c in (SERVER_CORE, LOAD_CORE)]

    core_pct = []
    for (b0, t0), (b1, t1) in zip(busy_before, busy_after):
        core_pct.append(100.0 * (b1 - b0) / max(1, t1 - t0))
    seconds = result["duration_us"] / 1e6
    errors = result["errors"]
    return {
        "requests": result["requests"],
        "warmup_requests": warmup_requests,
        "rps": result["requests"] / seconds if seconds > 0 else 0.0,
        "p50_ms": result["p50_us"] / 1000,
        "p90_ms": result["p90_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "max_ms": result["max_us"] / 1000,
        "mean_ms": result["mean_us"] / 1000,
        "errors": errors,
        "error_count": sum(errors.values()),
        "server_cpu_pct": 100.0 * cpu / wall,
        "wrk_cpu_pct": 100.0 * wrk_cpu / wall,
        "server_core_busy_pct": core_pct[0],
        "load_core_busy_pct": core_pct[1],
        "noise_pct": max(core_pct[0] - 100.0 * cpu / wall, core_pct[1] - 100.0 * wrk_cpu / wall, 0.0),
    }

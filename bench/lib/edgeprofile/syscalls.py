"""System calls per request, two ways.

- ``by_name``: strace attached to the running server for exactly N requests,
  one in flight at a time (the server wakes once per request: the worst case,
  and the same every run), counted by syscall name.
- ``under_load``: the total from ``perf stat -e raw_syscalls:sys_enter`` while
  wrk drives the endpoint with several connections (server on core 0, wrk on
  core 1, as in scripts/bench.sh), divided by wrk's request count. perf counts
  in the kernel, so the server runs at full speed and batches as it would.
"""

import http.client
import os
import re
import signal
import subprocess
import sys
import time

from . import driver

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from edgebench import load  # noqa: E402  (the benchmark's wrk runner and scripts)


class SyscallError(RuntimeError):
    """strace or perf could not count."""


def _wait_traced(pid, timeout_s=10):
    """Waits until a tracer is attached to every thread of `pid`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        tasks = os.listdir(f"/proc/{pid}/task")
        traced = 0
        for task in tasks:
            with open(f"/proc/{pid}/task/{task}/status") as status:
                for line in status:
                    if line.startswith("TracerPid:") and int(line.split()[1]) != 0:
                        traced += 1
        if tasks and traced == len(tasks):
            return
        time.sleep(0.02)
    raise SyscallError(f"strace did not attach to pid {pid} within {timeout_s} s")


def by_name(pid, port, endpoint, count, out_path):
    """{syscall: calls per request} for `count` requests of `endpoint`."""
    tracer = subprocess.Popen(["strace", "-f", "-c", "-qq", "-o", out_path, "-p", str(pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_traced(pid)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            driver.send(conn, endpoint, count, f"strace{time.monotonic_ns()}")
        finally:
            conn.close()
        time.sleep(0.2)
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
    counts = {}
    with open(out_path) as summary:
        for line in summary:
            # % time  seconds  usecs/call  calls  [errors]  syscall
            fields = line.split()
            if len(fields) >= 5 and re.match(r"^[\d.]+$", fields[0]) and fields[-1] != "total":
                counts[fields[-1]] = int(fields[3]) / count
    return counts


def under_load(pid, port, endpoint_key, seconds, connections):
    """(syscalls per request, requests per second) while wrk loads `endpoint_key`."""
    endpoint = next(e for e in load.ENDPOINTS if e.key == endpoint_key)
    settings = load.LoadSettings(threads=1, connections=connections, duration_s=seconds, warmup_s=0)
    counter = subprocess.Popen(
        ["perf", "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p", str(pid)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        time.sleep(0.3)
        result = load._run_wrk(
            settings.argv(port, endpoint, seconds, f"perf{time.monotonic_ns()}", driver.SEED_USERS), seconds + 30
        )
    finally:
        counter.send_signal(signal.SIGINT)
        _, err = counter.communicate(timeout=30)
    calls = None
    for line in err.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and "raw_syscalls:sys_enter" in line and fields[0].strip().isdigit():
            calls = int(fields[0])
    if calls is None:
        raise SyscallError(f"perf stat printed no syscall count: {err.strip()[:300]}")
    requests = result["requests"]
    return calls / max(1, requests), requests / (result["duration_us"] / 1e6)

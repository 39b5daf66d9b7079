#!/usr/bin/env python3
"""Cold-start measurement: time from process spawn to the first 200 from /api/health.

One invocation measures one variant (one runtime command) over N runs and
prints one Markdown table row:

    | <label> | <median ms> | <min ms> | <p90 ms> | <runs> |

Each run picks a free loopback port, starts
``RUNTIME-CMD... --env PORT=<port> --env HOST=127.0.0.1 MODULE`` with
subprocess.Popen, and from the instant before Popen (time.perf_counter) polls
the port with a fresh connect + ``GET /api/health`` every 0.2 ms until a
response with status 200 arrives. The process is then killed and reaped before
the next run, so runs never overlap.

Cache handling (edge-host): ``--cache-dir fresh`` gives every run a new empty
directory in ``$EDGE_HOST_CACHE_DIR``; ``--cache-dir warm`` uses one directory
for the variant and primes it with one uncounted run; ``--cache-dir empty``
gives one empty directory that the variant is expected not to need (.cwasm).
Without the option the runtime's environment is left alone.

Usage: measure.py --label L --runs N --module M [--cache-dir MODE] -- RUNTIME-CMD...
"""

import argparse
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

RETRY_S = 0.0002
RUN_TIMEOUT_S = 60.0
REQUEST = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health_is_200(port):
    """One attempt: True on a 200, False if nothing listens yet (or not ready)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5.0) as sock:
            sock.sendall(REQUEST)
            head = b""
            while b"\r\n" not in head:
                chunk = sock.recv(256)
                if not chunk:
                    return False
                head += chunk
            return head.split(b" ", 2)[1:2] == [b"200"]
    except OSError:
        return False


class ColdStartError(RuntimeError):
    """A start did not reach a 200."""


def seconds_to_first_200(proc, port, start, timeout_s, argv):
    """Probes `port` until a 200 (returns the seconds since `start`, a perf_counter
    reading) or until `proc` exits (returns None); ColdStartError after `timeout_s`."""
    while True:
        if health_is_200(port):
            return time.perf_counter() - start
        if proc.poll() is not None:
            return None
        if time.perf_counter() - start > timeout_s:
            raise ColdStartError(f"no 200 from /api/health within {timeout_s:.0f} s: {' '.join(argv)}")
        time.sleep(RETRY_S)


def one_run(cmd, module, env, log_path):
    """Seconds from spawn to the first 200."""
    port = free_port()
    argv = cmd + ["--env", f"PORT={port}", "--env", "HOST=127.0.0.1", module]
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            elapsed = seconds_to_first_200(proc, port, start, RUN_TIMEOUT_S, argv)
            if elapsed is not None:
                return elapsed
        finally:
            proc.kill()
            proc.wait()
    with open(log_path, errors="replace") as log:
        tail = log.read()[-500:].replace("\n", " ")
    raise ColdStartError(f"{' '.join(argv)} exited with status {proc.returncode}: {tail}")


def p90(values):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def main():
    parser = argparse.ArgumentParser(description="spawn -> first 200 from /api/health")
    parser.add_argument("--label", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--module", required=True)
    parser.add_argument("--cache-dir", choices=["fresh", "warm", "empty"])
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd or args.runs < 1:
        parser.error("give --runs >= 1 and a runtime command after --")

    scratch = tempfile.mkdtemp(prefix="edge-coldstart-")
    env = dict(os.environ)
    log_path = os.path.join(scratch, "runtime.log")
    times = []
    try:
        if args.cache_dir in ("warm", "empty"):
            env["EDGE_HOST_CACHE_DIR"] = os.path.join(scratch, "cache")
            os.makedirs(env["EDGE_HOST_CACHE_DIR"])
        if args.cache_dir == "warm":
            one_run(cmd, args.module, env, log_path)  # fills the cache; not counted
        for index in range(args.runs):
            if args.cache_dir == "fresh":
                env["EDGE_HOST_CACHE_DIR"] = tempfile.mkdtemp(dir=scratch)
            times.append(one_run(cmd, args.module, env, log_path))
            print(f"    {args.label}: run {index + 1}/{args.runs}: {times[-1] * 1000:.2f} ms", file=sys.stderr)
    except RuntimeError as error:
        print(f"| {args.label} | failed: {error} | | | |")
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    ms = [t * 1000 for t in times]
    print(f"| {args.label} | {statistics.median(ms):.1f} | {min(ms):.1f} | {p90(ms):.1f} | {len(ms)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

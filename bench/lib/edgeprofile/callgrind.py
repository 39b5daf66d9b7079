"""Servers under callgrind: per-request instructions, where they go, and allocations.

One run = start the server under ``valgrind --tool=callgrind``, drive a request
sequence (``driver``), stop it (callgrind writes its profile on SIGTERM). The
per-request cost of an endpoint is the difference between a run that ends with
N measured requests and the same run without them, divided by N: start-up,
seeding and warm-up cancel out. Instruction counts are exact and do not depend
on how busy the machine is, which is why they are the before/after measure.
"""

import bisect
import collections
import os
import re
import shutil
import subprocess
import time

from . import driver
from edgebench.server import stop_process  # bench/lib is on the path (driver puts it there)

# Heap allocation entry points counted as "allocations" (glibc's names; Rust's
# global allocator calls these).
ALLOC_FUNCTIONS = ("malloc", "calloc", "realloc", "aligned_alloc", "posix_memalign")

# (group, regex) in order: the first pattern found in a function's name names its
# group. Names are callgrind_annotate's "file:function [object]" natively and
# "function [wasm guest]" for the guest's code (named through edge-host's perf map).
GROUPS = [
    ("edge-host host functions", r"edge_host::"),
    ("wasmtime runtime", r"wasmtime|cranelift"),
    ("allocator (malloc/free)",
     r"(^|[:\s])(_int_)?(malloc|free|realloc|calloc|cfree|dlmalloc|dlfree|dlrealloc|internal_memalign|aligned_alloc)\b"
     r"|malloc_consolidate|tcache|unlink_chunk|dlmalloc::|__rust_(alloc|dealloc|realloc)|__rdl_"),
    ("log line (tracing, telemetry::logging)", r"tracing|nu_ansi_term|telemetry::logging|sharded_slab|matchers"),
    ("metrics (prometheus-client)", r"prometheus_client|telemetry::metrics"),
    ("HTTP (hyper, http, httparse)", r"hyper|httparse|[^a-z_]http::|bytes::"),
    ("async runtime (tokio, mio)", r"tokio|mio(_wasi)?::|wasmedge_wasi_socket"),
    ("JSON (serde_json)", r"serde"),
    ("service code (edge_service)", r"edge_service"),
    ("formatting (core::fmt)", r"fmt"),
    ("memcpy/memset/memcmp", r"mem(cpy|move|set|cmp)|__memcpy|__memset|bcmp"),
    ("libc (syscalls, ...)", r"libc\.so|ld-linux|vdso|wasi_snapshot|__wasi|__imported_wasi|__clock_gettime"),
]
# Groups told apart by the object a function lives in, not by its name.
OBJECT_GROUPS = {"libc (syscalls, ...)"}
GUEST = " [wasm guest]"
UNRESOLVED_GUEST = "guest code, no perf map (unnamed)"


class ProfileError(RuntimeError):
    """valgrind failed or wrote no profile."""


def group_of(name):
    """The GROUPS label of a function name (prefixed "guest: " inside the guest), or "other"."""
    if name.endswith(GUEST) or name == UNRESOLVED_GUEST:
        if name == UNRESOLVED_GUEST:
            return "guest: unnamed (no perf map)"
        prefix = "guest: "
    else:
        prefix = ""
    function, _, obj = name.partition(" [")
    for label, pattern in GROUPS:
        if re.search(pattern, obj if label in OBJECT_GROUPS and obj else function):
            return prefix + label
    return prefix + "other (std, core, ...)"


class PerfMap:
    """The guest's functions from edge-host's /tmp/perf-PID.map (EDGE_HOST_PERFMAP=1)."""

    def __init__(self, path):
        entries = []
        if path and os.path.exists(path):
            with open(path) as lines:
                for line in lines:
                    start, size, name = line.rstrip("\n").split(" ", 2)
                    entries.append((int(start, 16), int(size, 16), name.removeprefix("wasm::")))
        entries.sort()
        self.starts = [e[0] for e in entries]
        self.entries = entries

    def name(self, address):
        index = bisect.bisect_right(self.starts, address) - 1
        if index >= 0:
            start, size, name = self.entries[index]
            if address < start + size:
                return name + GUEST
        return None

    def resolve(self, name):
        """callgrind's name for code without symbols ("???:0xADDR['N] [???]") as a guest function name."""
        match = re.match(r"\?\?\?:0x([0-9a-f]+)(?:'\d+)? \[\?\?\?\]$", name)
        if not match:
            return name
        return self.name(int(match.group(1), 16)) or UNRESOLVED_GUEST


class CallgrindRun:
    """One server process under callgrind and the profile it leaves behind."""

    def __init__(self, argv, env, port, out_path, log_path):
        self.out_path = out_path
        self.log_path = log_path
        self.port = port
        command = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out_path}",
            # wasmtime maps the compiled module from its cache file and never rewrites code.
            "--smc-check=all-non-file",
            *argv,
        ]
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=self.log)

    def alive(self):
        if self.process.poll() is not None:
            raise ProfileError(f"the server under valgrind exited with status {self.process.returncode}; "
                               f"its output is in {self.log_path}")

    def finish(self):
        """SIGTERM, wait for callgrind to write the profile, keep the run's perf map beside it."""
        stop_process(self.process, 120)
        self.log.close()
        perf_map = f"/tmp/perf-{self.process.pid}.map"
        if os.path.exists(perf_map):
            shutil.move(perf_map, self.out_path + ".perfmap")
        if not os.path.exists(self.out_path):
            raise ProfileError(f"callgrind wrote no profile to {self.out_path}; see {self.log_path}")


def profile_run(argv, env, port, out_path, log_path, warmup, endpoint=None, count=0, pause_s=0.0):
    """Runs the server under callgrind through one request sequence; returns the profile's path."""
    run = CallgrindRun(argv, env, port, out_path, log_path)
    try:
        driver.wait_ready(port, 300, run.alive)
        driver.run_sequence(port, warmup, endpoint, count, pause_s)
        # Let the last response's bookkeeping (log line, metrics) finish.
        time.sleep(0.3)
        run.alive()
    finally:
        run.finish()
    return out_path


def totals(out_path):
    """Total instructions (Ir) in a callgrind profile."""
    with open(out_path) as profile:
        for line in profile:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise ProfileError(f"{out_path} has no totals line")


def per_function(out_path, perf_map=None):
    """{"file:function [object]": self Ir} for every function in the profile; code
    without symbols is named through `perf_map` (a PerfMap) when there is one."""
    done = subprocess.run(
        ["callgrind_annotate", "--inclusive=no", "--threshold=100", out_path],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise ProfileError(f"callgrind_annotate failed on {out_path}: {done.stderr.strip()}")
    functions = collections.Counter()
    for line in done.stdout.splitlines():
        match = re.match(r"\s*([\d,]+)\s+(?:\([ \d.]+%\)\s+)?(\S.*)$", line)
        if match and "PROGRAM TOTALS" not in line and ":" in match.group(2):
            name = match.group(2).strip()
            if perf_map is not None:
                name = perf_map.resolve(name)
            functions[name] += int(match.group(1).replace(",", ""))
    return functions


def allocation_calls(out_path, perf_map):
    """(host, guest) calls to the allocation entry points recorded in a profile (all
    callers summed). Guest code is named through `perf_map`; the guest's allocator
    (wasi-libc's malloc) has the same entry point names."""
    host = guest = 0
    ids = {}
    current = None
    with open(out_path) as profile:
        for line in profile:
            if line.startswith(("cfn=", "fn=")):
                spec = line.split("=", 1)[1].strip()
                match = re.match(r"\((\d+)\)(?: (.*))?$", spec)
                if match and match.group(2):
                    ids[match.group(1)] = match.group(2)
                name = ids.get(match.group(1), "") if match else spec
                current = name if line.startswith("cfn=") else None
            elif line.startswith("calls=") and current is not None:
                calls = int(line[6:].split()[0])
                if current in ALLOC_FUNCTIONS:
                    host += calls
                elif current.startswith("0x"):
                    guest_name = perf_map.name(int(current.split("'")[0], 16))
                    if guest_name and guest_name.removesuffix(GUEST) in ALLOC_FUNCTIONS:
                        guest += calls
                current = None
    return host, guest


def difference(base_path, measured_path, requests):
    """Per-request figures of the `requests` extra requests in `measured_path`."""
    total = (totals(measured_path) - totals(base_path)) / requests
    base_map, measured_map = PerfMap(base_path + ".perfmap"), PerfMap(measured_path + ".perfmap")
    before = per_function(base_path, base_map)
    after = per_function(measured_path, measured_map)
    functions = {name: (after.get(name, 0) - before.get(name, 0)) / requests for name in set(before) | set(after)}
    groups = collections.Counter()
    for name, ir in functions.items():
        groups[group_of(name)] += ir
    host_before, guest_before = allocation_calls(base_path, base_map)
    host_after, guest_after = allocation_calls(measured_path, measured_map)
    return {
        "ir": total,
        # The module's own instructions (its code as compiled by wasmtime, named
        # through the perf map): what a change to the service's source moves, and
        # what an interpreter (WasmEdge without AOT) executes one by one.
        "guest_ir": sum(ir for label, ir in groups.items() if label.startswith("guest: ")),
        "groups": dict(groups),
        "functions": functions,
        "allocations": (host_after - host_before) / requests,
        "guest_allocations": (guest_after - guest_before) / requests if base_map.entries else None,
    }

#!/usr/bin/env python3
"""Conformance check 26 (docs/wasmedge-socket-abi.md §10): end to end with the real service.

Starts the hyper/tokio service module under the runtime being tested with
``PORT=<free port>`` and ``HOST=127.0.0.1`` in its environment, then checks
that it
  * serves repeated requests (fresh connections and one keep-alive connection),
  * survives clients that disconnect early (no request, half a request,
    a request whose answer is never read, a reset mid-request),
  * does not busy-spin while idle (CPU time of the runtime process over one
    idle second stays far below one core).

Usage: http_e2e.py MODULE.wasm -- RUNTIME-CMD...   (e.g. ``-- edge-host run``)
Prints one ``ok   <case>`` / ``FAIL <case>: ...`` line per check and exits 1
if any failed. Every connection goes to 127.0.0.1 and every loop is bounded.
"""

import http.client
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

READY_TIMEOUT_S = 60.0
IDLE_WINDOW_S = 1.0
# A busy-spinning runtime burns ~100% of a core; an idle one ~0%. The bound is
# loose so a loaded CI machine does not fail a correct runtime.
IDLE_CPU_LIMIT = 0.20

FAILED = []


def report(name, error):
    if error is None:
        print(f"ok   {name}", flush=True)
    else:
        FAILED.append(name)
        print(f"FAIL {name}: {error}", flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port, path="/api/health", timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def wait_ready(proc, port):
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"the runtime exited with status {proc.returncode} before serving"
        try:
            if get(port, timeout=1.0) == 200:
                return None
        except OSError:
            time.sleep(0.02)
    return f"no 200 from /api/health within {READY_TIMEOUT_S:.0f} s"


def check_repeated_requests(port):
    statuses = [get(port) for _ in range(50)]
    if statuses != [200] * 50:
        return f"expected 50 x 200 on fresh connections, got {sorted(set(statuses))}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5.0)
    try:
        for index in range(100):
            conn.request("GET", "/api/health")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                return f"expected 200 on keep-alive request {index}, got {response.status}"
    finally:
        conn.close()
    return None


def disconnecting_clients(port):
    for _ in range(10):  # connect and leave without a request
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    for _ in range(10):  # half a request, then leave
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /api/he")
    for _ in range(10):  # a full request, never read the answer
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
    for _ in range(10):  # reset mid-request
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHo")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


def check_survives_disconnects(proc, port):
    disconnecting_clients(port)
    time.sleep(0.2)
    if proc.poll() is not None:
        return f"expected the service to keep running, got exit status {proc.returncode}"
    status = get(port)
    return None if status == 200 else f"expected 200 after the disconnects, got {status}"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_idle_cpu(proc):
    before = cpu_seconds(proc.pid)
    time.sleep(IDLE_WINDOW_S)
    used = (cpu_seconds(proc.pid) - before) / IDLE_WINDOW_S
    if used > IDLE_CPU_LIMIT:
        return f"expected < {IDLE_CPU_LIMIT:.0%} of a core while idle, got {used:.0%} (busy-spinning?)"
    return None


def main():
    if "--" not in sys.argv or sys.argv.index("--") != 2:
        sys.exit(__doc__)
    module, runtime = sys.argv[1], sys.argv[3:]
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="edge-e2e-", suffix=".log", delete=False)
    cmd = runtime + ["--env", f"PORT={port}", "--env", "HOST=127.0.0.1", module]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        error = wait_ready(proc, port)
        report("c26-e2e-service-starts-and-answers-health", error)
        if error is None:
            report("c26-e2e-serves-repeated-requests", check_repeated_requests(port))
            report("c26-e2e-survives-client-disconnects", check_survives_disconnects(proc, port))
            report("c26-e2e-idle-without-busy-spin", check_idle_cpu(proc))
    except OSError as error:
        report("c26-e2e-unexpected-error", f"{type(error).__name__}: {error}")
    finally:
        proc.kill()
        proc.wait()
    if FAILED:
        with open(log.name, errors="replace") as out:
            tail = out.read()[-2000:]
        print(f"    service log ({log.name}), last lines:\n" + "\n".join("    | " + l for l in tail.splitlines()), file=sys.stderr)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()

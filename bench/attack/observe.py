"""What the attack tool reads from outside the server: its memory through /proc, its
connection figures through GET /metrics, and the normal client's requests.

Memory: ``rss_kib`` is the process's resident set (for edge-host, the whole runtime
with the module inside). ``linear_memory_kib`` is the resident part of the Wasm
module's own linear memory: wasmtime reserves 4 GiB for it and makes the used part
readable and writable, so the resident size of the read-write mappings right before
the inaccessible rest of that reservation (/proc/PID/smaps) is what the module has
touched. A native server has no such mapping (None).
"""

import http.client
import socket
import threading
import time

# The inaccessible rest of a linear memory reservation (4 GiB less what is in use) is
# the only mapping this large; guard regions are tens of MiB.
LINEAR_MEMORY_REST_KIB = 1024 * 1024


def rss_kib(pid):
    """VmRSS of `pid` in KiB, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def linear_memory_kib(pid):
    """Resident KiB of the Wasm linear memory, or None when there is none."""
    mappings = []  # (start, end, perms, rss)
    try:
        with open(f"/proc/{pid}/smaps") as smaps:
            for line in smaps:
                head = line.split()
                if head and "-" in head[0] and len(head) >= 2 and len(head[1]) == 4:
                    start, end = (int(x, 16) for x in head[0].split("-"))
                    mappings.append([start, end, head[1], 0])
                elif line.startswith("Rss:") and mappings:
                    mappings[-1][3] = int(line.split()[1])
    except OSError:
        return None
    for index, reserved in enumerate(mappings):
        if reserved[2] != "---p" or (reserved[1] - reserved[0]) // 1024 < LINEAR_MEMORY_REST_KIB:
            continue
        # The used part: the read-write mappings right before it, without gaps (the
        # module's initial image is mapped from the compiled file, the rest is anonymous).
        total, edge = 0, reserved[0]
        for start, end, perms, rss in reversed(mappings[:index]):
            if end != edge or perms != "rw-p":
                break
            total, edge = total + rss, start
        return total if edge != reserved[0] else None
    return None


def alive(pid):
    """Whether process `pid` exists (and is not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


class MemorySampler:
    """Samples a process's RSS every 0.2 s on a thread; keeps the peak."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            value = rss_kib(self.pid)
            if value is not None and (self.peak is None or value > self.peak):
                self.peak = value
            self._stop.wait(0.2)

    def __enter__(self):
        if self.pid:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self.pid:
            self._thread.join()


def request(host, port, method, path, body=None, timeout=5.0):
    """One request on a fresh connection: (status, body bytes). Raises OSError/HTTPException."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"connection": "close"}
        if body is not None:
            headers["content-type"] = "application/json"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def connection_figures(host, port):
    """The shed and timed-out connection counters from GET /metrics, by name and reason."""
    figures = {}
    try:
        status, body = request(host, port, "GET", "/metrics")
    except (OSError, http.client.HTTPException):
        return figures
    if status != 200:
        return figures
    for line in body.decode("utf-8", "replace").splitlines():
        for name in ("edge_service_http_connections_shed_total", "edge_service_http_connections_timed_out_total",
                     "edge_service_http_connections_lingered_total"):
            if line.startswith(name + "{"):
                reason = line.split('reason="', 1)[-1].split('"', 1)[0]
                short = name.split("connections_", 1)[1].rsplit("_total", 1)[0]
                figures[f"{short}:{reason}"] = float(line.rsplit(" ", 1)[1])
    return figures


class NormalClient:
    """Sequential GET /api/health on fresh connections, one every `pause` seconds,
    each allowed `timeout` seconds; records latency from connect to the full answer."""

    def __init__(self, host, port, pause=0.02, timeout=5.0):
        self.host, self.port, self.pause, self.timeout = host, port, pause, timeout
        self.latencies_ms = []
        self.failures = {}

    def run_for(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status, _ = request(self.host, self.port, "GET", "/api/health", timeout=self.timeout)
                outcome = "ok" if status == 200 else f"status {status}"
            except socket.timeout:
                outcome = "timeout"
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
            elapsed = (time.perf_counter() - started) * 1000
            if outcome == "ok":
                self.latencies_ms.append(elapsed)
            else:
                self.failures[outcome] = self.failures.get(outcome, 0) + 1
            time.sleep(self.pause)

    def summary(self):
        ok = len(self.latencies_ms)
        total = ok + sum(self.failures.values())
        ordered = sorted(self.latencies_ms)
        return {
            "requests": total,
            "ok": ok,
            "success_pct": 100.0 * ok / total if total else 0.0,
            "p50_ms": percentile(ordered, 50),
            "p99_ms": percentile(ordered, 99),
            "max_ms": ordered[-1] if ordered else None,
            "failures": self.failures,
        }


def percentile(ordered, pct):
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not ordered:
        return None
    rank = max(1, -(-pct * len(ordered) // 100))
    return ordered[int(rank) - 1]

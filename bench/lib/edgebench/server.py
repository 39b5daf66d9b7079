"""A server under test: started pinned to one core, probed until it answers,
observed through /proc (memory and CPU time), and stopped.

The server is started through ``taskset -c CORE`` (which execs, so the pid we
hold is the server's own). Its output is discarded: the service logs one line
per request, which over a run would be hundreds of MB of disk writes competing
with the measurement (start-up problems show in the cold-start phase, whose
starts are logged). A server that dies is reported with its exit status.
"""

import http.client
import os
import signal
import subprocess
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerError(RuntimeError):
    """The server did not start, or died while it was being measured."""


class Server:
    """One running server process."""

    def __init__(self, argv, env, cwd, port, core):
        self.argv = ["taskset", "-c", str(core), *argv]
        self.port = port
        self.process = subprocess.Popen(
            self.argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @property
    def pid(self):
        return self.process.pid

    def ensure_alive(self, during):
        """Raises ServerError naming `during` if the process has exited."""
        if self.process.poll() is not None:
            raise ServerError(
                f"the server exited with status {self.process.returncode} during {during}; "
                f"run it by hand to see why: {' '.join(self.argv)}"
            )

    def wait_ready(self, path="/api/hello", timeout_s=60.0):
        """Polls GET `path` until it answers 200."""
        last = probe_until_200(
            self.port, path, timeout_s, lambda: self.ensure_alive("start-up"), connect_timeout_s=2, retry_s=0.01
        )
        if last is not None:
            raise ServerError(f"no 200 from GET {path} within {timeout_s:.0f} s (last: {last}): {' '.join(self.argv)}")

    def memory_kib(self):
        """(VmRSS, VmHWM) in KiB from /proc/PID/status."""
        values = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0])
        return values["VmRSS"], values["VmHWM"]

    def cpu_seconds(self):
        """User + system CPU time the process (all its threads) has used."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        # After the command name: state is field 3, utime 14, stime 15 (1-based).
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self):
        """SIGTERM, then SIGKILL after 3 s; always reaps the process."""
        stop_process(self.process, 3)


def probe_until_200(port, path, timeout_s, alive, connect_timeout_s, retry_s):
    """GETs `path` on 127.0.0.1:`port` every `retry_s` until it answers 200 (returns None) or
    `timeout_s` has passed (returns the last failure, for the caller's error).

    `alive()` is called before every try and raises if the server has died.
    """
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        alive()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=connect_timeout_s)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return None
            last = f"status {response.status}"
        except OSError as error:
            last = str(error)
        time.sleep(retry_s)
    return last


def stop_process(process, grace_s):
    """SIGTERM, then SIGKILL after `grace_s` seconds; always reaps the process."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def core_busy_jiffies(core):
    """(busy, total) jiffies of one CPU from /proc/stat, to tell how loaded it was."""
    with open("/proc/stat") as stat:
        for line in stat:
            if line.startswith(f"cpu{core} "):
                values = [int(v) for v in line.split()[1:]]
                idle = values[3] + values[4]  # idle + iowait
                return sum(values) - idle, sum(values)
    raise RuntimeError(f"cpu{core} is not in /proc/stat")

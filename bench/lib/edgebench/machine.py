"""The machine and tool versions a result was measured with, for the report."""

import os
import platform
import shutil
import subprocess


def _out(argv):
    if not shutil.which(argv[0]):
        return "(not installed)"
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "(unknown)"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if lines else "(unknown)"


def _lscpu_model():
    try:
        done = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return platform.processor() or "(unknown CPU)"
    fields = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    model = fields.get("Model name", "(unknown CPU)")
    if fields.get("Hypervisor vendor"):
        model += f" ({fields['Hypervisor vendor']} guest)"
    return model


def _memory_gib():
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1024 * 1024)
    return 0.0


def busy_percent(seconds=3.0):
    """How busy the whole machine was (all cores, every process) over `seconds`."""
    import time

    def sample():
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return sum(values) - values[3] - values[4], sum(values)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return 100.0 * (busy1 - busy0) / max(1, total1 - total0)


def wait_until_quiet(threshold_pct, timeout_s, progress):
    """Waits (up to `timeout_s`) for the machine to be less than `threshold_pct` busy.

    Returns the last reading. The benchmark shares its two cores with whatever
    else runs (builds, tests); waiting for a quiet moment gives steadier figures.
    """
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        busy = busy_percent()
        if busy < threshold_pct or time.monotonic() >= deadline:
            return busy
        progress(f"machine {busy:.0f}% busy (other work running); waiting for it to drop below {threshold_pct:.0f}%")
        time.sleep(10)


def loadavg():
    """The 1-minute load average, as a noise indicator."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def describe(express_dir):
    """A dict of facts about this machine and the tools the benchmark uses."""
    express_version = "(not installed)"
    package = os.path.join(express_dir, "node_modules", "express", "package.json")
    if os.path.exists(package):
        import json

        with open(package) as f:
            express_version = json.load(f).get("version", "?")
    return {
        "cpu": _lscpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(_memory_gib(), 1),
        "kernel": platform.release(),
        "os": _out(["sh", "-c", ". /etc/os-release && echo \"$PRETTY_NAME\""]),
        "rustc": _out(["rustc", "--version"]),
        "wrk": _out(["wrk", "-v"]),
        "node": _out(["node", "--version"]),
        "express": express_version,
        "go": _out(["go", "version"]),
        "wasmedge": _out(["wasmedge", "--version"]),
    }

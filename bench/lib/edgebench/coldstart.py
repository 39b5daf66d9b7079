"""Cold start: median time from process spawn to the first 200, over N starts.

The probe itself (fresh connect + ``GET /api/health``, status 200, retried
until the first 200), its error and the free-port helper are the cold-start
benchmark's own, imported from bench/coldstart/measure.py so both benchmarks
measure the same thing. What this module adds is a spawn loop that fits every row (the native service and
the peers read PORT from their environment, the Wasm runtimes take
``--env``) and the same pinning as the load runs: the server starts on core 0
and the probe loop runs on core 1.

One uncounted start comes first for every row: it warms the page cache, and
for edge-host it fills the compile cache, so the figure is the warm-cache one.
"""

import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "coldstart"))
import measure  # noqa: E402  (bench/coldstart/measure.py, the cold-start colleague's probe)

from . import rows as rows_mod  # noqa: E402

TIMEOUT_S = 60.0
SERVER_CORE = 0
PROBE_CORE = 1


# A start did not reach a 200 (the probe's own error, caught by the benchmark).
ColdStartError = measure.ColdStartError


def _one_start(row, scratch, log_path):
    port = measure.free_port()
    argv = [str(a) for a in row.argv(port)]
    env = rows_mod.server_env(row, port, scratch)
    original = os.sched_getaffinity(0)
    with open(log_path, "wb") as log:
        # The child inherits core 0 from us at spawn; we move to core 1 right after,
        # so no exec of taskset sits inside the measured interval.
        os.sched_setaffinity(0, {SERVER_CORE})
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, env=env, cwd=row.cwd or None, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        os.sched_setaffinity(0, {PROBE_CORE})
        try:
            elapsed = measure.seconds_to_first_200(proc, port, start, TIMEOUT_S, argv)
            if elapsed is not None:
                return elapsed
        finally:
            proc.kill()
            proc.wait()
            os.sched_setaffinity(0, original)
    with open(log_path, errors="replace") as log:
        tail = log.read()[-500:].replace("\n", " | ")
    raise ColdStartError(f"{' '.join(argv)} exited with status {proc.returncode} before answering: {tail}")


def measure_row(row, runs, scratch, log_path, progress):
    """Returns {median_ms, min_ms, p90_ms, max_ms, runs, first_ms, samples_ms}.

    `first_ms` is the uncounted first start (for edge-host: with an empty
    compile cache in `scratch`).
    """
    first = _one_start(row, scratch, log_path) * 1000
    samples = []
    for index in range(runs):
        samples.append(_one_start(row, scratch, log_path) * 1000)
        progress(f"cold start {index + 1}/{runs}: {samples[-1]:.2f} ms")
    return {
        "median_ms": statistics.median(samples),
        "min_ms": min(samples),
        "p90_ms": measure.p90(samples),
        "max_ms": max(samples),
        "runs": runs,
        "first_ms": first,
        "samples_ms": [round(s, 3) for s in samples],
    }

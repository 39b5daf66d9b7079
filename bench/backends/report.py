"""Prints the backend benchmark's table from the BENCH_RESULT lines it collected:
one row per backend and runtime, with the Wasm/native throughput ratio.

    python3 report.py RESULTS_FILE
RESULTS_FILE has lines `BACKEND RUNTIME {json from bench/lib/wrk/report.lua}`.
"""
import json
import sys


def main() -> None:
    rows = {}
    order = []
    with open(sys.argv[1], encoding="utf-8") as results:
        for line in results:
            backend, runtime, payload = line.rstrip("\n").split(" ", 2)
            rows[(backend, runtime)] = json.loads(payload)
            if backend not in order:
                order.append(backend)
    header = f"{'backend':<14} {'runtime':<16} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'wasm/native':>12}"
    print(header)
    print("-" * len(header))
    for backend in order:
        native = rows.get((backend, "native"))
        for runtime in ("wasm-edge-host", "native"):
            result = rows.get((backend, runtime))
            if result is None:
                continue
            rate = result["requests"] / (result["duration_us"] / 1e6)
            errors = sum(result["errors"].values())
            ratio = ""
            if runtime == "wasm-edge-host" and native:
                native_rate = native["requests"] / (native["duration_us"] / 1e6)
                ratio = f"{rate / native_rate:.2f}x" if native_rate else "-"
            print(
                f"{backend:<14} {runtime:<16} {rate:>10.0f} {result['p50_us'] / 1000:>8.2f} "
                f"{result['p99_us'] / 1000:>8.2f} {errors:>7} {ratio:>12}"
            )


if __name__ == "__main__":
    main()

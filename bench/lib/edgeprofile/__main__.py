"""Command line of the profiler: ``python3 -m edgeprofile --native BIN --edge-host BIN --wasm MODULE``.

scripts/profile.sh builds the pieces and calls this; it prints a Markdown
report (and writes it with ``--markdown-out``, raw figures with ``--json-out``).
"""

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile

from . import callgrind, driver, syscalls

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from edgebench.server import Server  # noqa: E402  (pinned start, readiness, stop)

TARGETS = ("native", "edge-host")


def progress(message):
    print(f"    {message}", file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="edgeprofile", description=__doc__)
    parser.add_argument("--native", required=True, help="the natively built edge_service (with symbols)")
    parser.add_argument("--edge-host", required=True, help="the edge-host binary (with symbols)")
    parser.add_argument("--wasm", required=True, help="the service module")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated: native,edge-host")
    parser.add_argument("--endpoints", default=",".join(driver.ENDPOINTS), help="comma-separated endpoint keys")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per endpoint under callgrind")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests of every endpoint before measuring")
    parser.add_argument("--pause-ms", type=float, default=100.0,
                        help="pause before each measured request, so the server is back to waiting (0: none)")
    parser.add_argument("--syscall-requests", type=int, default=1000, help="requests counted by strace (0: skip)")
    parser.add_argument("--load-seconds", type=int, default=3, help="wrk seconds per endpoint for perf's count (0: skip)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for the count under load")
    parser.add_argument("--no-callgrind", action="store_true", help="only count system calls")
    parser.add_argument("--top", type=int, default=12, help="functions listed per endpoint and target")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the service (e.g. LOG_LEVEL=warn), both targets")
    parser.add_argument("--work-dir", help="keep profiles and logs here (default: a temporary directory)")
    parser.add_argument("--markdown-out")
    parser.add_argument("--json-out")
    args = parser.parse_args(argv)
    args.targets = [t for t in args.targets.split(",") if t]
    args.endpoints = [e for e in args.endpoints.split(",") if e]
    for target in args.targets:
        if target not in TARGETS:
            parser.error(f"unknown target {target!r}; choose from {', '.join(TARGETS)}")
    for endpoint in args.endpoints:
        if endpoint not in driver.ENDPOINTS:
            parser.error(f"unknown endpoint {endpoint!r}; choose from {', '.join(driver.ENDPOINTS)}")
    for item in args.env:
        if "=" not in item:
            parser.error(f"--env needs NAME=VALUE, not {item!r}")
    return args


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command(target, args, port, cache_dir, perf_map=False):
    """(argv, environment) that start `target` on `port` (edge-host writing its perf map
    of the guest's functions if `perf_map`)."""
    extra = dict(item.split("=", 1) for item in args.env)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if target == "native":
        return [args.native], {**env, "PORT": str(port), "HOST": "127.0.0.1", **extra}
    flags = ["--env", f"PORT={port}", "--env", "HOST=127.0.0.1"]
    for name, value in extra.items():
        flags += ["--env", f"{name}={value}"]
    env["EDGE_HOST_CACHE_DIR"] = cache_dir
    if perf_map:
        env["EDGE_HOST_PERFMAP"] = "1"
    return [args.edge_host, "run", *flags, args.wasm], env


def count_syscalls(target, args, work, cache_dir):
    """Per endpoint: {"by_name": {...}, "sequential": n, "under_load": n, "rps": n}."""
    port = free_port()
    argv, env = command(target, args, port, cache_dir)
    server = Server(argv, env, None, port, core=0)
    figures = {}
    try:
        driver.wait_ready(port, 600, lambda: server.ensure_alive("start-up"))
        driver.run_sequence(port, args.warmup)
        for key in args.endpoints:
            endpoint = driver.ENDPOINTS[key]
            entry = {}
            if args.syscall_requests:
                progress(f"{target}: strace over {args.syscall_requests} x {endpoint.title}")
                names = syscalls.by_name(server.pid, port, endpoint, args.syscall_requests,
                                         os.path.join(work, f"strace-{target}-{key}.txt"))
                entry["by_name"] = names
                entry["sequential"] = sum(names.values())
            if args.load_seconds:
                progress(f"{target}: perf stat during {args.load_seconds} s of wrk on {endpoint.title}")
                per_request, rps = syscalls.under_load(server.pid, port, key, args.load_seconds, args.connections)
                entry["under_load"] = per_request
                entry["rps_under_perf"] = rps
            server.ensure_alive(f"the {endpoint.title} syscall count")
            figures[key] = entry
    finally:
        server.stop()
    return figures


def profile_target(target, args, work, cache_dir):
    """Per endpoint: callgrind's per-request figures."""
    port = free_port()
    argv, env = command(target, args, port, cache_dir, perf_map=True)
    base = os.path.join(work, f"cg-{target}-base.out")
    progress(f"{target}: callgrind, base run (start-up, {driver.SEED_USERS} users, {args.warmup} warm-up requests each)")
    callgrind.profile_run(argv, env, port, base, base + ".log", args.warmup)
    results = {}
    for key in args.endpoints:
        endpoint = driver.ENDPOINTS[key]
        port = free_port()
        argv, env = command(target, args, port, cache_dir, perf_map=True)
        out = os.path.join(work, f"cg-{target}-{key}.out")
        progress(f"{target}: callgrind, base run + {args.requests} x {endpoint.title}")
        callgrind.profile_run(argv, env, port, out, out + ".log", args.warmup, endpoint, args.requests,
                              args.pause_ms / 1000)
        results[key] = callgrind.difference(base, out, args.requests)
    return results


def prime_cache(args, cache_dir):
    """Starts the module once outside valgrind and once under valgrind's no-op tool, so
    no profiled run compiles it: valgrind reports fewer CPU features than the machine
    has, and the compile cache keeps one entry per feature set."""
    for prefix, wait_s, during in (([], 600, "the compile-cache start"),
                                   (["valgrind", "--tool=none", "--smc-check=all-non-file"], 1800,
                                    "the compile-cache start under valgrind")):
        port = free_port()
        argv, env = command("edge-host", args, port, cache_dir)
        server = Server([*prefix, *argv], env, None, port, core=0)
        try:
            driver.wait_ready(port, wait_s, lambda: server.ensure_alive(during))
        finally:
            server.stop()


def fmt(value, digits=0):
    return "–" if value is None else f"{value:,.{digits}f}"


def render(results, args):
    lines = ["# edge-service per-request profile", ""]
    env_note = f" Service environment: {' '.join(args.env)}." if args.env else " Service defaults (LOG_LEVEL=info: one log line per request)."
    lines += [
        f"Callgrind: {args.requests} measured requests per endpoint after {driver.SEED_USERS} seeded users and "
        f"{args.warmup} warm-up requests of each endpoint, one request in flight on one keep-alive connection, "
        f"each measured request {args.pause_ms:g} ms after the previous response (the server is back to waiting); "
        "figures are the difference to the same run without the measured requests, per request. "
        "Ir = user-space instructions (exact, independent of machine load). Allocs = calls to "
        "malloc/calloc/realloc (for edge-host: the guest's, named through edge-host's perf map, + the host "
        "process's own)." + env_note,
        "",
        "| endpoint | " + " | ".join(
            f"{t} Ir | {t} allocs | {t} syscalls (1 in flight) | {t} syscalls (wrk -c{args.connections})" for t in args.targets
        ) + (" | edge-host / native Ir |" if len(args.targets) == 2 else " |"),
        "|---|" + "---:|" * (4 * len(args.targets) + (1 if len(args.targets) == 2 else 0)),
    ]
    for key in args.endpoints:
        cells = []
        irs = []
        for target in args.targets:
            cg = results[target].get("callgrind", {}).get(key, {})
            sc = results[target].get("syscalls", {}).get(key, {})
            irs.append(cg.get("ir"))
            allocs = fmt(cg.get("allocations"), 1)
            if cg.get("guest_allocations") is not None:
                allocs = f"{fmt(cg['guest_allocations'], 1)} + {allocs} host"
            cells += [fmt(cg.get("ir")), allocs, fmt(sc.get("sequential"), 2),
                      fmt(sc.get("under_load"), 2)]
        if len(args.targets) == 2:
            ratio = f"{irs[1] / irs[0]:.2f}×" if irs[0] and irs[1] else "–"
            cells.append(ratio)
        lines.append(f"| {driver.ENDPOINTS[key].title} | " + " | ".join(cells) + " |")
    guest = results.get("edge-host", {}).get("callgrind", {})
    if guest:
        lines += ["", "Inside the module (edge-host, guest code only; start-up and host calls excluded):", "",
                  "| endpoint | guest Ir per request | guest allocations per request |", "|---|---:|---:|"]
        for key in args.endpoints:
            cg = guest.get(key, {})
            lines.append(f"| {driver.ENDPOINTS[key].title} | {fmt(cg.get('guest_ir'))} | "
                         f"{fmt(cg.get('guest_allocations'), 1)} |")
    for target in args.targets:
        for key in args.endpoints:
            cg = results[target].get("callgrind", {}).get(key)
            sc = results[target].get("syscalls", {}).get(key, {})
            if not cg and not sc:
                continue
            lines += ["", f"## {target}: {driver.ENDPOINTS[key].title}", ""]
            if sc.get("by_name"):
                named = ", ".join(f"{name} {count:.2f}" for name, count in
                                  sorted(sc["by_name"].items(), key=lambda kv: -kv[1]) if count >= 0.005)
                lines += [f"System calls per request (1 in flight): {named}.", ""]
            if not cg:
                continue
            lines += ["| group | Ir per request | share |", "|---|---:|---:|"]
            for label, ir in sorted(cg["groups"].items(), key=lambda kv: -kv[1]):
                if abs(ir) >= 1:
                    lines.append(f"| {label} | {ir:,.0f} | {100 * ir / cg['ir']:.1f}% |")
            lines += ["", "| top functions | Ir per request |", "|---|---:|"]
            top = sorted(cg["functions"].items(), key=lambda kv: -kv[1])[: args.top]
            for name, ir in top:
                lines.append(f"| `{name[:150]}` | {ir:,.0f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    for tool in ["valgrind", "callgrind_annotate"] * (not args.no_callgrind) + ["strace"] * bool(args.syscall_requests) + ["perf", "wrk"] * bool(args.load_seconds):
        if shutil.which(tool) is None:
            print(f"error: {tool} is not installed (scripts/profile.sh installs it)", file=sys.stderr)
            return 1
    work = args.work_dir or tempfile.mkdtemp(prefix="edge-profile.")
    os.makedirs(work, exist_ok=True)
    cache_dir = os.path.join(work, "edge-host-cache")
    results = {}
    try:
        if "edge-host" in args.targets:
            progress("edge-host: filling the compile cache (outside valgrind)")
            prime_cache(args, cache_dir)
        for target in args.targets:
            results[target] = {}
            if args.syscall_requests or args.load_seconds:
                results[target]["syscalls"] = count_syscalls(target, args, work, cache_dir)
            if not args.no_callgrind:
                results[target]["callgrind"] = profile_target(target, args, work, cache_dir)
    except (callgrind.ProfileError, syscalls.SyscallError, driver.DriveError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    report = render(results, args)
    print(report)
    if args.markdown_out:
        with open(args.markdown_out, "w") as out:
            out.write(report)
    if args.json_out:
        with open(args.json_out, "w") as out:
            json.dump(results, out, indent=1, sort_keys=True)
    progress(f"profiles and logs: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

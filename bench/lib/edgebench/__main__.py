"""Command line of the benchmark: measure every row, print the table, save it.

scripts/bench.sh builds everything and then runs
``python3 -m edgebench --repo ROOT --target-dir DIR ...``; this module only
measures what is already built and says which command builds a missing piece.
"""

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import time

from . import coldstart, load, machine, report, rows, seed
from .server import Server, ServerError


def progress(message):
    print(f"    {message}", file=sys.stderr, flush=True)


def step(message):
    print(f"\n\033[1m==> {message}\033[0m", file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="edgebench", description=__doc__)
    parser.add_argument("--repo", required=True, help="the repository root")
    parser.add_argument("--target-dir", required=True, help="cargo's target directory")
    parser.add_argument("--triple", required=True, help="the host target triple (native builds)")
    parser.add_argument("--bench-build-dir", required=True, help="where scripts/bench.sh put the Go peer and AOT module")
    parser.add_argument("--duration", type=int, default=10, help="seconds of measured load per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded load before each measured run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--coldstart-runs", type=int, default=20)
    parser.add_argument("--seed-users", type=int, default=100)
    parser.add_argument("--idle-settle", type=float, default=1.0, help="seconds after start before idle RSS is read")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="wait up to SECONDS for the machine to be under 15%% busy before measuring")
    parser.add_argument("--noise-retries", type=int, default=0,
                        help="repeat an endpoint's run up to N times while other work makes it noisy")
    parser.add_argument("--only", help="comma-separated row keys to run (default: all)")
    parser.add_argument("--smoke", action="store_true", help="label the report as a smoke run")
    parser.add_argument("--markdown-out", help="write the Markdown report here")
    parser.add_argument("--json-out", help="write the raw results here")
    parser.add_argument("--command", action="append", default=[], help="a build command to list in the report")
    parser.add_argument("--note", action="append", default=[], help="a note to print with the table")
    return parser.parse_args(argv)


def paths_from(args):
    native_dir = os.path.join(args.target_dir, args.triple, "release")
    return {
        "native": os.path.join(native_dir, "edge_service"),
        "edge_host": os.path.join(native_dir, "edge-host"),
        "wasm": os.path.join(args.target_dir, "wasm32-wasip1", "release", "edge_service.wasm"),
        "wasm_aot": os.path.join(args.bench_build_dir, "edge_service_aot.wasm"),
        "go": os.path.join(args.bench_build_dir, "go-nethttp"),
        "node_http_dir": os.path.join(args.repo, "bench", "peers", "node-http"),
        "express_dir": os.path.join(args.repo, "bench", "peers", "express"),
    }


def measure_row(row, args, settings, scratch_root, tag):
    """Everything for one row; returns its result dict (status ok/incomplete/failed)."""
    result = {
        "key": row.key, "label": row.label, "status": "ok", "artifact_bytes": rows.artifact_bytes(row),
        "artifact_note": row.artifact_note, "runtime_note": row.runtime_note, "command": row.command_line(args.repo),
    }
    scratch = tempfile.mkdtemp(prefix=f"{row.key}-", dir=scratch_root)
    cache = os.path.join(scratch, "cache")
    os.makedirs(cache)
    try:
        result["coldstart"] = coldstart.measure_row(
            row, args.coldstart_runs, cache, os.path.join(scratch, "coldstart.log"), lambda m: None
        )
        cold = result["coldstart"]
        progress(f"cold start: median {cold['median_ms']:.2f} ms over {cold['runs']} starts "
                 f"(first start {cold['first_ms']:.1f} ms)")

        port = coldstart.measure.free_port()
        server = Server(
            [str(a) for a in row.argv(port)], rows.server_env(row, port, cache), row.cwd or None,
            port, core=load.SERVER_CORE,
        )
        try:
            server.wait_ready()
            time.sleep(args.idle_settle)
            server.ensure_alive("the idle pause")
            result["idle_rss_kib"], _ = server.memory_kib()
            progress(f"idle RSS {result['idle_rss_kib'] / 1024:.1f} MiB")

            endpoints = {}
            try:
                seed.seed_users(port, args.seed_users)
                wanted = load.ENDPOINTS
            except seed.SeedError as error:
                result["status"] = "incomplete"
                result["error"] = str(error)
                progress(f"cannot seed users: {error}")
                wanted = [e for e in load.ENDPOINTS if e.key == "hello"]
            for endpoint in wanted:
                if endpoint.key == "post_user":
                    # The POST load keeps adding users; the peak that compares rows is the one before it.
                    _, result["peak_rss_kib"] = server.memory_kib()
                figures = run_endpoint_quietly(server, settings, endpoint, args, tag)
                endpoints[endpoint.key] = figures
                warn = f", {figures['error_count']} errors" if figures["error_count"] else ""
                if figures["noise_pct"] >= load.NOISE_LIMIT_PCT:
                    warn += f", NOISY: other work took {figures['noise_pct']:.0f}% of a benchmark core"
                progress(f"{endpoint.title}: {figures['rps']:,.0f} req/s, p50 {figures['p50_ms']:.2f} ms, "
                         f"p99 {figures['p99_ms']:.2f} ms, server CPU {figures['server_cpu_pct']:.0f}%{warn}")
            result["endpoints"] = endpoints
            _, hwm = server.memory_kib()
            result.setdefault("peak_rss_kib", hwm)
            result["final_hwm_kib"] = hwm
            post = endpoints.get("post_user")
            if post:
                result["users_stored"] = args.seed_users + post["warmup_requests"] + post["requests"]
            progress(f"peak RSS {result['peak_rss_kib'] / 1024:.1f} MiB (after POST load: {hwm / 1024:.1f} MiB)")
        finally:
            server.stop()
    except (ServerError, coldstart.ColdStartError, load.LoadError, OSError) as error:
        result["status"] = "failed"
        result["error"] = str(error)
        progress(f"FAILED: {error}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def run_endpoint_quietly(server, settings, endpoint, args, tag):
    """One endpoint's run, repeated (up to --noise-retries times) while other work made it noisy."""
    for attempt in range(1, args.noise_retries + 2):
        figures = load.run_endpoint(server, settings, endpoint, args.seed_users, f"{tag}a{attempt}")
        figures["attempts"] = attempt
        if figures["noise_pct"] < load.NOISE_LIMIT_PCT or attempt > args.noise_retries:
            return figures
        progress(f"{endpoint.title}: other work took {figures['noise_pct']:.0f}% of a benchmark core; "
                 "measuring it again once the machine is quiet")
        if args.wait_quiet:
            machine.wait_until_quiet(15.0, args.wait_quiet, progress)
        else:
            time.sleep(5)
    return figures


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    all_rows = rows.build_rows(paths_from(args))
    if args.only:
        keys = args.only.split(",")
        unknown = set(keys) - {r.key for r in all_rows}
        if unknown:
            print(f"error: unknown row(s) {', '.join(sorted(unknown))}; rows here: "
                  f"{', '.join(r.key for r in all_rows)}", file=sys.stderr)
            return 2
        all_rows = [r for r in all_rows if r.key in keys]
    try:
        for row in all_rows:
            rows.check_built(row)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    settings = load.LoadSettings(args.threads, args.connections, args.duration, args.warmup)
    step("Checking how busy the machine is (the two cores are shared with everything else)")
    busy = machine.wait_until_quiet(15.0, args.wait_quiet, progress) if args.wait_quiet else machine.busy_percent(1.0)
    progress(f"{busy:.0f}% busy before measuring" + ("; figures will be noisy" if busy >= 15 else ""))
    tag = datetime.datetime.now().strftime("r%H%M%S")
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "smoke": args.smoke,
        "settings": {
            "threads": args.threads, "connections": args.connections, "duration_s": args.duration,
            "warmup_s": args.warmup, "coldstart_runs": args.coldstart_runs, "seed_users": args.seed_users,
            "idle_settle_s": args.idle_settle, "noise_retries": args.noise_retries,
        },
        "machine": machine.describe(paths_from(args)["express_dir"]),
        "loadavg_before": machine.loadavg(),
        "busy_before_pct": busy,
        "notes": list(args.note),
        "rows": [],
    }
    scratch_root = tempfile.mkdtemp(prefix="edge-bench-")
    try:
        for index, row in enumerate(all_rows, 1):
            step(f"[{index}/{len(all_rows)}] {row.label}")
            if args.wait_quiet:
                machine.wait_until_quiet(15.0, args.wait_quiet, progress)
            results["rows"].append(measure_row(row, args, settings, scratch_root, tag))
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    results["loadavg_after"] = machine.loadavg()
    results["elapsed_s"] = time.monotonic() - started

    commands = list(args.command)
    commands.append("# servers (each with PORT set, on 127.0.0.1):")
    commands += [r["command"] for r in results["rows"]]
    commands.append("# load, per endpoint (the warm-up is the same command with the warm-up duration):")
    commands += [settings.command_line(e, args.duration) for e in load.ENDPOINTS]
    results["commands"] = commands

    markdown = report.render(results)
    print(markdown)
    if args.markdown_out:
        with open(args.markdown_out, "w") as f:
            f.write(markdown)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(results, f, indent=1)
    bad = [r for r in results["rows"] if r["status"] != "ok"]
    if bad:
        for r in bad:
            print(f"error: {r['label']}: {r['status']}: {r.get('error')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Hostile load against an HTTP service on loopback, with a normal client alongside.

Phases (each on its own, in this order unless --phases says otherwise):

  baseline   no attack: the normal client alone
  idle       --idle sockets that connect and send nothing
  slowloris  --slowloris sockets trickling a request head that never ends
  slowbody   --slowbody sockets trickling a large announced body
  upload     --upload naive clients writing an oversized body before reading

While an attack runs (after it has ramped up), a normal client makes sequential
GET /api/health requests on fresh connections for --seconds. Per phase the tool
reports the normal client's success rate and p50/p99/max latency, the server's peak
RSS (with --pid), the answers the attackers got, and the change in the service's
shed/timed-out connection counters (from /metrics, when it has them). Before the
first phase it stores --users users; after every phase it reads them back (data
intact) and checks that the process is alive (with --pid).

Prints a Markdown table; --json FILE writes every figure. Exits 0 whatever the
figures are: it measures, the caller decides.

  python3 bench/attack/attack.py --url http://127.0.0.1:8080 --pid 1234 --scale full
"""

import argparse
import http.client
import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import observe  # noqa: E402

SCALES = {
    "full": {"idle": 5000, "slowloris": 1000, "slowbody": 200, "upload": 200},
    "small": {"idle": 64, "slowloris": 32, "slowbody": 16, "upload": 8},
}
PHASES = ["baseline", "idle", "slowloris", "slowbody", "upload"]


def store_users(host, port, count):
    """Creates `count` users; returns [(id, email)]."""
    tag = uuid.uuid4().hex[:10]
    stored = []
    for n in range(count):
        email = f"attack-{tag}-{n}@example.org"
        body = json.dumps({"name": f"Attack Check {n}", "email": email}).encode()
        status, answer = observe.request(host, port, "POST", "/api/users", body=body, timeout=10)
        if status != 201:
            raise SystemExit(f"could not store user {n}: {status} {answer[:200]!r}")
        stored.append((json.loads(answer)["id"], email))
    return stored


def missing_users(host, port, stored):
    """The stored users that cannot be read back unchanged (up to 3 tries each)."""
    missing = []
    for user_id, email in stored:
        for attempt in range(3):
            try:
                status, answer = observe.request(host, port, "GET", f"/api/users/{user_id}", timeout=10)
                if status == 200 and json.loads(answer).get("email") == email:
                    break
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.5 * (attempt + 1))
        else:
            missing.append(user_id)
    return missing


def start_attacker(kind, count, args):
    """Starts the attacker process and waits (up to --ramp-timeout) until it has ramped up."""
    here = os.path.dirname(os.path.abspath(__file__))
    argv = [sys.executable, os.path.join(here, "attackers.py"), kind, "--host", args.host, "--port",
            str(args.port), "--count", str(count), "--interval", str(args.interval)]
    argv += ["--body-bytes", str(args.upload_bytes if kind == "upload" else args.slowbody_bytes)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + args.ramp_timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready and process.stdout.readline().strip() == "ramped":
            return process
        if process.poll() is not None:
            raise SystemExit(f"the {kind} attacker exited with {process.returncode}")
    return process  # slow to ramp: measure anyway, the report shows its connects


def stop_attacker(process):
    """Stops the attacker; returns its counters (or None)."""
    process.send_signal(signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=45)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def run_phase(phase, count, args, stored):
    before = observe.connection_figures(args.host, args.port)
    attacker = start_attacker(phase, count, args) if phase != "baseline" else None
    normal = observe.NormalClient(args.host, args.port, pause=args.pause, timeout=args.timeout)
    with observe.MemorySampler(args.pid) as memory:
        normal.run_for(args.seconds)
    attackers = stop_attacker(attacker) if attacker else None
    time.sleep(args.settle)
    alive = observe.alive(args.pid) if args.pid else None
    after = observe.connection_figures(args.host, args.port)
    result = {
        "phase": phase,
        "attackers": count,
        "normal": normal.summary(),
        "attacker_counters": attackers,
        "server_alive": alive,
        "peak_rss_kib": memory.peak,
        "linear_memory_kib": observe.linear_memory_kib(args.pid) if args.pid else None,
        "connection_figures": {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)},
        "missing_users": missing_users(args.host, args.port, stored) if stored and alive is not False else [],
    }
    return result


def fmt(value, digits=1):
    return "-" if value is None else f"{value:.{digits}f}"


def table(label, results):
    lines = [f"### {label}", "",
             "| phase | attackers | normal ok | success | p50 ms | p99 ms | max ms | peak RSS MiB | "
             "module memory MiB | attackers got | shed / timed out | alive | data |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|"]
    for r in results:
        n = r["normal"]
        got = r["attacker_counters"] or {}
        answers = ", ".join(f"{k}×{v}" for k, v in sorted(got.get("answers", {}).items()))
        if got.get("broken"):
            answers = (answers + ", " if answers else "") + f"broken×{got['broken']}"
        if got:
            answers = f"{got.get('connects', 0)} conns" + (f"; {answers}" if answers else "")
        figures = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r["connection_figures"].items()))
        rss = r["peak_rss_kib"] / 1024 if r["peak_rss_kib"] else None
        linear = r["linear_memory_kib"] / 1024 if r["linear_memory_kib"] else None
        alive = {True: "yes", False: "**no**", None: "-"}[r["server_alive"]]
        data = "intact" if not r["missing_users"] else f"**{len(r['missing_users'])} missing**"
        lines.append(
            f"| {r['phase']} | {r['attackers']} | {n['ok']}/{n['requests']} | {n['success_pct']:.2f} % | "
            f"{fmt(n['p50_ms'], 2)} | {fmt(n['p99_ms'], 2)} | {fmt(n['max_ms'], 1)} | {fmt(rss)} | {fmt(linear)} | "
            f"{answers or '-'} | {figures or '-'} | {alive} | {data} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="http://127.0.0.1:PORT (loopback only)")
    parser.add_argument("--pid", type=int, help="the server's process id (RSS, liveness)")
    parser.add_argument("--label", default="server")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--phases", default=",".join(PHASES))
    for kind in SCALES["full"]:
        parser.add_argument(f"--{kind}", type=int, help=f"{kind} attackers (overrides --scale)")
    parser.add_argument("--seconds", type=float, default=12.0, help="normal client time per phase")
    parser.add_argument("--pause", type=float, default=0.02, help="seconds between normal requests")
    parser.add_argument("--timeout", type=float, default=5.0, help="normal request timeout, seconds")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between trickled bytes")
    parser.add_argument("--slowbody-bytes", type=int, default=900 * 1024)
    parser.add_argument("--upload-bytes", type=int, default=2 * 1024 * 1024)
    parser.add_argument("--ramp-timeout", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=1.0, help="pause after each attack, seconds")
    parser.add_argument("--users", type=int, default=20, help="users stored and checked after each phase")
    parser.add_argument("--json", help="write all figures to this file")
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.url)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost", "::1") or not url.port:
        raise SystemExit("--url must be http://127.0.0.1:PORT (the attacks stay on loopback)")
    args.host, args.port = url.hostname, url.port
    phases = [p for p in args.phases.split(",") if p]
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        raise SystemExit(f"unknown phases {unknown}; known: {PHASES}")

    stored = store_users(args.host, args.port, args.users)
    results = []
    for phase in phases:
        count = 0 if phase == "baseline" else (getattr(args, phase) or SCALES[args.scale][phase])
        print(f"attack: {args.label}: {phase} ({count} attackers, {args.seconds:.0f} s)", file=sys.stderr, flush=True)
        results.append(run_phase(phase, count, args, stored))
        if results[-1]["server_alive"] is False:
            break
    print(table(args.label, results))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"label": args.label, "url": args.url, "results": results}, out, indent=1)


if __name__ == "__main__":
    main()

"""Turns a run's results into Markdown: the article-shaped table, each row's
ratio to the native build, the performance targets, the article's own figures
(quoted, never mixed with ours), the noise indicators and the exact commands.
"""

# The article's figures, quoted as published (one core, 1 GB); nothing here was measured.
ARTICLE_ROWS = [
    ("Rust+Wasm on WasmEdge", "1.2 ms", "0.8 ms", "2.5 ms", "15,000", "0.6 MB"),
    ("Rust native (Actix)", "", "", "", "28,000", ""),
    ("Go (net/http)", "", "", "", "12,000", ""),
    ("Node.js (Express)", "", "", "", "3,100", ""),
]

ENDPOINT_TITLES = [
    ("hello", "GET /api/hello"),
    ("get_user", "GET /api/users/{id}"),
    ("post_user", "POST /api/users"),
]


def _ms(value):
    if value is None:
        return "–"
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def _rps(value):
    return "–" if value is None else f"{value:,.0f}"


def _mib(kib):
    return "–" if kib is None else f"{kib / 1024:.1f} MiB"


def _bytes(n):
    if n is None:
        return "–"
    return f"{n / 1e6:.2f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def _ratio(value, base):
    if value is None or not base:
        return "–"
    ratio = value / base
    if ratio >= 10:
        return f"{ratio:.0f}×"
    return f"{ratio:.2f}×" if ratio >= 0.1 else f"{ratio:.3f}×"


def _endpoint(row, key):
    return (row.get("endpoints") or {}).get(key)


def _cells(row):
    """(column -> raw value) for one row, None where not measured."""
    cold = row.get("coldstart") or {}
    values = {"cold": cold.get("median_ms")}
    for key, _title in ENDPOINT_TITLES:
        ep = _endpoint(row, key) or {}
        values[f"{key}.p50"] = ep.get("p50_ms")
        values[f"{key}.p99"] = ep.get("p99_ms")
        values[f"{key}.rps"] = ep.get("rps")
    values["peak"] = row.get("peak_rss_kib")
    values["idle"] = row.get("idle_rss_kib")
    values["artifact"] = row.get("artifact_bytes")
    return values


def _header():
    cols = ["runtime", "cold start"]
    for _key, title in ENDPOINT_TITLES:
        cols += [f"{title} p50", "p99", "req/s"]
    cols += ["peak RSS", "idle RSS", "artifact"]
    return "| " + " | ".join(cols) + " |\n|" + "---|" + "---:|" * (len(cols) - 1) + "\n"


NOISE_LIMIT_PCT = 15.0


def _noise(ep):
    """Share of the server's or wrk's core that other processes took during the run."""
    return max(ep["server_core_busy_pct"] - ep["server_cpu_pct"],
               ep["load_core_busy_pct"] - ep.get("wrk_cpu_pct", ep["load_core_busy_pct"]), 0.0)


def _flag(row, key):
    ep = _endpoint(row, key)
    if not ep:
        return ""
    flag = " ⚠" if ep.get("error_count") else ""
    if _noise(ep) >= NOISE_LIMIT_PCT:
        flag += " ~"
    return flag


def measured_table(results):
    out = _header()
    for row in results["rows"]:
        if row["status"] == "failed":
            out += f"| {row['label']} | failed (see below) |" + " |" * 12 + "\n"
            continue
        v = _cells(row)
        cells = [row["label"] + (" (incomplete, see below)" if row["status"] != "ok" else ""), _ms(v["cold"])]
        for key, _title in ENDPOINT_TITLES:
            cells += [_ms(v[f"{key}.p50"]), _ms(v[f"{key}.p99"]), _rps(v[f"{key}.rps"]) + _flag(row, key)]
        cells += [_mib(v["peak"]), _mib(v["idle"]), f"{_bytes(v['artifact'])} ({row['artifact_note']})"]
        out += "| " + " | ".join(cells) + " |\n"
    return out


def ratio_table(results):
    native = _row(results, "native")
    if native is None:
        return "(no native row, so no ratios)\n"
    base = _cells(native)
    out = _header()
    for row in results["rows"]:
        if row["status"] == "failed":
            continue
        v = _cells(row)
        cells = [row["label"]] + [_ratio(v[k], base[k]) for k in v]
        out += "| " + " | ".join(cells) + " |\n"
    return out


def _row(results, key):
    return next((r for r in results["rows"] if r["key"] == key and r["status"] != "failed"), None)


def targets(results):
    """The performance targets for the edge-host row, each stated as met or not."""
    wasm, native = _row(results, "edge-host"), _row(results, "native")
    if wasm is None or native is None:
        return ["- The targets need both the native and the edge-host rows; one of them was not measured."]
    lines = []

    def state(ok):
        return "**met**" if ok else "**not met**"

    for key, title in ENDPOINT_TITLES[:2]:
        w, n = _endpoint(wasm, key), _endpoint(native, key)
        if w is None or n is None:
            lines.append(f"- {title}: not measured on both rows.")
            continue
        tput = w["rps"] / n["rps"]
        p99 = w["p99_ms"] / n["p99_ms"]
        lines.append(f"- {title}: throughput {tput:.2f}× native (target ≥ 0.80×): {state(tput >= 0.8)}; "
                     f"p99 {p99:.2f}× native (target ≤ 1.50×): {state(p99 <= 1.5)}.")
    for node_key in ("node-http", "express"):
        node = _row(results, node_key)
        if node is None:
            continue
        parts = []
        ok = True
        for key, title in ENDPOINT_TITLES[:2]:
            if _endpoint(wasm, key) is None or _endpoint(node, key) is None:
                continue
            factor = _endpoint(wasm, key)["rps"] / _endpoint(node, key)["rps"]
            ok = ok and factor >= 4
            parts.append(f"{title} {factor:.2f}×")
        lines.append(f"- Throughput vs {node['label']} (target ≥ 4×): {', '.join(parts)}: {state(ok)}.")
    cold = wasm["coldstart"]["median_ms"]
    lines.append(f"- Cold start, warm cache: median {cold:.2f} ms (target ≤ 10 ms): {state(cold <= 10)}.")
    idle_mb = wasm["idle_rss_kib"] * 1024 / 1e6
    lines.append(f"- Idle RSS: {_mib(wasm['idle_rss_kib'])} = {idle_mb:.1f} MB (target ≤ 15 MB): {state(idle_mb <= 15)}.")
    return lines


def article_block():
    out = ("| runtime (article's own figures) | cold start | p50 | p99 | req/s | memory |\n"
           "|---|---:|---:|---:|---:|---:|\n")
    for row in ARTICLE_ROWS:
        out += "| " + " | ".join(c or "–" for c in row) + " |\n"
    return out


def details(results):
    out = ("| runtime | cold start min / p90 / max | first start | endpoint | server CPU | wrk CPU | core 0 busy "
           "| core 1 busy | others on those cores | errors | peak RSS after POST (users stored) | runtime |\n"
           "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
    for row in results["rows"]:
        if row["status"] == "failed":
            continue
        cold = row["coldstart"]
        first = True
        for key, title in ENDPOINT_TITLES:
            ep = _endpoint(row, key)
            if ep is None:
                continue
            lead = (f"| {row['label']} | {cold['min_ms']:.2f} / {cold['p90_ms']:.2f} / {cold['max_ms']:.2f} ms "
                    f"| {cold['first_ms']:.1f} ms") if first else "| | |"
            tail = (f"{_mib(row.get('final_hwm_kib'))} ({row.get('users_stored', 0):,}) | {row.get('runtime_note', '')}"
                    if first else " |")
            errors = ", ".join(f"{k} {v}" for k, v in ep["errors"].items() if v) or "0"
            tries = ep.get("attempts", 1)
            label = f"{title} (try {tries})" if tries > 1 else title
            out += (f"{lead} | {label} | {ep['server_cpu_pct']:.0f}% | {ep.get('wrk_cpu_pct', 0):.0f}% "
                    f"| {ep['server_core_busy_pct']:.0f}% "
                    f"| {ep['load_core_busy_pct']:.0f}% | {_noise(ep):.0f}% | {errors} | {tail} |\n")
            first = False
    return out


def render(results):
    """The whole report as Markdown."""
    m = results["machine"]
    s = results["settings"]
    lines = [
        f"# edge-service benchmark, {results['date']}" + (" (smoke run: figures meaningless)" if results["smoke"] else ""),
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, kernel {m['kernel']}; "
        f"{m['rustc']}; {m['wrk']}; node {m['node']}, Express {m['express']}; {m['go']}.",
        f"Machine {results.get('busy_before_pct', 0):.0f}% busy (all cores) just before measuring; "
        f"load average before / after: {results['loadavg_before']:.2f} / {results['loadavg_after']:.2f}. "
        f"Run took {results['elapsed_s']:.0f} s.",
        "",
        f"Method: rows measured one after another. Server pinned to core 0 (`taskset -c 0`), wrk to core 1 "
        f"(`taskset -c 1`), {s['threads']} thread, {s['connections']} connections, {s['warmup_s']} s warm-up "
        f"(discarded) then {s['duration_s']} s per endpoint; p50/p99 are wrk's own percentiles. "
        f"Cold start: median spawn to first 200 from /api/health over {s['coldstart_runs']} starts after one "
        "uncounted start (which fills edge-host's compile cache), server on core 0, probe on core 1. "
        f"{s['seed_users']} users are created with POST before the GET /api/users/{{id}} load, which cycles "
        "through them. Peak RSS: VmHWM of the server process after the two GET loads (the POST load keeps "
        "adding users, so its peak is in the details); for edge-host that is the whole runtime process. "
        f"Idle RSS: VmRSS {s.get('idle_settle_s', 1):g} s after the first 200, before any load. Artifact: what is deployed besides a "
        "shared runtime. ⚠ marks a run in which wrk counted errors; ~ marks a noisy run, in which other "
        f"processes took ≥ {NOISE_LIMIT_PCT:.0f}% of the server's or wrk's core (see details); such a run "
        f"is repeated up to {s.get('noise_retries', 0)} times and the last try is shown.",
        "",
        "## Measured",
        "",
        measured_table(results),
        "## Ratio to the native build",
        "",
        "Throughput: higher is better; latency, memory, size and cold start: lower is better.",
        "",
        ratio_table(results),
        "## Performance targets (edge-host row)",
        "",
        *targets(results),
        "",
    ]
    problems = [f"{r['label']}: {r['status']}: {r.get('error', '')}" for r in results["rows"] if r["status"] != "ok"]
    if results.get("notes") or problems:
        lines += ["## Notes", "", *[f"- {n}" for n in problems + results.get("notes", [])], ""]
    lines += [
        "## The article's figures (quoted, not measured here)",
        "",
        "From the source article (one core, 1 GB; its machine, not ours). Shown for comparison only.",
        "",
        article_block(),
        "## Details and noise indicators",
        "",
        "Server CPU / wrk CPU: CPU time of the server process / of wrk over wall time (100% = its core "
        "saturated; wrk near 100% means the load generator, not the server, set the pace). Core busy: the whole "
        "core, every process and interrupt; a core busier than its process means other work shared it (noise).",
        "",
        details(results),
        "## Commands",
        "",
        "```sh",
        *results["commands"],
        "```",
        "",
    ]
    return "\n".join(lines)

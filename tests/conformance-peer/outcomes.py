#!/usr/bin/env python3
"""Per-case outcomes of a conformance run: record them, compare them.

scripts/conformance.sh collects every result line of a run (the guest's, the
process-level checks', check 26's) in one file:

    ok   <case>
    FAIL <case>: <message>
    skip <case>: <message>
    obs  <case>\t<key>\t<value>      (a value the case observed; see report.rs)

``collect`` turns that file into the outcomes JSON (format 1):

    {
      "format": 1,
      "runtime": "wasmedge",            # or "edge-host"
      "runtime_version": "0.17.0",      # `wasmedge --version` / edge-host's
      "wasmedge_commit": "52552c6...",  # the source the runtime was built from
      "abi": "0.17.0",                  # the WasmEdge version whose expectations ran
      "recorded_at": "2026-12-06T00:10:00Z",
      "command": "EDGE_RUNTIME=wasmedge bash scripts/conformance.sh --record",
      "cases": [
        {"name": "c01-...", "outcome": "pass", "observed": [["key", "value"], ...]},
        {"name": "...", "outcome": "fail", "detail": "expected ..., got ...", "observed": []},
        {"name": "...", "outcome": "skip", "detail": "expectation of ...", "observed": []}
      ]
    }

``compare RECORD CURRENT`` checks that every case has the same outcome and the
same observed values in both (``detail`` is informational) and prints one
line per difference; exit status 1 when there is any. ``--subset`` compares
only the cases CURRENT ran (a run filtered by case prefixes).

Usage:
    outcomes.py collect RESULTS -o OUT.json --runtime R --runtime-version V
                        --wasmedge-commit C --abi A --command CMD
    outcomes.py compare RECORD.json CURRENT.json [--subset]
"""

import argparse
import datetime
import json
import sys

FORMAT = 1
# Differing observed values listed per case; the rest are counted.
SHOWN_VALUES = 3
OUTCOMES = {"ok   ": "pass", "FAIL ": "fail", "skip ": "skip"}


class ResultError(Exception):
    """A results file that cannot be turned into outcomes."""


def parse_results(lines):
    """The cases of a results file, in order, as format-1 case objects."""
    cases = {}
    order = []
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        head = line[:5]
        if head in OUTCOMES:
            rest = line[5:]
            name, _, detail = rest.partition(": ")
            name = name.strip()
            if name in cases:
                raise ResultError(f"line {number}: case {name!r} reported twice")
            case = {"name": name, "outcome": OUTCOMES[head], "observed": []}
            if OUTCOMES[head] != "pass":
                case["detail"] = detail
            cases[name] = case
            order.append(name)
        elif head == "obs  ":
            parts = line[5:].split("\t")
            if len(parts) != 3:
                raise ResultError(f"line {number}: an obs line needs <case>\\t<key>\\t<value>: {line!r}")
            name, key, value = parts
            if name not in cases:
                raise ResultError(f"line {number}: observation for {name!r} before its result line")
            cases[name]["observed"].append([key, value])
    return [cases[name] for name in order]


def collect(args):
    with open(args.results, encoding="utf-8") as f:
        cases = parse_results(f)
    if not cases:
        raise ResultError(f"{args.results} holds no case results")
    record = {
        "format": FORMAT,
        "runtime": args.runtime,
        "runtime_version": args.runtime_version,
        "wasmedge_commit": args.wasmedge_commit,
        "abi": args.abi,
        "recorded_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": args.command,
        "cases": cases,
    }
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return 0


def load(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if data.get("format") != FORMAT:
        raise ResultError(f"{path}: format {data.get('format')!r}, this tool reads format {FORMAT}")
    return data


def describe(case):
    text = case["outcome"]
    if case.get("detail"):
        text += f" ({case['detail']})"
    return text


def compare(args):
    record = load(args.record)
    current = load(args.current)
    want = {c["name"]: c for c in record["cases"]}
    got = {c["name"]: c for c in current["cases"]}
    who = f"{record['runtime']} {record['runtime_version']}"
    diffs = []
    for name, case in got.items():
        if name not in want:
            diffs.append(f"{name}: not in the record of {who} (new case? record it on {record['runtime']})")
            continue
        rec = want[name]
        if rec["outcome"] != case["outcome"]:
            diffs.append(f"{name}: {who} gave {describe(rec)}; {current['runtime']} gave {describe(case)}")
        elif rec["observed"] != case["observed"]:
            theirs = dict((k, v) for k, v in rec["observed"])
            ours = dict((k, v) for k, v in case["observed"])
            changed = [
                f"{k!r}: {theirs.get(k, '<not observed>')} vs {ours.get(k, '<not observed>')}"
                for k in list(theirs) + [k for k in ours if k not in theirs]
                if theirs.get(k) != ours.get(k)
            ] or ["same values, different order or repetition"]
            shown = changed[:SHOWN_VALUES]
            if len(changed) > SHOWN_VALUES:
                shown.append(f"... {len(changed) - SHOWN_VALUES} more")
            diffs.append(f"{name}: observed values differ ({who} vs {current['runtime']}): " + "; ".join(shown))
    if not args.subset:
        for name in want:
            if name not in got:
                diffs.append(f"{name}: recorded on {who}, not run on {current['runtime']}")
    for line in diffs:
        print(f"MISMATCH {line}")
    compared = len([n for n in got if n in want])
    print(
        f"compare with {args.record}: {compared} cases compared, {len(diffs)} mismatches"
        f" (recorded {record['recorded_at']}, WasmEdge commit {record['wasmedge_commit']})"
    )
    return 1 if diffs else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command_name", required=True)
    c = sub.add_parser("collect")
    c.add_argument("results")
    c.add_argument("-o", "--output", required=True)
    c.add_argument("--runtime", required=True)
    c.add_argument("--runtime-version", required=True)
    c.add_argument("--wasmedge-commit", required=True)
    c.add_argument("--abi", required=True)
    c.add_argument("--command", required=True)
    c.set_defaults(func=collect)
    k = sub.add_parser("compare")
    k.add_argument("record")
    k.add_argument("current")
    k.add_argument("--subset", action="store_true")
    k.set_defaults(func=compare)
    args = parser.parse_args()
    try:
        return args.func(args)
    except (ResultError, OSError, ValueError, KeyError) as err:
        print(f"outcomes.py: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

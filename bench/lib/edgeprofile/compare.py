"""Before/after table of two profiles: ``python3 -m edgeprofile.compare BEFORE.json AFTER.json``.

Reads the ``--json-out`` files of two ``edgeprofile`` runs and prints, per endpoint,
the guest's instructions per request (the module's own code, what an interpreter
executes one by one), edge-host's whole-process instructions, allocations and
system calls, then the guest's instructions by area, each with the change in per
cent. Instruction counts are exact, so a change of a few per cent is real; system
calls at one request in flight depend on timing and are shown as measured.
"""

import argparse
import json
import sys

from . import driver


def change(before, after):
    if not before or before is None or after is None:
        return "–"
    return f"{100 * (after - before) / before:+.1f}%"


def number(value, digits=0):
    return "–" if value is None else f"{value:,.{digits}f}"


def render(before, after, labels):
    b_host, a_host = before.get("edge-host", {}), after.get("edge-host", {})
    lines = [
        f"| endpoint | guest Ir {labels[0]} | guest Ir {labels[1]} | change | edge-host Ir {labels[0]} | "
        f"edge-host Ir {labels[1]} | change | guest allocs {labels[0]} | guest allocs {labels[1]} | "
        f"syscalls wrk -c16 {labels[0]} | syscalls wrk -c16 {labels[1]} |",
        "|---|" + "---:|" * 10,
    ]
    keys = [key for key in driver.ENDPOINTS if key in b_host.get("callgrind", {}) and key in a_host.get("callgrind", {})]
    for key in keys:
        b, a = b_host["callgrind"][key], a_host["callgrind"][key]
        bs, as_ = b_host.get("syscalls", {}).get(key, {}), a_host.get("syscalls", {}).get(key, {})
        lines.append(
            f"| {driver.ENDPOINTS[key].title} | {number(b.get('guest_ir'))} | {number(a.get('guest_ir'))} | "
            f"{change(b.get('guest_ir'), a.get('guest_ir'))} | {number(b.get('ir'))} | {number(a.get('ir'))} | "
            f"{change(b.get('ir'), a.get('ir'))} | {number(b.get('guest_allocations'), 1)} | "
            f"{number(a.get('guest_allocations'), 1)} | {number(bs.get('under_load'), 2)} | "
            f"{number(as_.get('under_load'), 2)} |"
        )
    for key in keys:
        b, a = b_host["callgrind"][key]["groups"], a_host["callgrind"][key]["groups"]
        lines += ["", f"{driver.ENDPOINTS[key].title}, instructions per request by area:", "",
                  f"| area | {labels[0]} | {labels[1]} | change |", "|---|---:|---:|---:|"]
        for label in sorted(set(b) | set(a), key=lambda name: -max(b.get(name, 0), a.get(name, 0))):
            if max(abs(b.get(label, 0)), abs(a.get(label, 0))) >= 50:
                lines.append(f"| {label} | {number(b.get(label))} | {number(a.get(label))} | "
                             f"{change(b.get(label), a.get(label))} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="edgeprofile.compare", description=__doc__.splitlines()[0])
    parser.add_argument("before", help="--json-out of the earlier profile")
    parser.add_argument("after", help="--json-out of the later profile")
    parser.add_argument("--labels", default="before,after", help="column names, comma-separated")
    args = parser.parse_args(argv)
    try:
        with open(args.before) as b, open(args.after) as a:
            before, after = json.load(b), json.load(a)
    except (OSError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(render(before, after, args.labels.split(",", 1)), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

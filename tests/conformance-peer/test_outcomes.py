#!/usr/bin/env python3
"""Tests of outcomes.py: parsing result lines, and what compare reports.

Run: python3 -m unittest tests/conformance-peer/test_outcomes.py
(scripts/conformance.sh runs it before the suite).
"""

import contextlib
import io
import json
import os
import sys
import tempfile
import types
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outcomes  # noqa: E402

RESULTS = """\
ok   c01-open
obs  c01-open\tsock_open -> errno\t0
obs  c01-open\tfs_flags\t4
FAIL c02-udp: expected type = 1, got 2
skip c22-traps: expectation of WasmEdge main and later, target 0.17.0
guest: 1 passed, 1 failed, 1 skipped
"""


def record(cases, runtime="wasmedge"):
    return {
        "format": 1,
        "runtime": runtime,
        "runtime_version": "0.17.0",
        "wasmedge_commit": "abc",
        "abi": "0.17.0",
        "recorded_at": "2026-01-01T00:00:00Z",
        "command": "test",
        "cases": cases,
    }


class ParseTest(unittest.TestCase):
    def test_result_and_obs_lines_become_cases_in_order(self):
        cases = outcomes.parse_results(io.StringIO(RESULTS))
        self.assertEqual([c["name"] for c in cases], ["c01-open", "c02-udp", "c22-traps"])
        self.assertEqual(cases[0], {
            "name": "c01-open",
            "outcome": "pass",
            "observed": [["sock_open -> errno", "0"], ["fs_flags", "4"]],
        })
        self.assertEqual(cases[1]["outcome"], "fail")
        self.assertEqual(cases[1]["detail"], "expected type = 1, got 2")
        self.assertEqual(cases[2]["outcome"], "skip")

    def test_a_case_reported_twice_is_an_error(self):
        with self.assertRaises(outcomes.ResultError):
            outcomes.parse_results(io.StringIO("ok   a\nok   a\n"))

    def test_an_observation_without_its_case_is_an_error(self):
        with self.assertRaises(outcomes.ResultError):
            outcomes.parse_results(io.StringIO("obs  a\tk\tv\n"))


class CompareTest(unittest.TestCase):
    def compare(self, recorded, current, subset=False):
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for name, data in (("rec.json", recorded), ("cur.json", current)):
                path = os.path.join(tmp, name)
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(data, f)
                paths.append(path)
            out = io.StringIO()
            args = types.SimpleNamespace(record=paths[0], current=paths[1], subset=subset)
            with contextlib.redirect_stdout(out):
                status = outcomes.compare(args)
            return status, [line for line in out.getvalue().splitlines() if line.startswith("MISMATCH")]

    def test_identical_outcomes_pass(self):
        cases = outcomes.parse_results(io.StringIO(RESULTS))
        self.assertEqual(self.compare(record(cases), record(cases, "edge-host")), (0, []))

    def test_a_different_outcome_or_value_or_case_set_fails_with_one_line_each(self):
        cases = outcomes.parse_results(io.StringIO(RESULTS))
        mine = json.loads(json.dumps(cases))
        mine[0]["observed"][1][1] = "0"           # fs_flags differs
        mine[1]["outcome"] = "pass"               # c02 passes here
        del mine[1]["detail"]
        mine.pop()                                # c22 not run
        mine.append({"name": "x-new", "outcome": "pass", "observed": []})
        status, lines = self.compare(record(cases), record(mine, "edge-host"))
        self.assertEqual(status, 1)
        self.assertEqual(len(lines), 4, lines)
        self.assertIn("c01-open: observed values differ", lines[0])
        self.assertIn("'fs_flags': 4 vs 0", lines[0])
        self.assertIn("c02-udp: wasmedge 0.17.0 gave fail", lines[1])
        self.assertIn("x-new: not in the record", lines[2])
        self.assertIn("c22-traps: recorded on wasmedge 0.17.0, not run", lines[3])

    def test_subset_compares_only_the_cases_that_ran(self):
        cases = outcomes.parse_results(io.StringIO(RESULTS))
        self.assertEqual(self.compare(record(cases), record(cases[:1], "edge-host"), subset=True), (0, []))


if __name__ == "__main__":
    unittest.main()

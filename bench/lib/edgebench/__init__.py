"""edgebench: the comparison benchmark behind scripts/bench.sh.

It measures, one row after another in one run, the service built natively,
its .wasm on edge-host (and on wasmedge when present) and the peers under
bench/peers/, on the same endpoints, and renders the article-shaped table.

Map of the package:
- ``rows``: what is measured: one ``Row`` per runtime (command, environment,
  artifact), and the check that each one's pieces were built.
- ``server``: starting a server pinned to core 0, waiting for it, its RSS and
  CPU time from /proc, stopping it.
- ``coldstart``: median spawn -> first 200 over N starts, reusing the
  cold-start benchmark's probe (bench/coldstart/measure.py).
- ``seed``: the users every row gets before the GET /api/users/{id} load.
- ``load``: wrk runs pinned to core 1, parsed from the Lua reporter's JSON line.
- ``machine``: the machine description and tool versions for the report.
- ``report``: the Markdown table, ratios to native, targets and the article block.
- ``__main__``: the command line that runs it all (``python3 -m edgebench``).
"""

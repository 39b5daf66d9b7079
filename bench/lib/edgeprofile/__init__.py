"""edgeprofile: where the time goes, per request, native vs Wasm.

Throughput on a shared 2-core VM swings by tens of percent from run to run;
instruction counts under callgrind do not. This package runs the service
natively and its .wasm on edge-host, drives an exact number of requests at
each benchmarked endpoint, and prints per request, side by side:

- user-space instructions (callgrind ``Ir``), split into groups (the guest's
  compiled code, wasmtime, edge-host's host functions, the log line, hyper,
  the allocator, libc, ...) with the top functions;
- heap allocations (calls to malloc/calloc/realloc) of the native build, which
  runs the same Rust code as the guest;
- system calls, by name, with one request in flight, and in total under a wrk
  load with several connections (``perf stat``, no ptrace slowdown).

Map of the package:
- ``driver``: the exact request sequences (seed users, warm-up, measured).
- ``callgrind``: a server run under callgrind, its totals, and per-function
  differences between two runs turned into per-request figures and groups.
- ``syscalls``: strace's per-syscall counts and perf's total under load.
- ``__main__``: the command line (``python3 -m edgeprofile``), run by
  scripts/profile.sh after it has built everything.
"""

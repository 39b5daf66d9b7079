"""Memory per idle connection: what COUNT connections that sit idle cost the server.

Opens COUNT connections that send nothing, then COUNT more that each made one
request and stay open (keep-alive), and reports per connection the growth of the
server's RSS and, under a Wasm runtime, of the module's own linear memory (see
observe.py). Run the server with MAX_CONNECTIONS above 2 × COUNT and long
first-byte and idle timeouts, so nothing is shed or timed out meanwhile:

  python3 bench/attack/memory.py --url http://127.0.0.1:8080 --pid 1234 --count 2000
"""

import argparse
import os
import socket
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import observe  # noqa: E402


def reading(pid):
    return observe.rss_kib(pid), observe.linear_memory_kib(pid)


def settle(pid):
    """Waits until RSS stops moving (the server has handled every connect)."""
    last = None
    for _ in range(50):
        time.sleep(0.2)
        now = reading(pid)
        if now == last:
            return now
        last = now
    return last


def per_connection(before, after, count):
    rss = (after[0] - before[0]) * 1024 / count
    linear = None if after[1] is None or before[1] is None else (after[1] - before[1]) * 1024 / count
    return rss, linear


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--label", default="server")
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.url)
    address = (url.hostname, url.port)

    # Warm up: one request on a fresh connection, so first-use allocations are not counted.
    observe.request(url.hostname, url.port, "GET", "/api/health")
    base = settle(args.pid)
    silent = [socket.create_connection(address) for _ in range(args.count)]
    after_silent = settle(args.pid)
    used = []
    for _ in range(args.count):
        sock = socket.create_connection(address)
        sock.sendall(b"GET /api/health HTTP/1.1\r\nhost: memory\r\n\r\n")
        answer = sock.recv(4096)
        if not answer.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"unexpected answer: {answer[:80]!r}")
        used.append(sock)
    after_used = settle(args.pid)
    alive = observe.alive(args.pid)
    for sock in silent + used:
        sock.close()

    rows = [("connected, nothing sent", per_connection(base, after_silent, args.count)),
            ("keep-alive after one request", per_connection(after_silent, after_used, args.count))]
    print(f"### {args.label}: memory per idle connection ({args.count} connections each)")
    print()
    print("| connection | RSS per connection | module linear memory per connection |")
    print("|---|---:|---:|")
    for name, (rss, linear) in rows:
        linear_text = "-" if linear is None else f"{linear / 1024:.2f} KiB"
        print(f"| {name} | {rss / 1024:.2f} KiB | {linear_text} |")
    print()
    print(f"RSS {base[0] / 1024:.1f} -> {after_silent[0] / 1024:.1f} -> {after_used[0] / 1024:.1f} MiB; "
          f"server alive: {alive}")


if __name__ == "__main__":
    main()

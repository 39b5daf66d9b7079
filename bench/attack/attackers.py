"""The hostile clients, one kind per phase, run in their own process (see attack.py).

Each attacker holds COUNT connections open for as long as it runs and opens a new
one whenever the server closes one, so shedding and timeouts are measured against
an attacker that keeps pushing:

* ``idle``: connect, send nothing.
* ``slowloris``: a request line, then one byte of a header every INTERVAL seconds;
  the head never ends.
* ``slowbody``: a complete head announcing a large JSON body (``--body-bytes``), then
  one byte of it every INTERVAL seconds.
* ``upload``: a naive client that, like Python's ``http.client`` and many scripts,
  writes a body larger than the service accepts (``--body-bytes``) before it reads the
  answer. Counts how often it saw the 413 and how often the connection broke instead.

Everything runs on one asyncio loop (one thread), so the attacker, at ``nice 10``,
leaves the normal client its share of the CPU.

Run as ``python3 attackers.py KIND --host H --port P --count N ...``; it prints one
``ramped`` line when all COUNT connections were attempted once, and one JSON line
with its counters when it gets SIGTERM.
"""

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import threading


class Counters:
    """What an attacker did; printed as JSON at the end."""

    def __init__(self):
        self.connects = 0
        self.connect_errors = 0
        self.closed_by_server = 0
        self.answers = {}
        self.broken = 0
        self.lock = threading.Lock()

    def answer(self, status):
        with self.lock:
            key = str(status)
            self.answers[key] = self.answers.get(key, 0) + 1

    def as_json(self):
        return {
            "connects": self.connects,
            "connect_errors": self.connect_errors,
            "closed_by_server": self.closed_by_server,
            "answers": self.answers,
            "broken": self.broken,
        }


async def open_socket(host, port, counters):
    """A connected non-blocking socket, or None (counted) when the connect fails."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (host, port)), 10)
    except (OSError, asyncio.TimeoutError):
        sock.close()
        counters.connect_errors += 1
        await asyncio.sleep(0.2)
        return None
    counters.connects += 1
    return sock


async def wait_closed(sock, counters):
    """Reads (and drops) until the server closes the connection."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            data = await loop.sock_recv(sock, 4096)
        except OSError:
            data = b""
        if not data:
            counters.closed_by_server += 1
            return
        if data.startswith(b"HTTP/1.1 "):
            counters.answer(data[9:12].decode("ascii", "replace"))


async def trickle(sock, first, rest, interval):
    """Sends `first`, then `rest` one byte every `interval` seconds, for ever."""
    loop = asyncio.get_running_loop()
    await loop.sock_sendall(sock, first)
    position = 0
    while True:
        await asyncio.sleep(interval)
        byte = rest[position % len(rest):position % len(rest) + 1]
        await loop.sock_sendall(sock, byte)
        position += 1


def upload_head(body_bytes):
    """The head of a POST /api/users that announces a body of `body_bytes`."""
    return (
        f"POST /api/users HTTP/1.1\r\nhost: attack\r\ncontent-type: application/json\r\n"
        f"content-length: {body_bytes}\r\n\r\n"
    ).encode()


async def connections(args, counters, ramped):
    """One attacking slot's sockets, for ever: a new connection each time the caller is
    done with the last one (after --reconnect-delay). The first attempt, connected or
    not, releases `ramped` once."""
    first_round = True
    while True:
        sock = await open_socket(args.host, args.port, counters)
        if first_round:
            ramped.release()
            first_round = False
        if sock is None:
            continue
        yield sock
        await asyncio.sleep(args.reconnect_delay)


async def hold(kind, args, counters, ramped):
    """One attacking connection slot: connect, attack, and reconnect when closed."""
    async for sock in connections(args, counters, ramped):
        try:
            closed = asyncio.ensure_future(wait_closed(sock, counters))
            if kind == "idle":
                await closed
            else:
                if kind == "slowloris":
                    first = b"GET /api/health HTTP/1.1\r\nhost: attack\r\nx-slow: "
                    rest = b"abcdefghijklmnopqrstuvwxyz"
                else:
                    first = upload_head(args.body_bytes)
                    rest = b" "
                sender = asyncio.ensure_future(trickle(sock, first, rest, args.interval))
                await asyncio.wait({closed, sender}, return_when=asyncio.FIRST_COMPLETED)
                if not closed.done():
                    counters.closed_by_server += 1  # a send failed: the server closed it
                for task in (closed, sender):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, OSError):
                        await task
        except OSError:
            counters.closed_by_server += 1
        finally:
            sock.close()


async def run_async(kind, args, counters):
    ramped = asyncio.Semaphore(0)
    tasks = []
    for _ in range(args.count):
        attacker = naive_upload(args, counters, ramped) if kind == "upload" else hold(kind, args, counters, ramped)
        tasks.append(asyncio.ensure_future(attacker))
        # A little pacing so the first round does not overflow the listen backlog at once.
        if len(tasks) % 200 == 0:
            await asyncio.sleep(0.01)
    for _ in range(args.count):
        await ramped.acquire()
    print("ramped", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for task in tasks:
        task.cancel()


async def naive_upload(args, counters, ramped):
    """One naive client in a loop, as Python's http.client behaves: the head and the
    whole oversized body are written before a byte of the answer is read."""
    loop = asyncio.get_running_loop()
    request = upload_head(args.body_bytes) + b"{" + b" " * (args.body_bytes - 2) + b"}"
    async for sock in connections(args, counters, ramped):
        try:
            await asyncio.wait_for(loop.sock_sendall(sock, request), 30)
            answer = await asyncio.wait_for(loop.sock_recv(sock, 4096), 30)
            if answer.startswith(b"HTTP/1.1 "):
                counters.answer(answer[9:12].decode("ascii", "replace"))
            else:
                counters.broken += 1
        except (OSError, asyncio.TimeoutError):
            counters.broken += 1
        finally:
            sock.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["idle", "slowloris", "slowbody", "upload"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between trickled bytes")
    parser.add_argument("--body-bytes", type=int, default=900 * 1024)
    parser.add_argument("--reconnect-delay", type=float, default=0.0)
    args = parser.parse_args()
    os.nice(10)  # the normal client, not the attacker, gets the CPU first
    counters = Counters()
    try:
        asyncio.run(run_async(args.kind, args, counters))
    except asyncio.CancelledError:
        pass
    print(json.dumps(counters.as_json()), flush=True)


if __name__ == "__main__":
    sys.exit(main())

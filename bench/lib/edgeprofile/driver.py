"""Exact request sequences, one request in flight at a time.

Every profiled run is the same prefix (readiness probe, seed users, warm-up of
every endpoint) optionally followed by ``count`` measured requests of one
endpoint; the difference between two such runs is the cost of those requests
alone. Requests go over one keep-alive connection and each waits for its
response, so the server does the same work in every run (no batching that
depends on timing). Measured requests are also spaced by a pause long enough for
the server to go back to waiting for the next one: how many times its event loop
turns after a response depends otherwise on when the next request arrives. Each response's status is checked: a profile of error
responses would be worthless.
"""

import dataclasses
import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from edgebench.server import probe_until_200  # noqa: E402  (the benchmark's readiness probe)

SEED_USERS = 100


class DriveError(RuntimeError):
    """The server did not answer as the API promises."""


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """One profiled endpoint: how its i-th request looks and what it must answer."""

    key: str
    title: str
    status: int
    # request(i, tag) -> (method, path, body or None)
    request: object


def _post_user(i, tag):
    body = json.dumps({"name": f"Profile User {i}", "email": f"p{i}.{tag}@profile.example"})
    return "POST", "/api/users", body


ENDPOINTS = {
    "hello": Endpoint("hello", "GET /api/hello", 200, lambda i, tag: ("GET", "/api/hello", None)),
    "get_user": Endpoint(
        "get_user", "GET /api/users/{id}", 200, lambda i, tag: ("GET", f"/api/users/{i % SEED_USERS + 1}", None)
    ),
    "post_user": Endpoint("post_user", "POST /api/users", 201, _post_user),
}


def wait_ready(port, timeout_s, alive):
    """Polls GET /api/health until it answers 200; `alive()` raises if the server died."""
    last = probe_until_200(port, "/api/health", timeout_s, alive, connect_timeout_s=30, retry_s=0.05)
    if last is not None:
        raise DriveError(f"no 200 from GET /api/health within {timeout_s:.0f} s (last: {last})")


def send(conn, endpoint, count, tag, pause_s=0.0):
    """`count` requests of `endpoint` on `conn`, each checked, `pause_s` apart."""
    for i in range(count):
        if pause_s:
            time.sleep(pause_s)
        method, path, body = endpoint.request(i, tag)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status != endpoint.status:
            raise DriveError(
                f"{method} {path} answered {response.status} (expected {endpoint.status}): {payload[:200]!r}"
            )


def prefix(conn, warmup):
    """Seed users 1..SEED_USERS, then `warmup` requests of every endpoint."""
    send(conn, ENDPOINTS["post_user"], SEED_USERS, "seed")
    for endpoint in ENDPOINTS.values():
        send(conn, endpoint, warmup, "warm")


def run_sequence(port, warmup, measured=None, count=0, pause_s=0.0):
    """The whole client side of one profiled run: prefix, then `count` requests of
    `measured`, `pause_s` apart."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        prefix(conn, warmup)
        if measured is not None and count:
            send(conn, measured, count, "measured", pause_s)
    except (OSError, http.client.HTTPException) as error:
        raise DriveError(f"the request sequence failed: {error}") from error
    finally:
        conn.close()

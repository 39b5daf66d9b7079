"""The users every row gets before the ``GET /api/users/{id}`` load.

Each server starts empty; the benchmark creates ``count`` users through the
real ``POST /api/users`` on one keep-alive connection and checks that they got
the ids 1..count, which is what the wrk script then walks through. Also the
seeder of scripts/bench-backends.sh: ``python3 -m edgebench.seed PORT COUNT``.
"""

import http.client
import json
import sys


class SeedError(RuntimeError):
    """The server did not accept the seed users as the API promises."""


def seed_users(port, count):
    """Creates users 1..count; raises SeedError with a sentence on any surprise."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for index in range(1, count + 1):
            body = json.dumps({"name": f"Seed User {index}", "email": f"seed{index}@bench.example"})
            conn.request("POST", "/api/users", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            if response.status == 404 or response.status == 405:
                raise SeedError(
                    f"POST /api/users answered {response.status}: this build has no users API; "
                    "the GET/POST /api/users rows cannot be measured"
                )
            if response.status != 201:
                raise SeedError(f"POST /api/users answered {response.status} (expected 201): {payload[:200]!r}")
            try:
                created = json.loads(payload)
            except ValueError as error:
                raise SeedError(f"POST /api/users answered 201 with a body that is not JSON: {error}") from error
            if created.get("id") != index:
                raise SeedError(
                    f"seed user {index} got id {created.get('id')!r}; the benchmark expects ids 1..{count} "
                    "on a fresh server"
                )
        conn.request("GET", f"/api/users/{count}")
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SeedError(f"GET /api/users/{count} answered {response.status} right after creating it")
    except (OSError, http.client.HTTPException) as error:
        raise SeedError(f"seeding users failed: {error}") from error
    finally:
        conn.close()


def main(argv):
    """``python3 -m edgebench.seed PORT COUNT``: seeds a running service from a shell
    script (scripts/bench-backends.sh); exits 1 with the sentence on any surprise."""
    if len(argv) != 2 or not all(arg.isdigit() for arg in argv):
        sys.exit("usage: python3 -m edgebench.seed PORT COUNT")
    try:
        seed_users(int(argv[0]), int(argv[1]))
    except SeedError as error:
        sys.exit(f"seeding failed: {error}")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Seeds N users into a running service over one keep-alive connection, so the
benchmark's GET /api/users/{id} hits ids 1..N. Fails loudly on any non-201.

    python3 seed_users.py PORT N
"""
import http.client
import json
import sys


def main() -> None:
    port, count = int(sys.argv[1]), int(sys.argv[2])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(1, count + 1):
        body = json.dumps({"name": f"Bench User {i}", "email": f"bench{i}@example.org"})
        connection.request("POST", "/api/users", body, {"content-type": "application/json"})
        response = connection.getresponse()
        text = response.read()
        if response.status != 201:
            sys.exit(f"seeding user {i} failed: {response.status} {text[:200]!r}")
        if json.loads(text)["id"] != i:
            sys.exit(f"seeding expected id {i}, got {text[:200]!r} (is the database empty?)")


if __name__ == "__main__":
    main()

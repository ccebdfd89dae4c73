"""Wrong client secrets against a /health probe: `python -m benchmarks.client_auth_flood [--threads 8]`.

Issue 12's measurement: attacker threads post wrong secrets to /o/token/ for a confidential
client while one thread times GET /api/v1/health on the same gunicorn (2 sync workers). Before
the failure budgets every wrong secret ran Argon2 and the probe waited; after them the attacker
gets 429 before any hashing. Prints the probe's median and p95 with and without the attack and
the attacker's status codes. Uses a fresh SQLite file under var/ and REDIS_URL if set (the
budgets are then shared by both workers, as in production).
"""

import argparse
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _probe(url: str, seconds: float) -> list[float]:
    times = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        requests.get(f"{url}/api/v1/health", timeout=30)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _summary(times: list[float]) -> str:
    times = sorted(times)
    return f"median {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95)]:.1f} ms, n={len(times)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="client-auth-flood-"))
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_LOG_LEVEL": "ERROR",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    # An operator-chosen secret: hashed with Argon2 before and after this change.
    secret = "an-operator-chose-this-secret"
    out = subprocess.run(
        [
            *manage,
            "createapplication",
            "confidential",
            "client-credentials",
            "--name",
            "Job",
            "--client-secret",
            secret,
            "--json",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    client_id = json.loads(out)["client_id"]
    if os.environ.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()

    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "apiproject.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if requests.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        quiet = _probe(url, args.seconds)

        statuses: Counter = Counter()
        stop = threading.Event()
        wrong = "Basic " + base64.b64encode(f"{client_id}:wrong-secret".encode()).decode()

        def attack() -> None:
            session = requests.Session()
            while not stop.is_set():
                response = session.post(
                    f"{url}/o/token/",
                    {"grant_type": "client_credentials"},
                    headers={"Authorization": wrong},
                    timeout=30,
                )
                statuses[response.status_code] += 1

        threads = [threading.Thread(target=attack) for _ in range(args.threads)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        loaded = _probe(url, args.seconds)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps({"threads": args.threads, "statuses": dict(statuses)}))
    print(f"/health alone:        {_summary(quiet)}")
    print(f"/health under attack: {_summary(loaded)}")


if __name__ == "__main__":
    main()

"""Helpers for tests across apps: gunicorn with several worker processes, a Redis of its own, Redis round trips."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import requests
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    """The URL of the database the tests are using right now (pytest-django's test_ database)."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextlib.contextmanager
def gunicorn_server(*, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run gunicorn on a free loopback port; yield its base URL; stop it afterwards.

    The workers share the test database (so tests using this need `transactional_db`) and the
    test Redis, exactly as production workers share theirs.
    """
    port = _free_port()
    child_env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_CONN_MAX_AGE": "0", **(env or {})}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "apiproject.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=child_env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not listening, or still loading
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def replay(request: requests.PreparedRequest, base_url: str) -> requests.Response:
    """Send the captured bytes of `request` unchanged (its Host included) to another server."""
    host = urlsplit(request.url).netloc
    replayed = requests.Request(
        request.method, base_url + urlsplit(request.url).path, headers={**request.headers, "Host": host}
    ).prepare()
    return requests.Session().send(replayed, timeout=10)


class RedisServer:
    """A redis-server of the test's own on a free port, keeping nothing on disk (--save "")."""

    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._args = args
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen([*command, *self._args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def restart(self) -> None:
        """Stop and start again on the same port: every key is gone, as after a real restart."""
        self.stop()
        self.start()


@contextlib.contextmanager
def redis_server(*args: str) -> Iterator[RedisServer]:
    """Run a private redis-server (extra `args` such as "--maxmemory-policy", "allkeys-lru")."""
    server = RedisServer(*args)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def redis_round_trips() -> Iterator[list]:
    """Count network round trips to Redis (pipelines are one): the list's length, once the block ends."""
    from redis.connection import AbstractConnection

    trips: list = []
    original = AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        trips.append(command)
        return original(self, command, check_health)

    AbstractConnection.send_packed_command = counted
    try:
        yield trips
    finally:
        AbstractConnection.send_packed_command = original

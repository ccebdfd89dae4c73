"""The production stack for tests: deploy/'s nginx and gunicorn on free ports, in temporary directories."""

import contextlib
import dataclasses
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from deploy.stack import TlsFiles, free_port, gunicorn_start, nginx_render, nginx_start, stop, wait_until_serving
from tests.helpers import _database_url


@dataclasses.dataclass(frozen=True)
class Stack:
    """A running nginx + gunicorn: its URLs, its PKI, and nginx's prefix (logs/access.log)."""

    https: str
    http: str
    tls: TlsFiles
    prefix: Path
    app: str  # gunicorn's own address, behind nginx

    @property
    def access_log(self) -> Path:
        return self.prefix / "logs" / "access.log"


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production gunicorn sharing the tests' database and Redis."""
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_CONN_MAX_AGE": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "1",
        "DJANGO_TRUSTED_PROXIES": "127.0.0.1",
        "GUNICORN_LOG_LEVEL": "warning",
        "GUNICORN_ACCESS_LOG": os.devnull,
        **extra,
    }


@contextlib.contextmanager
def app_servers(count: int, *, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[list[str]]:
    """Run `count` gunicorn masters ("hosts") on free ports; yield their addresses."""
    processes, binds = [], []
    try:
        for _ in range(count):
            bind = f"127.0.0.1:{free_port()}"
            processes.append(gunicorn_start(bind=bind, env=production_env(**(env or {})), workers=workers))
            binds.append(bind)
        for bind in binds:
            # Health is exempt from the HTTPS redirect, so it answers on plain HTTP.
            wait_until_serving(f"http://{bind}/api/v1/health", ca=None, processes=processes)
        yield binds
    finally:
        stop(processes)


def static_files_collect() -> None:
    """Run `collectstatic` as a deployment does before serving: WhiteNoise serves STATIC_ROOT only."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=production_env(),
        check=True,
        timeout=300,
    )


@contextlib.contextmanager
def production_stack(tls: TlsFiles, prefix: Path, *, workers: int = 2, env: dict[str, str] | None = None):
    """Run deploy/'s gunicorn (`workers` workers) behind deploy/'s nginx; yield a Stack."""
    static_files_collect()  # on a fresh clone there are none yet, and the admin and Swagger UI need them
    with app_servers(1, workers=workers, env=env) as (bind,):
        https_port, http_port = free_port(), free_port()
        config = nginx_render(
            prefix=prefix,
            tls=tls,
            upstream=bind,
            https_port=https_port,
            http_port=http_port,
            max_body_bytes=settings.API_MAX_BODY_BYTES,
        )
        nginx = nginx_start(config)
        try:
            https = f"https://127.0.0.1:{https_port}"
            wait_until_serving(f"{https}/api/v1/health", ca=tls.ca, processes=[nginx])
            yield Stack(https=https, http=f"http://127.0.0.1:{http_port}", tls=tls, prefix=prefix, app=bind)
        finally:
            stop([nginx])


def tls_handshake(url: str, ca: Path, *, version: ssl.TLSVersion, alpn: tuple[str, ...] = ()) -> ssl.SSLSocket:
    """Open a TLS connection to `url` limited to exactly `version`; raise ssl.SSLError if refused."""
    host, port = url.removeprefix("https://").split(":")
    context = ssl.create_default_context(cafile=str(ca))
    context.minimum_version = context.maximum_version = version
    if alpn:
        context.set_alpn_protocols(list(alpn))
    raw = socket.create_connection((host, int(port)), timeout=10)
    return context.wrap_socket(raw, server_hostname=host)

"""The production stack on one machine: the local CA, nginx's rendered configuration, gunicorn.

Used by `make prod` (deploy/prod.py), the end-to-end tests and `make loadtest`: all of them run
the same deploy/nginx/apiproject.conf and deploy/gunicorn.conf.py that a real host would,
with only the paths and ports rewritten.
"""

import dataclasses
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from transport.crypto import (
    ca_create,
    certificate_issue,
    certificate_load,
    certificate_pem,
    private_key_load,
    private_key_pem,
)

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX_MODULE = Path("/usr/lib/nginx/modules/ngx_http_js_module.so")


@dataclasses.dataclass(frozen=True)
class TlsFiles:
    """The files of the local PKI: server CA and certificate, and the client CA for mutual TLS."""

    ca: Path
    ca_key: Path
    server: Path
    server_key: Path
    client_ca: Path
    client_ca_key: Path

    @classmethod
    def under(cls, directory: Path) -> "TlsFiles":
        """Return the PKI's file names under `directory` (var/tls/ for make prod)."""
        return cls(
            **{field.name: directory / f"{field.name.replace('_', '-')}.pem" for field in dataclasses.fields(cls)}
        )

    @property
    def directory(self) -> Path:
        return self.ca.parent


def _write(path: Path, data: bytes, *, private: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def tls_ensure(directory: Path) -> TlsFiles:
    """Create the local CA, a server certificate for localhost/127.0.0.1/::1 and a client CA, if missing."""
    files = TlsFiles.under(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not (files.ca.exists() and files.ca_key.exists()):
        key, cert = ca_create("apiproject local CA")
        _write(files.ca_key, private_key_pem(key), private=True)
        _write(files.ca, certificate_pem(cert), private=False)
        files.server.unlink(missing_ok=True)  # a new CA means a new server certificate
    if not (files.server.exists() and files.server_key.exists()):
        ca = (private_key_load(files.ca_key.read_bytes()), certificate_load(files.ca.read_bytes()))
        key, cert = certificate_issue(
            ca=ca, common_name="localhost", client=False, dns_names=["localhost"], ip_addresses=["127.0.0.1", "::1"]
        )
        _write(files.server_key, private_key_pem(key), private=True)
        _write(files.server, certificate_pem(cert), private=False)
    if not (files.client_ca.exists() and files.client_ca_key.exists()):
        key, cert = ca_create("apiproject client CA")
        _write(files.client_ca_key, private_key_pem(key), private=True)
        _write(files.client_ca, certificate_pem(cert), private=False)
    return files


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _replace(text: str, old: str, new: str) -> str:
    # Every rewrite must hit: a rewrite that silently misses would serve the real host's paths.
    if old not in text:
        raise RuntimeError(f"deploy/nginx/apiproject.conf no longer contains {old!r}")
    return text.replace(old, new)


def nginx_render(
    *,
    prefix: Path,
    tls: TlsFiles,
    upstream: str,
    https_port: int,
    http_port: int,
    max_body_bytes: int,
) -> Path:
    """Write nginx's configuration for this machine under `prefix`; return the main file's path."""
    for sub in ("logs", "temp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DEPLOY / "nginx" / "client_cert.js", prefix / "client_cert.js")
    site = (DEPLOY / "nginx" / "apiproject.conf").read_text()
    for old, new in (
        ("/etc/apiproject/nginx/client_cert.js", str(prefix / "client_cert.js")),
        ("/etc/apiproject/tls/", f"{tls.directory}/"),
        ("server 127.0.0.1:8000;", f"server {upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("return 301 https://$host$request_uri;", f"return 301 https://$host:{https_port}$request_uri;"),
        ("/var/log/nginx/apiproject.access.log", str(prefix / "logs" / "access.log")),
        ("client_max_body_size 1m;", f"client_max_body_size {max_body_bytes};"),
    ):
        site = _replace(site, old, new)
    (prefix / "apiproject.conf").write_text(site)
    main = (DEPLOY / "nginx" / "local.conf").read_text()
    if os.geteuid() == 0:
        # Run as the current user: as root, nginx would hand its workers to `nobody`, who cannot
        # enter this prefix. A real host's nginx.conf names its own user (Debian: www-data).
        main = f"user {getpass.getuser()};\n" + main
    (prefix / "nginx.conf").write_text(main)
    return prefix / "nginx.conf"


def nginx_check() -> list[str]:
    """Return what is missing for nginx to serve this configuration (empty when nothing is)."""
    problems = []
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        problems.append("nginx is not installed (Debian: apt-get install nginx libnginx-mod-http-js)")
    if not NGINX_MODULE.exists():
        problems.append(f"the njs module {NGINX_MODULE} is missing (Debian: apt-get install libnginx-mod-http-js)")
    return problems


def _nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_start(config: Path) -> subprocess.Popen:
    """Test `config` (nginx -t names the problem) and start nginx in the foreground on it."""
    prefix = str(config.parent)
    test = subprocess.run(
        [_nginx_binary(), "-t", "-q", "-p", prefix, "-c", str(config)], capture_output=True, text=True
    )
    if test.returncode != 0:
        raise RuntimeError(f"nginx refused its configuration: {test.stderr.strip()}")
    return subprocess.Popen([_nginx_binary(), "-p", prefix, "-c", str(config)])


def gunicorn_start(*, bind: str, env: Mapping[str, str], workers: int | None = None) -> subprocess.Popen:
    """Start gunicorn with deploy/gunicorn.conf.py on `bind`, with `env` as its environment."""
    child_env = {**env, "GUNICORN_BIND": bind}
    if workers is not None:
        child_env["GUNICORN_WORKERS"] = str(workers)
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"), "apiproject.wsgi"],
        cwd=ROOT,
        env=child_env,
    )


def wait_until_serving(url: str, *, ca: Path | None, processes: list[subprocess.Popen], timeout: float = 60) -> None:
    """Wait until GET `url` answers 200 (over TLS trusting `ca`); raise if a process dies or time runs out."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=2, verify=str(ca) if ca else True).status_code == 200:
                return
        except requests.RequestException:
            pass
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited with status {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.25)


def stop(processes: list[subprocess.Popen]) -> None:
    """Stop each process (gracefully, then by force) in reverse order of starting."""
    for process in reversed(processes):
        if process.poll() is None:
            # nginx stops gracefully on SIGQUIT; gunicorn on SIGTERM.
            process.send_signal(signal.SIGQUIT if "nginx" in str(process.args[0]) else signal.SIGTERM)
    for process in reversed(processes):
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

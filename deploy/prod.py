"""`make prod`: the whole production stack on this machine, until Ctrl-C.

nginx (TLS 1.3, HSTS, HTTP/2, optional mutual TLS) on https://127.0.0.1:8443 and plain HTTP on
8080 (health answers, the rest redirects), in front of gunicorn workers, with PostgreSQL and
Redis from DATABASE_URL and REDIS_URL (default: the local servers on their standard ports).
On first run it writes the secrets (`make secrets`) and the local PKI under var/tls/.
"""

import ipaddress
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from deploy.secrets import secrets_ensure
from deploy.stack import (
    ROOT,
    gunicorn_start,
    nginx_check,
    nginx_render,
    nginx_start,
    stop,
    tls_ensure,
    wait_until_serving,
)

# PROD_VAR_DIR moves every generated file (secrets, PKI, nginx prefix) elsewhere, as the tests do.
VAR = Path(os.environ.get("PROD_VAR_DIR") or ROOT / "var")
DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/apiproject",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "PROD_HTTPS_PORT": "8443",
    "PROD_HTTP_PORT": "8080",
    "PROD_APP_BIND": "127.0.0.1:8001",
}
# h4's periodic usage flush: run every this many seconds while the stack serves, if it exists.
FLUSH_USAGE_SECONDS = 10


def production_env(*, tls_dir: Path) -> dict[str, str]:
    """Return the environment of every process of the stack: secrets, services, proxy trust."""
    env = {**DEFAULTS, **os.environ}
    for name, value in secrets_ensure(VAR / "secrets").items():
        env.setdefault(name, value)  # a secret set in the environment wins over the generated one
    proxies = env.get("DJANGO_TRUSTED_PROXIES") or "127.0.0.1"
    if not _trusts_loopback(proxies):
        raise SystemExit(
            f"make prod: DJANGO_TRUSTED_PROXIES={proxies} does not include 127.0.0.1, the address nginx connects "
            "from: the app would ignore its X-Forwarded-Proto and Client-Cert (every request would redirect)."
        )
    env.update(
        {
            "DJANGO_DEBUG": "0",
            # nginx is the one peer whose X-Forwarded-For, X-Forwarded-Proto and Client-Cert count.
            "DJANGO_TRUSTED_PROXIES": proxies,
            "TRANSPORT_CLIENT_CA_FILE": str(tls_dir / "client-ca.pem"),
            "TRANSPORT_CLIENT_CA_KEY_FILE": str(tls_dir / "client-ca-key.pem"),
        }
    )
    return env


def _trusts_loopback(proxies: str) -> bool:
    try:
        networks = [ipaddress.ip_network(entry.strip(), strict=False) for entry in proxies.split(",") if entry.strip()]
    except ValueError as exc:
        raise SystemExit(f"make prod: DJANGO_TRUSTED_PROXIES: {exc}") from exc
    return any(ipaddress.ip_address("127.0.0.1") in network for network in networks if network.version == 4)


def database_ensure(url: str) -> None:
    """Create the PostgreSQL database of `url` if the server has none of that name."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return
    import psycopg
    from psycopg import sql

    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        raise SystemExit(f"make prod: PostgreSQL at DATABASE_URL is not reachable: {exc}".strip()) from exc


def redis_check(url: str) -> None:
    """Refuse to start when REDIS_URL does not answer: nonces and limits need it."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"make prod: Redis at REDIS_URL is not reachable: {exc}") from exc


def manage(env: dict[str, str], *args: str) -> None:
    """Run `python manage.py ARGS` in the production environment; stop make prod if it fails."""
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env)
    if result.returncode != 0:
        raise SystemExit(f"make prod: manage.py {' '.join(args)} failed (status {result.returncode})")


def flush_usage_loop(env: dict[str, str], stop: threading.Event) -> None:
    """HOOK (h4): run `manage.py flush_usage` every FLUSH_USAGE_SECONDS while serving, if the command exists."""
    if not list(ROOT.glob("*/management/commands/flush_usage.py")):
        return
    while not stop.wait(FLUSH_USAGE_SECONDS):
        subprocess.run([sys.executable, "manage.py", "flush_usage"], cwd=ROOT, env=env, capture_output=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    problems = nginx_check()
    if problems:
        raise SystemExit("make prod: " + "; ".join(problems))
    tls = tls_ensure(VAR / "tls")
    env = production_env(tls_dir=tls.directory)
    database_ensure(env["DATABASE_URL"])
    redis_check(env["REDIS_URL"])
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    https_port, http_port = int(env["PROD_HTTPS_PORT"]), int(env["PROD_HTTP_PORT"])
    config = nginx_render(
        prefix=VAR / "nginx",
        tls=tls,
        upstream=env["PROD_APP_BIND"],
        https_port=https_port,
        http_port=http_port,
        max_body_bytes=int(env.get("API_MAX_BODY_BYTES", 1024 * 1024)),
    )
    signal.signal(signal.SIGTERM, _interrupt)
    stop_flush = threading.Event()
    processes: list[subprocess.Popen] = []
    try:
        processes.append(gunicorn_start(bind=env["PROD_APP_BIND"], env=env))
        processes.append(nginx_start(config))
        base = f"https://127.0.0.1:{https_port}"
        wait_until_serving(f"{base}/api/v1/health", ca=tls.ca, processes=processes)
        threading.Thread(target=flush_usage_loop, args=(env, stop_flush), daemon=True).start()
        print(
            f"\nServing {base}/ (HTTP on :{http_port} redirects, except /api/v1/health).\n"
            f"  Trust the local CA: curl --cacert {tls.ca} {base}/api/v1/health\n"
            f"  Browser: import {tls.ca} as an authority, or accept the warning once.\n"
            "  A client certificate for mutual TLS: make prod-client-cert NAME=myapp\n"
            "Ctrl-C stops nginx and gunicorn.",
            flush=True,
        )
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("make prod: a server exited; stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping.", flush=True)
        return 0
    finally:
        # A second Ctrl-C must not leave half the stack running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_flush.set()
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())

"""`make prod` (deploy/prod.py): serves the whole stack until Ctrl-C, then stops all it started."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from deploy.stack import ROOT, free_port, nginx_render, nginx_start, tls_ensure
from tests.helpers import _database_url

pytestmark = [pytest.mark.live, pytest.mark.nginx, pytest.mark.django_db(transaction=True)]


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_serving(process: subprocess.Popen, url: str, ca) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert process.poll() is None, "make prod exited"
        if ca.exists():
            try:
                if requests.get(url, verify=ca, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
        time.sleep(0.5)
    pytest.fail("make prod did not serve")


def test_make_prod_serves_https_and_stops_everything_on_ctrl_c(tmp_path):
    https_port, http_port, app_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "PROD_VAR_DIR": str(tmp_path),
        "PROD_HTTPS_PORT": str(https_port),
        "PROD_HTTP_PORT": str(http_port),
        "PROD_APP_BIND": f"127.0.0.1:{app_port}",
        "GUNICORN_WORKERS": "2",
        "DATABASE_URL": _database_url(),
        "DJANGO_SECURE_SSL_REDIRECT": "1",
        "DJANGO_STATIC_MANIFEST": "1",
    }
    # Its own session, so that SIGINT reaches its whole process group, as Ctrl-C in a terminal does.
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.prod"], cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.PIPE
    )
    base, ca = f"https://127.0.0.1:{https_port}", tmp_path / "tls" / "ca.pem"
    try:
        _wait_serving(process, f"{base}/api/v1/health", ca)
        for name in ("ca.pem", "server.pem", "client-ca.pem"):
            assert (tmp_path / "tls" / name).exists()
        # The admin, Swagger UI (with its assets from this server) and the schema, over TLS.
        admin = requests.get(f"{base}/admin/login/", verify=ca, timeout=10)
        assert admin.status_code == 200 and "csrfmiddlewaretoken" in admin.text
        docs = requests.get(f"{base}/api/docs/", verify=ca, timeout=10)
        assert docs.status_code == 200
        asset = docs.text.split('src="')[1].split('"')[0]
        assert requests.get(f"{base}{asset}", verify=ca, timeout=10).status_code == 200
        assert (
            requests.get(f"http://127.0.0.1:{http_port}/admin/", allow_redirects=False, timeout=10).status_code == 301
        )
    finally:
        os.killpg(process.pid, signal.SIGINT)
        status = process.wait(timeout=60)
    assert status == 0
    assert not any(_port_open(port) for port in (https_port, http_port, app_port))


def test_make_prod_refuses_a_proxy_address_it_does_not_trust(tmp_path):
    env = {**os.environ, "PROD_VAR_DIR": str(tmp_path), "DJANGO_TRUSTED_PROXIES": "10.0.0.1"}
    result = subprocess.run([sys.executable, "-m", "deploy.prod"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DJANGO_TRUSTED_PROXIES=10.0.0.1 does not include 127.0.0.1" in result.stderr


def test_nginx_refuses_to_start_without_its_certificate_naming_the_file(tmp_path):
    tls = tls_ensure(tmp_path / "tls")
    tls.server.unlink()
    config = nginx_render(
        prefix=tmp_path / "nginx",
        tls=tls,
        upstream="127.0.0.1:1",
        https_port=free_port(),
        http_port=free_port(),
        max_body_bytes=1024,
    )
    with pytest.raises(RuntimeError, match="server.pem"):
        nginx_start(config)

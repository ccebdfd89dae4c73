"""deploy/nginx/apiproject.conf, served by the real nginx in front of gunicorn workers."""

import ssl

import pytest
import requests

from tests.deploy.helpers import tls_handshake

pytestmark = [pytest.mark.live, pytest.mark.nginx, pytest.mark.django_db(transaction=True)]


def test_tls_1_2_is_refused(stack):
    with pytest.raises(ssl.SSLError):
        tls_handshake(stack.https, stack.tls.ca, version=ssl.TLSVersion.TLSv1_2)


def test_tls_1_3_is_accepted_with_http2(stack):
    with tls_handshake(stack.https, stack.tls.ca, version=ssl.TLSVersion.TLSv1_3, alpn=("h2", "http/1.1")) as sock:
        assert sock.version() == "TLSv1.3"
        assert sock.selected_alpn_protocol() == "h2"


def test_https_carries_one_hsts_header(stack):
    response = requests.get(f"{stack.https}/api/v1/health", verify=stack.tls.ca, timeout=10)
    assert response.status_code == 200
    assert response.raw.headers.getlist("Strict-Transport-Security") == ["max-age=63072000; includeSubDomains; preload"]


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/health/"], ids=["health", "health-slash"])
def test_plain_http_health_answers(stack, path):
    response = requests.get(f"{stack.http}{path}", allow_redirects=False, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/api/v1/whoami", "/admin/", "/o/token/", "/"], ids=["api", "admin", "oauth", "root"])
def test_plain_http_redirects_everything_else_to_https(stack, path):
    response = requests.get(f"{stack.http}{path}?a=1", allow_redirects=False, timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"] == f"{stack.https}{path}?a=1"


def test_body_over_the_limit_gets_the_json_413_from_nginx(stack, settings):
    body = b"x" * (settings.API_MAX_BODY_BYTES + 1)
    response = requests.post(f"{stack.https}/api/v1/purchases/", data=body, verify=stack.tls.ca, timeout=10)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_app_behind_the_trusted_proxy_builds_https_urls(stack):
    # X-Forwarded-Proto from nginx (a trusted proxy) makes the app see https: no redirect loop,
    # and the absolute URLs it publishes name the https origin the client used.
    response = requests.get(f"{stack.https}/o/.well-known/openid-configuration", verify=stack.tls.ca, timeout=10)
    assert response.status_code == 200
    assert response.json()["token_endpoint"] == f"{stack.https}/o/token/"


def test_access_log_holds_no_credential(stack):
    secret = "s3cret-token-value-that-must-not-be-logged"
    requests.get(
        f"{stack.https}/api/v1/whoami?access_token={secret}",
        headers={"Authorization": f"Bearer {secret}", "Cookie": f"sessionid={secret}"},
        verify=stack.tls.ca,
        timeout=10,
    )
    log = stack.access_log.read_text()
    assert "/api/v1/whoami" in log
    assert secret not in log

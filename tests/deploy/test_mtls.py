"""Mutual TLS, bound tokens and replays through the real nginx in front of several gunicorn workers."""

import socket

import pytest
import requests
from requests.adapters import HTTPAdapter

from apiclient.signing import HttpSignatureAuth
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.clients.factories import make_api_client
from tests.transport.helpers import client_cert, expired_cert, new_ca
from transport.crypto import certificate_load, certificate_pem, private_key_load, private_key_pem
from transport.services import client_certificate_add

pytestmark = [pytest.mark.live, pytest.mark.nginx, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stack_ca(stack, settings):
    """The stack's client CA, the one nginx verifies client certificates against."""
    settings.TRANSPORT_CLIENT_CA_FILE = str(stack.tls.client_ca)
    return private_key_load(stack.tls.client_ca_key.read_bytes()), certificate_load(stack.tls.client_ca.read_bytes())


def _files(tmp_path, cert, name="app"):
    crt, key = tmp_path / f"{name}.pem", tmp_path / f"{name}-key.pem"
    crt.write_bytes(certificate_pem(cert.pair[1]))
    key.write_bytes(private_key_pem(cert.pair[0]))
    return str(crt), str(key)


@pytest.fixture
def bound_app(stack_ca, tmp_path):
    creds = make_api_client()
    cert = client_cert(stack_ca)
    client_certificate_add(client=creds.client, pem=cert.pem)
    return creds, cert, _files(tmp_path, cert)


def _get(stack, path, **kwargs):
    return requests.get(f"{stack.https}{path}", verify=stack.tls.ca, timeout=15, **kwargs)


def test_client_certificate_identifies_the_app(stack, bound_app):
    creds, _, files = bound_app
    response = _get(stack, "/api/v1/whoami", cert=files)
    assert response.status_code == 200
    assert response.json() == {"user": None, "client": creds.client.client_id, "schemes": ["mtls"]}


def test_forged_client_cert_header_is_overwritten_by_nginx(stack, bound_app, stack_ca, tmp_path):
    _, cert, _ = bound_app
    # Without a certificate in the handshake: nginx sends no Client-Cert at all.
    alone = _get(stack, "/api/v1/whoami", headers={"Client-Cert": cert.header})
    assert alone.status_code == 401
    assert alone.json()["code"] == "client_required"
    # With another certificate of the same CA: nginx sends that one, not the forged one.
    other = _files(tmp_path, client_cert(stack_ca, "other"), "other")
    swapped = _get(stack, "/api/v1/whoami", cert=other, headers={"Client-Cert": cert.header})
    assert swapped.status_code == 401
    assert swapped.json()["code"] == "client_required"


class _FromAddress(HTTPAdapter):
    """Connects from another loopback address: a peer that is not the trusted proxy (127.0.0.1)."""

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = ("127.0.0.3", 0)
        super().init_poolmanager(*args, **kwargs)


def test_client_cert_header_sent_straight_to_gunicorn_is_ignored(stack, bound_app):
    _, cert, _ = bound_app
    with requests.Session() as session:
        session.mount("http://", _FromAddress())
        response = session.get(
            f"http://{stack.app}/api/v1/whoami",
            headers={"Client-Cert": cert.header, "X-Forwarded-Proto": "https"},
            timeout=15,
            allow_redirects=False,
        )
    # The forged X-Forwarded-Proto is dropped too, so the app sees plain HTTP and redirects.
    assert response.status_code == 301


@pytest.mark.parametrize("kind", ["expired", "foreign-ca"])
def test_expired_or_foreign_certificate_gets_a_json_400_from_nginx(stack, stack_ca, tmp_path, kind):
    cert = expired_cert(stack_ca) if kind == "expired" else client_cert(new_ca("foreign"))
    response = _get(stack, "/api/v1/whoami", cert=_files(tmp_path, cert, kind))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_client_certificate"


def test_certificate_bound_token_without_its_certificate_is_refused(stack, bound_app):
    creds, _, files = bound_app
    user = UserFactory()
    pair = requests.post(
        f"{stack.https}/api/v1/auth/token",
        json={"username": user.username, "password": DEFAULT_PASSWORD},
        cert=files,
        verify=stack.tls.ca,
        timeout=30,
    )
    assert pair.status_code == 200, pair.text
    bearer = {"Authorization": f"Bearer {pair.json()['access']}"}
    assert _get(stack, "/api/v1/whoami", headers=bearer, cert=files).json()["user"] == user.username
    stolen = _get(stack, "/api/v1/whoami", headers={**bearer, "X-Api-Key": creds.key_id})
    assert stolen.status_code == 401
    assert stolen.json()["code"] == "invalid_token"


def test_signed_request_replayed_to_other_workers_is_refused(stack):
    creds = make_api_client()
    auth = HttpSignatureAuth(creds.key_id, creds.secret)
    request = requests.Request("GET", f"{stack.https}/api/v1/whoami").prepare()
    auth.sign(request)
    statuses = []
    for _ in range(8):
        # A new connection each time: nginx spreads them over the gunicorn workers.
        with requests.Session() as session:
            statuses.append(session.send(request.copy(), verify=stack.tls.ca, timeout=15).status_code)
    assert statuses[0] == 200
    assert statuses[1:] == [401] * 7


def test_gunicorn_listens_on_loopback_only(stack):
    host, port = stack.app.split(":")
    assert host == "127.0.0.1"
    with socket.create_connection((host, int(port)), timeout=5):
        pass

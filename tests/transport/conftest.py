"""Mutual-TLS fixtures: a client CA on disk (TRANSPORT_CLIENT_CA_FILE), nginx's address trusted."""

import pytest

from tests.clients.factories import make_api_client
from tests.transport.helpers import client_cert, new_ca
from transport.crypto import certificate_pem, private_key_pem
from transport.services import client_certificate_add


@pytest.fixture
def client_ca(settings, tmp_path):
    """A client CA whose files the settings name; the test client's peer (127.0.0.1) is the trusted proxy."""
    ca = new_ca()
    (tmp_path / "client-ca.pem").write_bytes(certificate_pem(ca[1]))
    (tmp_path / "client-ca-key.pem").write_bytes(private_key_pem(ca[0]))
    settings.TRANSPORT_CLIENT_CA_FILE = str(tmp_path / "client-ca.pem")
    settings.TRANSPORT_CLIENT_CA_KEY_FILE = str(tmp_path / "client-ca-key.pem")
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    return ca


@pytest.fixture
def bound_app(client_ca):
    """An app with a key and one certificate of the client CA bound to it: (credentials, certificate)."""
    creds = make_api_client()
    cert = client_cert(client_ca)
    client_certificate_add(client=creds.client, pem=cert.pem)
    return creds, cert

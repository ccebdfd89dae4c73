"""MutualTlsAuthentication: the app named by a verified client certificate, and --require-mtls."""

import pytest
from django.utils import timezone

from tests.clients.factories import make_api_client
from tests.transport.helpers import client_cert, expired_cert, new_ca
from transport.models import ClientCertificate
from transport.services import client_certificate_add, mtls_policy_set

pytestmark = pytest.mark.django_db

WHOAMI = "/api/v1/whoami"


def test_bound_certificate_identifies_the_app_as_mtls(api_client, bound_app):
    creds, cert = bound_app
    response = api_client.get(WHOAMI, HTTP_CLIENT_CERT=cert.header)
    assert response.status_code == 200
    assert response.json() == {"user": None, "client": creds.client.client_id, "schemes": ["mtls"]}


def test_client_cert_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(api_client, bound_app, settings):
    _, cert = bound_app
    settings.TRUSTED_PROXIES = ["10.0.0.1/32"]
    response = api_client.get(WHOAMI, HTTP_CLIENT_CERT=cert.header)
    assert response.status_code == 401
    assert response.json()["code"] == "client_required"


def test_unbound_certificate_identifies_nothing(api_client, client_ca):
    response = api_client.get(WHOAMI, HTTP_CLIENT_CERT=client_cert(client_ca, "stranger").header)
    assert response.status_code == 401
    assert response.json()["code"] == "client_required"


@pytest.mark.parametrize(
    "value", ["not-a-byte-sequence", ":!!!:", "::", '"text"'], ids=["token", "bad-b64", "empty", "string"]
)
def test_malformed_client_cert_from_the_proxy_gets_401(api_client, client_ca, value):
    response = api_client.get(WHOAMI, HTTP_CLIENT_CERT=value)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_client_certificate"
    assert "WWW-Authenticate" in response


def test_revoked_binding_gets_401(api_client, bound_app):
    _, cert = bound_app
    ClientCertificate.objects.filter(thumbprint=cert.thumbprint).update(revoked_at=timezone.now())
    response = api_client.get(WHOAMI, HTTP_CLIENT_CERT=cert.header)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_client_certificate"


def test_require_mtls_refuses_the_key_alone(api_client, bound_app):
    creds, _ = bound_app
    mtls_policy_set(client=creds.client, require_mtls=True)
    response = api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id)
    assert response.status_code == 401
    assert response.json()["code"] == "mtls_required"
    assert "WWW-Authenticate" in response


def test_require_mtls_admits_the_key_with_its_certificate(api_client, bound_app):
    creds, cert = bound_app
    mtls_policy_set(client=creds.client, require_mtls=True)
    response = api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id, HTTP_CLIENT_CERT=cert.header)
    assert response.status_code == 200
    assert response.json()["schemes"] == ["key"]


def test_require_mtls_refuses_another_apps_certificate(api_client, bound_app, client_ca):
    creds, _ = bound_app
    other = make_api_client(name="Other")
    other_cert = client_cert(client_ca, "other")
    client_certificate_add(client=other.client, pem=other_cert.pem)
    mtls_policy_set(client=creds.client, require_mtls=True)
    response = api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id, HTTP_CLIENT_CERT=other_cert.header)
    assert response.status_code == 401
    assert response.json()["code"] == "mtls_required"


def test_app_without_the_policy_keeps_working_by_key(api_client, bound_app):
    creds, _ = bound_app
    assert api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id).status_code == 200


@pytest.mark.parametrize(
    "make", [lambda ca: expired_cert(ca), lambda ca: client_cert(new_ca("foreign"))], ids=["expired", "foreign-ca"]
)
def test_binding_refuses_expired_and_foreign_certificates(client_ca, make):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        client_certificate_add(client=make_api_client().client, pem=make(client_ca).pem)

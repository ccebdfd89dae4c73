"""Certificate-bound tokens (RFC 8705 §3): JWT pairs and OAuth2 tokens obtained over mutual TLS."""

import jwt
import pytest

from oauth.models import OAuthApplication
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.oauth.helpers import CLIENT_SECRET, make_application
from tests.transport.helpers import client_cert

pytestmark = pytest.mark.django_db

WHOAMI = "/api/v1/whoami"


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _jwt_pair(api_client, user, creds, cert=None) -> dict:
    extra = {"HTTP_CLIENT_CERT": cert.header} if cert else {}
    response = api_client.post(
        "/api/v1/auth/token",
        {"username": user.username, "password": DEFAULT_PASSWORD},
        format="json",
        HTTP_X_API_KEY=creds.key_id,
        **extra,
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_jwt_pair_obtained_over_mtls_is_bound_to_the_certificate(api_client, user, bound_app):
    creds, cert = bound_app
    pair = _jwt_pair(api_client, user, creds, cert)
    assert _claims(pair["access"])["cnf"] == {"x5t#S256": cert.thumbprint}
    assert _claims(pair["refresh"])["cnf"] == {"x5t#S256": cert.thumbprint}


def test_bound_jwt_with_its_certificate_is_accepted(api_client, user, bound_app):
    creds, cert = bound_app
    access = _jwt_pair(api_client, user, creds, cert)["access"]
    response = api_client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_CLIENT_CERT=cert.header)
    assert response.status_code == 200
    assert response.json()["user"] == user.username


@pytest.mark.parametrize("other", [False, True], ids=["no-certificate", "another-certificate"])
def test_bound_jwt_without_its_certificate_gets_401_invalid_token(api_client, user, bound_app, client_ca, other):
    creds, cert = bound_app
    access = _jwt_pair(api_client, user, creds, cert)["access"]
    extra = {"HTTP_CLIENT_CERT": client_cert(client_ca, "other").header} if other else {}
    response = api_client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_X_API_KEY=creds.key_id, **extra)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert "WWW-Authenticate" in response


def test_bound_refresh_token_refreshes_only_with_its_certificate(api_client, user, bound_app):
    creds, cert = bound_app
    refresh = _jwt_pair(api_client, user, creds, cert)["refresh"]
    url, body = "/api/v1/auth/token/refresh", {"refresh": refresh}
    refused = api_client.post(url, body, format="json", HTTP_X_API_KEY=creds.key_id)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
    renewed = api_client.post(url, body, format="json", HTTP_X_API_KEY=creds.key_id, HTTP_CLIENT_CERT=cert.header)
    assert renewed.status_code == 200
    assert _claims(renewed.json()["access"])["cnf"] == {"x5t#S256": cert.thumbprint}


def test_jwt_pair_obtained_without_mtls_is_not_bound(api_client, user, bound_app):
    creds, _ = bound_app
    access = _jwt_pair(api_client, user, creds)["access"]
    assert "cnf" not in _claims(access)
    assert api_client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_X_API_KEY=creds.key_id).status_code == 200


@pytest.fixture
def service_app():
    return make_application(
        client_type=OAuthApplication.CLIENT_CONFIDENTIAL, grant=OAuthApplication.GRANT_CLIENT_CREDENTIALS
    )


def _oauth2_token(client, app, cert=None) -> str:
    extra = {"HTTP_CLIENT_CERT": cert.header} if cert else {}
    data = {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": CLIENT_SECRET}
    response = client.post("/o/token/", {**data, "scope": "purchases:read"}, **extra)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def test_oauth2_token_obtained_over_mtls_is_bound_and_refused_without_it(client, service_app, client_ca):
    cert = client_cert(client_ca, "service")
    token = _oauth2_token(client, service_app, cert)
    assert _claims(token)["cnf"] == {"x5t#S256": cert.thumbprint}
    with_cert = client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_CLIENT_CERT=cert.header)
    assert with_cert.status_code == 200
    without = client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert without.status_code == 401
    assert without.json()["code"] == "invalid_token"


def test_oauth2_token_without_mtls_is_not_bound(client, service_app, client_ca):
    token = _oauth2_token(client, service_app)
    assert "cnf" not in _claims(token)
    assert client.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_discovery_advertises_certificate_bound_access_tokens(client):
    for url in ("/o/.well-known/openid-configuration", "/o/.well-known/oauth-authorization-server"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.json()["tls_client_certificate_bound_access_tokens"] is True

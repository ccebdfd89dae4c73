"""Other JWT libraries verify our access tokens with nothing but the published JWKS."""

import json

import jwt as pyjwt
import pytest
import requests
from django.conf import settings
from jwcrypto import jwk
from jwcrypto import jwt as jwcrypto_jwt

from tests.accounts.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def issued(live_server, user, api_key) -> dict:
    """A token pair obtained over HTTP from a running server."""
    response = requests.post(
        f"{live_server.url}/api/v1/auth/token",
        json={"username": user.username, "password": DEFAULT_PASSWORD},
        headers={"X-Api-Key": api_key.key_id},
        timeout=10,
    )
    assert response.status_code == 200
    return response.json()


def test_pyjwt_verifies_access_token_with_the_served_jwks(live_server, issued, api_key, user):
    signing_key = pyjwt.PyJWKClient(f"{live_server.url}/.well-known/jwks.json").get_signing_key_from_jwt(
        issued["access"]
    )

    claims = pyjwt.decode(
        issued["access"],
        signing_key.key,
        algorithms=["ES256"],
        audience=settings.JWT_AUDIENCE,
        issuer=settings.JWT_ISSUER,
        options={"require": ["exp", "iat", "jti", "sub"]},
    )

    assert claims["sub"] == str(user.pk)
    assert claims["client_id"] == api_key.client.client_id


def test_jwcrypto_verifies_access_token_with_the_served_jwks(live_server, issued, api_key):
    key_set = jwk.JWKSet.from_json(requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=10).text)

    token = jwcrypto_jwt.JWT(
        jwt=issued["access"],
        key=key_set,
        algs=["ES256"],
        check_claims={"iss": settings.JWT_ISSUER, "aud": settings.JWT_AUDIENCE, "exp": None},
    )

    assert json.loads(token.claims)["client_id"] == api_key.client.client_id


def test_served_token_authenticates_over_http(live_server, issued, api_key, user):
    response = requests.get(
        f"{live_server.url}/api/v1/whoami",
        headers={"Authorization": f"Bearer {issued['access']}", "X-Api-Key": api_key.key_id},
        timeout=10,
    )

    assert response.json() == {"user": user.username, "client": api_key.client.client_id, "schemes": ["key", "jwt"]}

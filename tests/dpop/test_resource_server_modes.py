"""A separate resource server (jwks and introspection modes) enforces a token's DPoP binding too."""

import pytest
import requests

from apiclient.dpop import DPoPKey
from tests.oauth.helpers import (
    CLIENT_SECRET,
    REDIRECT_URI,
    authorization_code,
    make_application,
    make_introspector,
    make_pkce,
)
from tests.oauth.test_resource_server import resource_server

pytestmark = pytest.mark.django_db(transaction=True)  # the authorization server is live_server


def bound_tokens(browser, live_url: str, key: DPoPKey) -> dict:
    app = make_application()
    pkce = make_pkce()
    code = authorization_code(browser, app, pkce, "purchases:read")
    response = requests.post(
        f"{live_url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "code_verifier": pkce.verifier,
        },
        headers={"DPoP": key.proof("POST", f"{live_url}/o/token/")},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "DPoP"
    return response.json()


def whoami(url: str, token: str, proof: str | None, scheme: str = "DPoP") -> requests.Response:
    headers = {"Authorization": f"{scheme} {token}"} | ({"DPoP": proof} if proof else {})
    return requests.get(f"{url}/api/v1/whoami", headers=headers, timeout=10)


def check_binding(url: str, token: str, key: DPoPKey) -> None:
    accepted = whoami(url, token, key.proof("GET", f"{url}/api/v1/whoami", access_token=token))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["schemes"] == ["oauth2", "dpop"]
    other_key = whoami(url, token, DPoPKey().proof("GET", f"{url}/api/v1/whoami", access_token=token))
    assert other_key.status_code == 401 and other_key.json()["code"] == "invalid_dpop_proof"
    as_bearer = whoami(url, token, None, scheme="Bearer")
    assert as_bearer.status_code == 401 and as_bearer.json()["code"] == "invalid_token"


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    return client


def test_jwks_resource_server_enforces_the_binding(live_server, browser):
    key = DPoPKey()
    tokens = bound_tokens(browser, live_server.url, key)
    jwks_url = f"{live_server.url}/o/.well-known/jwks.json"
    with resource_server("jwks", f"{live_server.url}/o", OAUTH2_JWKS_URL=jwks_url) as url:
        check_binding(url, tokens["access_token"], key)


def test_introspection_resource_server_enforces_the_binding(live_server, browser):
    key = DPoPKey()
    tokens = bound_tokens(browser, live_server.url, key)
    introspector = make_introspector()
    settings = {
        "OAUTH2_INTROSPECTION_URL": f"{live_server.url}/o/introspect/",
        "OAUTH2_INTROSPECTION_CLIENT_ID": introspector.client_id,
        "OAUTH2_INTROSPECTION_CLIENT_SECRET": CLIENT_SECRET,
    }
    with resource_server("introspection", f"{live_server.url}/o", **settings) as url:
        check_binding(url, tokens["access_token"], key)

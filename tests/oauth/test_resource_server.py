"""A separate resource server: another process, with no way into the authorization server's database
and no signing key, accepts the server's access tokens by its JWKS or by introspection."""

import contextlib
import time
from collections.abc import Iterator

import pytest
import requests

from oauth.models import OAuthApplication
from tests.helpers import gunicorn_server
from tests.oauth.helpers import (
    CLIENT_SECRET,
    REDIRECT_URI,
    authorization_code,
    make_application,
    make_introspector,
    make_pkce,
)

pytestmark = pytest.mark.django_db(transaction=True)  # the authorization server is live_server

# Nothing listens on port 9: any query would fail, so every answer below was given without one.
NO_DATABASE = "postgres://nobody@127.0.0.1:9/no-database"


@contextlib.contextmanager
def resource_server(mode: str, issuer: str, **settings: str) -> Iterator[str]:
    """Run the API as a resource server only, in `mode`; yield its base URL."""
    env = {
        "DATABASE_URL": NO_DATABASE,
        "REDIS_URL": "",  # its own in-process cache: nothing shared with the authorization server
        "API_SINGLE_PROCESS": "1",  # one worker, so production settings allow that cache
        "OIDC_RSA_PRIVATE_KEY_FILE": "",  # it verifies; it never signs
        "OAUTH2_RESOURCE_SERVER_MODE": mode,
        "OAUTH2_ISSUER": issuer,
        **settings,
    }
    with gunicorn_server(workers=1, env=env) as url:
        # Its in-process replay store remembers claims from its first use on, and a DPoP proof's
        # iat has whole seconds: touch the store (the readiness check), then let that second pass,
        # so a proof made now is not one that "predates the store's memory".
        requests.get(f"{url}/api/v1/health/ready", timeout=10)
        time.sleep(1.1)
        yield url


def user_tokens(browser, live_url: str, app: OAuthApplication, scope: str) -> dict:
    """The code flow: consent in the browser, the code exchanged at the live token endpoint."""
    pkce = make_pkce()
    code = authorization_code(browser, app, pkce, scope)
    response = requests.post(
        f"{live_url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "code_verifier": pkce.verifier,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def call(url: str, token: str, path: str = "/api/v1/whoami") -> requests.Response:
    return requests.get(f"{url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def introspector() -> OAuthApplication:
    """The resource server's own registration."""
    return make_introspector()


def test_resource_server_verifies_tokens_with_the_issuers_jwks(live_server, browser, user):
    app = make_application()
    tokens = user_tokens(browser, live_server.url, app, "purchases:read")
    narrow = user_tokens(browser, live_server.url, app, "openid")

    jwks_url = f"{live_server.url}/o/.well-known/jwks.json"
    with resource_server("jwks", f"{live_server.url}/o", OAUTH2_JWKS_URL=jwks_url) as url:
        whoami = call(url, tokens["access_token"])
        assert whoami.status_code == 200
        assert whoami.json() == {"user": user.username, "client": app.client_id, "schemes": ["oauth2"]}
        assert call(url, narrow["access_token"], "/api/v1/purchases/").json()["code"] == "insufficient_scope"
        assert call(url, tokens["access_token"][:-4] + "AAAA").status_code == 401

        # The trade of a stateless token: revoked at the issuer, still valid here until it expires.
        requests.post(
            f"{live_server.url}/o/revoke_token/",
            data={"token": tokens["access_token"], "client_id": app.client_id},
            timeout=10,
        )
        assert call(url, tokens["access_token"]).status_code == 200


def test_resource_server_checks_tokens_by_introspection(live_server, browser, user, introspector):
    app = make_application()
    tokens = user_tokens(browser, live_server.url, app, "purchases:read")

    settings = {
        "OAUTH2_INTROSPECTION_URL": f"{live_server.url}/o/introspect/",
        "OAUTH2_INTROSPECTION_CLIENT_ID": introspector.client_id,
        "OAUTH2_INTROSPECTION_CLIENT_SECRET": CLIENT_SECRET,
    }
    with resource_server("introspection", f"{live_server.url}/o", **settings) as url:
        whoami = call(url, tokens["access_token"])
        assert whoami.status_code == 200
        assert whoami.json() == {"user": user.username, "client": app.client_id, "schemes": ["oauth2"]}

        # Revoked at the issuer: refused here on the very next request.
        requests.post(
            f"{live_server.url}/o/revoke_token/",
            data={"token": tokens["access_token"], "client_id": app.client_id},
            timeout=10,
        )
        refused = call(url, tokens["access_token"])
        assert refused.status_code == 401
        assert refused.json()["code"] == "invalid_token"


def test_resource_server_with_wrong_introspection_credentials_answers_503(live_server, browser, introspector):
    app = make_application()
    tokens = user_tokens(browser, live_server.url, app, "purchases:read")

    settings = {
        "OAUTH2_INTROSPECTION_URL": f"{live_server.url}/o/introspect/",
        "OAUTH2_INTROSPECTION_CLIENT_ID": introspector.client_id,
        "OAUTH2_INTROSPECTION_CLIENT_SECRET": "wrong",
    }
    with resource_server("introspection", f"{live_server.url}/o", **settings) as url:
        response = call(url, tokens["access_token"])

    # Not the token's fault: 503, so the client retries instead of throwing its token away.
    assert response.status_code == 503
    assert response.json()["code"] == "authorization_server_unavailable"

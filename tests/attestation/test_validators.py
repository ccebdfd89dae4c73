"""Attestation-based client authentication at /o/token/ for a public client (API.md §13)."""

import time
from urllib.parse import urlsplit

import pytest
from django.test import Client
from requests_oauthlib import OAuth2Session

from oauth.models import OAuthApplication
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.attestation.helpers import Attester
from tests.oauth.helpers import REDIRECT_URI, authorization_code, consent, make_application, make_pkce

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(attester: Attester) -> OAuthApplication:
    """A public client (a mobile app) whose attester is registered."""
    application = make_application(name="Attested mobile app")
    attester.register_pem(application.client_id)
    return application


@pytest.fixture
def browser(client: Client, user) -> Client:
    client.force_login(user)
    return client


def code_form(browser: Client, app: OAuthApplication, **overrides) -> dict:
    """Go through the consent page; return the token request's form for the code it yields."""
    pkce = make_pkce()
    data = {
        "grant_type": "authorization_code",
        "code": authorization_code(browser, app, pkce),
        "redirect_uri": REDIRECT_URI,
        "client_id": app.client_id,
        "code_verifier": pkce.verifier,
    }
    return {name: value for name, value in (data | overrides).items() if value is not None}


def code_exchange(browser: Client, app: OAuthApplication, headers: dict, **overrides) -> object:
    return browser.post("/o/token/", code_form(browser, app, **overrides), **headers)


def assert_refused(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client_attestation"
    assert response.json()["code"] == "invalid_client_attestation"
    assert "WWW-Authenticate" in response


def test_attested_public_client_gets_tokens(browser, app, attester):
    instance = attester.attest(app.client_id)
    response = code_exchange(browser, app, instance.headers())

    assert response.status_code == 200, response.content
    assert {"access_token", "refresh_token"} <= set(response.json())


def test_attested_client_may_leave_out_client_id(browser, app, attester):
    # Draft -11 §7.5: the attestation's sub names the client; client_id is checked only if sent.
    instance = attester.attest(app.client_id)
    assert code_exchange(browser, app, instance.headers(), client_id=None).status_code == 200


def test_refresh_needs_a_fresh_attestation_pop(browser, app, attester):
    instance = attester.attest(app.client_id)
    tokens = code_exchange(browser, app, instance.headers()).json()
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": app.client_id}

    assert_refused(browser.post("/o/token/", data))
    refreshed = browser.post("/o/token/", data, **instance.headers())
    assert refreshed.status_code == 200, refreshed.content


def test_public_client_with_an_attester_and_no_attestation_returns_401(browser, app):
    assert_refused(code_exchange(browser, app, {}))


def test_missing_pop_at_the_token_endpoint_returns_401(browser, app, attester):
    instance = attester.attest(app.client_id)
    assert_refused(code_exchange(browser, app, {"HTTP_OAUTH_CLIENT_ATTESTATION": instance.attestation}))


def test_replayed_pop_at_the_token_endpoint_returns_401(browser, app, attester):
    headers = attester.attest(app.client_id).headers()
    assert code_exchange(browser, app, headers).status_code == 200
    assert_refused(code_exchange(browser, app, headers))


def test_attestation_for_another_client_id_at_the_token_endpoint_returns_401(browser, app, attester):
    other = make_application(name="Other mobile app")
    attester.register_pem(other.client_id)
    instance = attester.attest(other.client_id)  # genuine, but for the other app
    assert_refused(code_exchange(browser, app, instance.headers()))


def test_pop_for_another_audience_at_the_token_endpoint_returns_401(browser, app, attester):
    instance = attester.attest(app.client_id)
    assert_refused(code_exchange(browser, app, instance.headers(audience="https://other.example/o")))


def test_expired_pop_at_the_token_endpoint_returns_401(browser, app, attester):
    instance = attester.attest(app.client_id)
    assert_refused(code_exchange(browser, app, instance.headers(iat=int(time.time()) - 300)))


def test_unregistered_attester_at_the_token_endpoint_returns_401(browser, app):
    instance = Attester().attest(app.client_id)
    assert_refused(code_exchange(browser, app, instance.headers()))


def test_malformed_attestation_at_the_token_endpoint_returns_401(browser, app, attester):
    instance = attester.attest(app.client_id)
    headers = instance.headers() | {"HTTP_OAUTH_CLIENT_ATTESTATION": "not.a.jwt!"}
    assert_refused(code_exchange(browser, app, headers))


def test_attestation_for_a_public_client_without_attester_returns_401(browser, attester):
    plain = make_application(name="Unattested mobile app")
    assert_refused(code_exchange(browser, plain, attester.attest(plain.client_id).headers()))


def test_public_client_without_attester_still_uses_pkce_alone(browser):
    plain = make_application(name="Unattested mobile app")
    assert code_exchange(browser, plain, {}).status_code == 200


def test_attester_store_down_at_the_token_endpoint_returns_503(browser, app, attester, cache_down):
    data = code_form(browser, app)
    cache_down()
    response = browser.post("/o/token/", data, **attester.attest(app.client_id).headers())

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"


@pytest.mark.parametrize("path", ["/o/.well-known/openid-configuration", "/o/.well-known/oauth-authorization-server"])
def test_discovery_advertises_attest_jwt_client_auth(client, path):
    metadata = client.get(path).json()
    assert "attest_jwt_client_auth" in metadata["token_endpoint_auth_methods_supported"]


@pytest.mark.django_db(transaction=True)
def test_code_flow_with_requests_oauthlib_and_the_apiclient_attestation(live_server, client, user, monkeypatch):
    """requests-oauthlib does the app's part over HTTP, apiclient adds the attestation headers."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the live server is plain-HTTP loopback
    attester = Attester()
    app = make_application(name="Attested mobile app")
    attester.register_pem(app.client_id)
    instance = attester.attest(app.client_id)
    issuer = f"{live_server.url}/o"
    oauth = OAuth2Session(app.client_id, redirect_uri=REDIRECT_URI, scope=["purchases:read"], pkce="S256")
    url, _ = oauth.authorization_url(f"{issuer}/authorize/")
    client.post("/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    location = consent(client, urlsplit(url)._replace(scheme="", netloc="").geturl())

    token = oauth.fetch_token(
        f"{issuer}/token/", authorization_response=location, include_client_id=True, auth=instance.auth(audience=issuer)
    )

    assert {"access_token", "refresh_token"} <= set(token)
    assert oauth.get(f"{live_server.url}/api/v1/whoami").json()["client"] == app.client_id

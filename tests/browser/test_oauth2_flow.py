"""The OAuth2 authorization code + PKCE flow as a person goes through it, in chromium."""

import pytest
import requests

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.browser.helpers import Browser
from tests.oauth.helpers import make_application, make_pkce, redirect_params

pytestmark = pytest.mark.browser


@pytest.fixture
def loopback_redirects(settings):
    """Let apps register the live server's plain-HTTP loopback URL, as debug does (RFC 8252 §7.3)."""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"]}


def test_sign_in_and_consent_pages_issue_a_code_that_pkce_redeems(browser: Browser, loopback_redirects):
    """Sign in, press Allow, redeem the code with the verifier, call the API with the token.

    Regression test: a `<meta name="referrer" content="no-referrer">` on these pages made
    chromium send `Origin: null` with each form, and Django's CSRF check refused every sign-in
    and every Allow with 403.
    """
    user = UserFactory()
    callback = f"{browser.base_url}/callback"
    app = make_application(name="Browser test app", redirect_uris=callback)
    pkce = make_pkce()
    browser.get(
        "/o/authorize/?"
        + requests.compat.urlencode(
            {
                "response_type": "code",
                "client_id": app.client_id,
                "redirect_uri": callback,
                "scope": "purchases:read",
                "state": "state-browser",
                "code_challenge": pkce.challenge,
                "code_challenge_method": "S256",
            }
        )
    )

    browser.find_text("Sign in", "h1")
    browser.screenshot("sign-in")
    browser.fill({"username": user.username, "password": DEFAULT_PASSWORD})
    browser.click("button[type=submit]")
    browser.find_text("Allow Browser test app", "h1")
    browser.screenshot("consent")
    browser.click("button[name=allow]")
    location = browser.wait_for_url(lambda url: url.startswith(callback))
    browser.screenshot("redirected-back")

    params = redirect_params(location)
    assert params["state"] == "state-browser"
    token = requests.post(
        f"{browser.base_url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": callback,
            "client_id": app.client_id,
            "code_verifier": pkce.verifier,
        },
        timeout=30,
    )
    assert token.status_code == 200, token.text
    whoami = requests.get(
        f"{browser.base_url}/api/v1/whoami",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=30,
    )
    assert whoami.json() == {"user": user.username, "client": app.client_id, "schemes": ["oauth2"]}
    assert browser.csp_violations() == []

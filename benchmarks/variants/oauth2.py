"""OAuth2: GET /api/v1/whoami with an RFC 9068 access token (RS256 check, app from its client_id)."""

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client

from benchmarks.harness import BenchRequest
from oauth.models import OAuthApplication

REDIRECT_URI = "https://bench.example/callback"


def _access_token(ctx, app: OAuthApplication, **token_headers: str) -> str:
    """Run the real code flow with PKCE, outside the timed loop: consent, then exchange.

    `token_headers` go with the exchange (a DPoP proof, for the oauth2_dpop variant).
    """
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    browser = Client()
    browser.force_login(ctx.user)
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "purchases:read",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    consent = browser.post(f"/o/authorize/?{urlencode(query)}", {**query, "allow": "Authorize"})
    code = parse_qs(urlsplit(consent["Location"]).query)["code"][0]
    token = browser.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "code_verifier": verifier,
        },
        **token_headers,
    )
    return token.json()["access_token"]


def build(ctx):
    from oauth2_provider.settings import oauth2_settings

    app = OAuthApplication(
        name="Benchmark mobile app",
        client_type=OAuthApplication.CLIENT_PUBLIC,
        authorization_grant_type=OAuthApplication.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
    )
    app.full_clean()
    app.save()
    # Re-issued well before it expires (5 minutes), outside the timed loop.
    renew_after = oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS / 2
    state = {"issued": 0.0, "request": None}

    def make() -> BenchRequest:
        if time.monotonic() - state["issued"] > renew_after:
            # No X-Api-Key: the token's client_id is the app.
            headers = {"Authorization": f"Bearer {_access_token(ctx, app)}"}
            state["issued"], state["request"] = time.monotonic(), BenchRequest("GET", "/api/v1/whoami", headers=headers)
        return state["request"]

    return make

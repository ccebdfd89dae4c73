"""Helpers for the OAuth2 tests: applications, PKCE pairs, the browser's part of the code flow."""

import base64
import hashlib
import secrets
from typing import NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from django.test import Client

from oauth.access_tokens import access_token_claims, access_token_encode
from oauth.models import OAuthApplication
from oauth.signing_key import signing_key, signing_kid

REDIRECT_URI = "https://client.example/callback"
CLIENT_SECRET = "client-secret-for-tests-only-0123456789"
ISSUER = "http://testserver/o"  # what /o derives for Django's test client (OAUTH2_ISSUER unset)
AUDIENCE = "apiproject-api"


class Pkce(NamedTuple):
    verifier: str
    challenge: str


def make_pkce() -> Pkce:
    """Return an RFC 7636 code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return Pkce(verifier, challenge)


def make_application(
    *,
    client_type: str = OAuthApplication.CLIENT_PUBLIC,
    grant: str = OAuthApplication.GRANT_AUTHORIZATION_CODE,
    **fields,
) -> OAuthApplication:
    """Register an application as an operator would (full_clean, so the model's policy applies)."""
    app = OAuthApplication(
        name=fields.pop("name", "Mobile app"),
        client_type=client_type,
        authorization_grant_type=grant,
        redirect_uris=fields.pop("redirect_uris", REDIRECT_URI),
        client_secret=CLIENT_SECRET,
        algorithm=fields.pop("algorithm", OAuthApplication.RS256_ALGORITHM),
        **fields,
    )
    app.full_clean()
    app.save()
    return app


def make_introspector() -> OAuthApplication:
    """A resource server: a confidential client registered as allowed to introspect."""
    return make_application(
        client_type=OAuthApplication.CLIENT_CONFIDENTIAL,
        grant=OAuthApplication.GRANT_CLIENT_CREDENTIALS,
        name="Resource server",
        redirect_uris="",
        introspection_allowed=True,
    )


def authorize_url(app: OAuthApplication, *, pkce: Pkce | None, scope: str = "purchases:read", **params) -> str:
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "state-123",
        **params,
    }
    if pkce is not None:
        query |= {"code_challenge": pkce.challenge, "code_challenge_method": "S256"}
    return "/o/authorize/?" + urlencode({k: v for k, v in query.items() if v is not None})


def consent(browser: Client, url: str, *, allow: bool = True) -> str:
    """As the signed-in user: open the consent page and press Allow (or Deny); return the redirect."""
    page = browser.get(url)
    if page.status_code != 200:
        return page.get("Location", "")
    form = {name: value for name, value in page.context["form"].initial.items() if value is not None}
    if allow:
        form["allow"] = "Authorize"
    response = browser.post(url, form)
    assert response.status_code == 302, response.content
    return response["Location"]


def redirect_params(location: str) -> dict[str, str]:
    """Return the query parameters of the redirect back to the client."""
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def authorization_code(browser: Client, app: OAuthApplication, pkce: Pkce, scope: str = "purchases:read") -> str:
    return redirect_params(consent(browser, authorize_url(app, pkce=pkce, scope=scope)))["code"]


def mint_access_token(
    app: OAuthApplication,
    user=None,
    *,
    scope: str = "purchases:read purchases:write",
    issuer: str = ISSUER,
    lifetime: int = 300,
    header: dict | None = None,
    drop: tuple[str, ...] = (),
    **overrides,
) -> str:
    """Sign an access token as the server would, optionally with claims or header changed."""
    claims = access_token_claims(
        issuer=issuer,
        audience=AUDIENCE,
        client_id=app.client_id,
        scopes=scope.split(),
        lifetime=lifetime,
        user_id=str(user.pk) if user is not None else None,
        username=user.get_username() if user is not None else "",
    )
    claims = {name: value for name, value in (claims | overrides).items() if name not in drop}
    if not header and not drop:
        return access_token_encode(claims, key=signing_key(), kid=signing_kid())
    return jwt.encode(
        claims, signing_key(), algorithm="RS256", headers={"kid": signing_kid(), "typ": "at+jwt", **(header or {})}
    )


def code_flow_tokens(browser: Client, app: OAuthApplication, scope: str = "purchases:read") -> dict:
    """Run the code flow with PKCE as the signed-in `browser`; return the token response."""
    pkce = make_pkce()
    code = authorization_code(browser, app, pkce, scope)
    data = {"code": code, "redirect_uri": REDIRECT_URI, "client_id": app.client_id, "code_verifier": pkce.verifier}
    response = browser.post("/o/token/", {"grant_type": "authorization_code", **data})
    assert response.status_code == 200, response.content
    return response.json()


def refresh_grant(client: Client, app: OAuthApplication, refresh_token: str):
    """POST the refresh_token grant of a public client to /o/token/."""
    return client.post(
        "/o/token/", {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": app.client_id}
    )

"""How this API checks an OAuth2 access token: with its own key, the issuer's JWKS, or introspection.

OAUTH2_RESOURCE_SERVER_MODE chooses (docs/oauth2.md, "Resource servers"):

- "local": this process is also the authorization server. The signature is checked with the
  public half of its own key: no database, no cache, no network.
- "jwks": a separate resource server. The issuer's public keys come from OAUTH2_JWKS_URL,
  cached in the process; an unknown `kid` refetches at most once per cooldown (key rotation).
- "introspection": a separate resource server that asks the issuer about every token
  (RFC 7662), authenticated as a confidential client. Slower, but a revoked token stops at once.
"""

import functools
import hashlib
import logging
import time

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.urls import reverse

from apiproject.exceptions import ServiceUnavailable
from oauth.access_tokens import AccessTokenClaims, AccessTokenInvalid, access_token_decode, access_token_kid
from oauth.signing_key import signing_kid, verification_key

logger = logging.getLogger(__name__)


class AuthorizationServerUnavailable(ServiceUnavailable):
    default_detail = "The authorization server cannot be reached to check this token; try again later."
    default_code = "authorization_server_unavailable"


def access_token_verify(token: str, *, request: HttpRequest) -> AccessTokenClaims:
    """Return the claims of a valid access token for this API, or raise AccessTokenInvalid.

    Raises AuthorizationServerUnavailable (503) when the issuer's keys or its introspection
    endpoint are needed and cannot be reached: the token may well be valid, so not a 401.
    """
    if settings.OAUTH2_RESOURCE_SERVER_MODE == "introspection":
        return _introspect(token)
    key_for_kid = _jwks_key if settings.OAUTH2_RESOURCE_SERVER_MODE == "jwks" else _local_key
    return access_token_decode(
        token, key_for_kid=key_for_kid, issuer=expected_issuer(request), audience=settings.JWT_AUDIENCE
    )


def expected_issuer(request: HttpRequest) -> str:
    """Return the `iss` we accept: OAUTH2_ISSUER, or else the one this host's /o issues.

    The latter is what the toolkit's oidc_issuer() derives (this scheme and host, then the path
    of /o), with the URL reversed once per process instead of on every request.
    """
    return settings.OAUTH2_ISSUER or request.build_absolute_uri(_issuer_path())


@functools.cache
def _issuer_path() -> str:
    return reverse("oauth2_provider:oidc-connect-discovery-info").removesuffix("/.well-known/openid-configuration")


# --- "local": the authorization server's own key --------------------------------------------


def _local_key(kid: str) -> RSAPublicKey | None:
    return verification_key() if kid == signing_kid() else None


# --- "jwks": the issuer's published keys ---------------------------------------------------


@functools.cache
def _jwks_client(url: str, lifespan: int, timeout: float) -> jwt.PyJWKClient:
    # One per process and URL. PyJWT caches the key set for `lifespan` seconds and, on an
    # unknown kid, refetches at most once per cooldown, so random kids cannot make this
    # server hammer the issuer.
    return jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=lifespan, timeout=timeout)


def _jwks_key(kid: str) -> RSAPublicKey | None:
    client = _jwks_client(
        settings.OAUTH2_JWKS_URL, settings.OAUTH2_JWKS_CACHE_SECONDS, settings.OAUTH2_HTTP_TIMEOUT_SECONDS
    )
    try:
        key = client.get_signing_key(kid).key
    except jwt.PyJWKClientConnectionError as exc:
        logger.warning("JWKS unavailable: %s", exc)
        raise AuthorizationServerUnavailable() from exc
    except jwt.PyJWKClientError:
        return None  # no such kid, even after a refetch
    # The algorithm is fixed (RS256): a key of any other type could only be a confusion attack.
    return key if isinstance(key, RSAPublicKey) else None


# --- "introspection": ask the issuer (RFC 7662) --------------------------------------------


@functools.cache
def _http() -> requests.Session:
    return requests.Session()  # kept-alive connections to the issuer


def _introspect(token: str) -> AccessTokenClaims:
    # Only well-formed access tokens are sent on: a flood of junk Bearer values must not
    # become a flood of calls to the authorization server.
    access_token_kid(token)
    ttl = settings.OAUTH2_INTROSPECTION_CACHE_SECONDS
    cache_key = "oauth2-introspection:" + hashlib.sha256(token.encode()).hexdigest()
    if ttl > 0 and (cached := caches["default"].get(cache_key)) is not None:
        return cached
    try:
        response = _http().post(
            settings.OAUTH2_INTROSPECTION_URL,
            data={"token": token, "token_type_hint": "access_token"},
            # RFC 7662 §2.1: the protected resource authenticates to the introspection endpoint.
            auth=(settings.OAUTH2_INTROSPECTION_CLIENT_ID, settings.OAUTH2_INTROSPECTION_CLIENT_SECRET),
            timeout=settings.OAUTH2_HTTP_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("introspection unavailable: %s", type(exc).__name__)
        raise AuthorizationServerUnavailable() from exc
    if not isinstance(data, dict) or data.get("active") is not True:
        raise AccessTokenInvalid("inactive")
    # The issuer vouches for the token; it must still be a token of that issuer, for this API.
    if data.get("iss") != settings.OAUTH2_ISSUER or data.get("aud") != settings.JWT_AUDIENCE:
        raise AccessTokenInvalid("wrong issuer or audience")
    claims = AccessTokenClaims.from_claims(data)
    lifetime = min(ttl, claims.expires_at - int(time.time()))
    if lifetime > 0:
        caches["default"].set(cache_key, claims, timeout=lifetime)
    return claims

"""JSON Web Tokens signed with this server's key: kid, JWKS, strict encoding and decoding.

No ORM and no DRF: access, refresh and anonymous signup tokens all go through these functions,
and `jwt_verify` is the one verifier of every JWT this server accepts, OAuth2 access tokens
(oauth.access_tokens) included. The rules are those of RFC 8725 (JWT Best Current Practices):

- The algorithm is fixed by the key's type, never read from the token (§3.1): an EC P-256 key
  signs ES256, Ed25519 EdDSA, RSA RS256. `alg: none` and HMAC tokens "signed" with the public
  key (algorithm confusion) are refused before any key is touched.
- The header must name our key (`kid`, its RFC 7638 thumbprint) and carry nothing else that
  could steer verification (`jku`, `jwk`, `x5u`, `crit`, `b64`, ...).
- Every token is typed (§3.11): claim `token_type` is "access", "refresh" or "anonymous", and a
  decoder states the one type it accepts, so a refresh token is never taken for an access token.
- `iss`, `aud`, `sub`, `exp`, `iat`, `jti` and `client_id` are required; times are integers;
  a small leeway absorbs clock skew between this server's own workers. PyJWT's `jwt.decode`
  checks the signature and the registered claims.
- Size is checked before any parsing, so a 100 KB "token" costs a length comparison.

Verification is remembered per process for tokens that pass (see `_verified`), which makes a
repeated access token cost a dictionary lookup instead of an ECDSA verification.
"""

import base64
import functools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk

from apiproject.keys import jwt_private_key
from apiproject.process_cache import ProcessCache

__all__ = [
    "ForeignToken",
    "TokenExpired",
    "TokenInvalid",
    "jwks",
    "jwt_algorithm",
    "jwt_claims",
    "jwt_decode",
    "jwt_encode",
    "jwt_header",
    "jwt_kid",
    "jwt_verify",
    "unverified_token_type",
    "verified_cache_clear",
]

MAX_TOKEN_LENGTH = 8 * 1024  # ours are under 1 KB; anything near this is an attack or a mistake
LEEWAY_SECONDS = 10  # clock skew tolerated on exp, nbf and iat between this server's workers
TYPE = "JWT"  # header `typ` of every token signed here
TYPES = frozenset({TYPE.lower()})  # jwt_header compares `typ` in lower case
OAUTH2_ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})  # RFC 9068 §2.1
ALLOWED_HEADER = frozenset({"alg", "kid", "typ"})
REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "jti", "client_id", "token_type")
TIME_CLAIMS = ("exp", "iat", "nbf")
MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z

# Three non-empty base64url segments: rejects `alg: none` (empty signature), JWE (five
# segments), JSON serialization and non-ASCII input before any decoding happens.
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")

# Tokens this process has verified, by token and by what it was verified against (algorithm,
# typ, iss, aud, required claims; the key is asked for again on every use): a client sends the
# same access token for its whole life, and checking its signature again each time costs more
# than the rest of the request. Only tokens that passed are kept, so a flood of forgeries
# cannot fill it; exp is checked again on every use. Bounded, and an entry is dropped after
# VERIFIED_CACHE_SECONDS whatever the token's own lifetime.
VERIFIED_CACHE_SIZE = 4096
VERIFIED_CACHE_SECONDS = 300
_verified = ProcessCache(maxsize=VERIFIED_CACHE_SIZE, ttl=VERIFIED_CACHE_SECONDS)


class TokenInvalid(Exception):
    """The token is malformed, not signed by our key, of another type, or has wrong claims.

    The message is for logs and tests; callers answer every case with the same 401.
    """


class TokenExpired(TokenInvalid):
    """The token was valid but its `exp` has passed."""


class ForeignToken(TokenInvalid):
    """An OAuth2 access token (RFC 9068 `typ: at+jwt`) signed by another key: not ours to judge."""


def _algorithm_for(key: PrivateKeyTypes) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if isinstance(key.curve, ec.SECP256R1):
            return "ES256"
        raise ImproperlyConfigured("JWT_PRIVATE_KEY_FILE: only the P-256 curve is supported for EC keys.")
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise ImproperlyConfigured("JWT_PRIVATE_KEY_FILE: RSA keys must have at least 2048 bits.")
        return "RS256"
    raise ImproperlyConfigured("JWT_PRIVATE_KEY_FILE must hold an EC P-256, Ed25519 or RSA private key.")


@dataclass(frozen=True)
class _KeyMaterial:
    private: PrivateKeyTypes
    public: PublicKeyTypes
    algorithm: str
    kid: str
    public_jwk: dict[str, str]


@functools.cache
def _material(private_key: PrivateKeyTypes) -> _KeyMaterial:
    # Per key object, and apiproject.keys caches the key: this runs once per process, so the hot
    # path never recomputes a thumbprint.
    public_jwk = jwk.JWK.from_pyca(private_key.public_key())
    return _KeyMaterial(
        private=private_key,
        public=private_key.public_key(),
        algorithm=_algorithm_for(private_key),
        kid=public_jwk.thumbprint(),
        public_jwk=public_jwk.export_public(as_dict=True),
    )


def _signing_key() -> _KeyMaterial:
    return _material(jwt_private_key())


def _verifying_keys() -> dict[str, _KeyMaterial]:
    # kid -> key. One key today; publishing the previous key here (and so in jwks()) during a
    # rotation would keep the tokens it signed valid until they expire.
    key = _signing_key()
    return {key.kid: key}


def jwt_algorithm() -> str:
    """Return the one JWS algorithm of the signing key, fixed by its type: ES256, EdDSA or RS256."""
    return _signing_key().algorithm


def jwt_kid() -> str:
    """Return the key id of the signing key: its RFC 7638 JWK thumbprint (SHA-256, base64url).

    A thumbprint is derived from the public key alone, so every worker computes the same kid
    with no shared state, and a new key gets a new kid by construction.
    """
    return _signing_key().kid


def jwks() -> dict[str, list[dict[str, str]]]:
    """Return the JSON Web Key Set (RFC 7517 §5) of the public keys that verify our tokens."""
    return {
        "keys": [
            {**key.public_jwk, "kid": kid, "alg": key.algorithm, "use": "sig"} for kid, key in _verifying_keys().items()
        ]
    }


def jwt_claims(*, sub: str, token_type: str, client_id: str, lifetime: timedelta, **extra: Any) -> dict[str, Any]:
    """Return the registered claims of a new token (iss, aud, sub, iat, exp, jti) plus `extra`."""
    now = datetime.now(tz=UTC)
    return {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": sub,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
        "client_id": client_id,
        "token_type": token_type,
        **extra,
    }


def jwt_encode(claims: dict[str, Any]) -> str:
    """Sign `claims` with our key; the header names the algorithm, the kid and `typ: JWT`.

    Refuses claims that jwt_decode would refuse, so no token is minted that cannot be used.
    """
    missing = [name for name in REQUIRED_CLAIMS if claims.get(name) is None]
    if missing:
        raise ValueError(f"missing claims: {', '.join(missing)}")
    key = _signing_key()
    return jwt.encode(claims, key.private, algorithm=key.algorithm, headers={"kid": key.kid, "typ": TYPE})


def jwt_decode(token: str | bytes, *, token_type: str) -> dict[str, Any]:
    """Verify a token of `token_type` signed by our key and return its claims, or raise.

    Raises ForeignToken for an RFC 9068 OAuth2 access token with another kid (the OAuth2
    scheme verifies those), TokenExpired once `exp` has passed, and TokenInvalid otherwise.
    """
    if isinstance(token, bytes):
        token = token.decode("ascii", errors="replace")
    try:
        claims = jwt_verify(
            token,
            keys=_verifying_key,
            algorithm=jwt_algorithm(),
            types=TYPES,
            issuer=settings.JWT_ISSUER,
            audience=settings.JWT_AUDIENCE,
            required=REQUIRED_CLAIMS,
            members=ALLOWED_HEADER,
        )
    except TokenInvalid as exc:
        if not isinstance(exc, TokenExpired) and _is_foreign(token):
            raise ForeignToken("an OAuth2 access token") from exc
        raise
    if claims["token_type"] != token_type:
        raise TokenInvalid(f"not a {token_type} token")
    return claims


def _verifying_key(kid: str) -> PublicKeyTypes | None:
    key = _verifying_keys().get(kid)
    return key.public if key is not None else None


def _is_foreign(token: str) -> bool:
    # Typed as an OAuth2 access token and naming a key that is not ours: the OAuth2 scheme's.
    try:
        header = _header(token)
    except TokenInvalid:
        return False
    kid, typ = header.get("kid"), header.get("typ")
    return (
        isinstance(kid, str)
        and kid not in _verifying_keys()
        and isinstance(typ, str)
        and typ.lower() in OAUTH2_ACCESS_TOKEN_TYPES
    )


def jwt_header(
    token: str, *, algorithm: str, types: frozenset[str], members: frozenset[str] | None = None
) -> dict[str, Any]:
    """Return the JOSE header of a token, unverified, if it may be verified at all; else raise TokenInvalid.

    Only to choose the key: the size and shape come first, then `typ` must be one of `types`
    (compared in lower case, RFC 7515 §4.1.9), `alg` must be `algorithm` (RFC 8725 §3.1: never
    the token's choice), `kid` must be a string and, if `members` is given, nothing else may
    be there. No key is sought for a token that fails here.
    """
    header = _header(token)
    typ, kid = header.get("typ"), header.get("kid")
    if not isinstance(typ, str) or typ.lower() not in types:
        raise TokenInvalid("unexpected typ")
    if header.get("alg") != algorithm or not isinstance(kid, str) or not kid:
        raise TokenInvalid("unexpected header")
    if members is not None and not header.keys() <= members:
        raise TokenInvalid("unexpected header")
    return header


def jwt_verify(
    token: str,
    *,
    keys: Callable[[str], PublicKeyTypes | None],
    algorithm: str,
    types: frozenset[str],
    issuer: str,
    audience: str,
    required: tuple[str, ...],
    members: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Verify a signed JWT with the key `keys` returns for its `kid`; return its claims, or raise.

    Every JWT this server accepts goes through here: its own tokens (jwt_decode) and OAuth2
    access tokens (oauth.access_tokens). jwt_header checks the header first; PyJWT's
    `jwt.decode` then checks the signature with the one `algorithm`, `iss`, `aud` (one string),
    `exp`, `nbf` and `iat` (with LEEWAY_SECONDS) and that every claim in `required` is present.
    Beyond PyJWT, every required claim that is not a time is a string, and times are JSON
    integers. Raises TokenExpired once `exp` has passed and TokenInvalid otherwise; `keys`
    returns None for a kid it does not trust, and may raise (an issuer that cannot be reached).
    """
    if len(token) > MAX_TOKEN_LENGTH:  # before the token is hashed for the cache, or parsed
        raise TokenInvalid("token too long")
    cache_key = (token, algorithm, types, issuer, audience, required, members)
    cached = _verified.get(cache_key)
    if cached is not None:
        kid, claims = cached
        # The key is asked again, so a key that is no longer trusted stops its tokens at once;
        # of the claims only exp can change its verdict as time passes.
        if keys(kid) is None:
            raise TokenInvalid("unknown key")
        if claims["exp"] <= time.time() - LEEWAY_SECONDS:
            raise TokenExpired("expired")
        return dict(claims)  # a copy: the cached claims are shared

    kid = jwt_header(token, algorithm=algorithm, types=types, members=members)["kid"]
    key = keys(kid)
    if key is None:
        raise TokenInvalid("unknown key")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],  # one algorithm, fixed by the key: never the token's choice
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": list(required), "strict_aud": True},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired("expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenInvalid(str(exc)) from exc

    if any(not isinstance(claims[name], str) for name in required if name not in TIME_CLAIMS):
        raise TokenInvalid("claims of the wrong type")
    # PyJWT accepts "exp": "1700000000" (it calls int()); a NumericDate is a JSON number, and
    # one past year 9999 would overflow every datetime built from it later.
    for name in TIME_CLAIMS:
        if name in claims and (type(claims[name]) is not int or not 0 <= claims[name] <= MAX_TIMESTAMP):
            raise TokenInvalid(f"{name} is not a NumericDate")
    _verified.set(cache_key, (kid, claims))
    return dict(claims)


def _header(token: str) -> dict[str, Any]:
    # Size first, so a 100 KB "token" costs a length comparison.
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenInvalid("token too long")
    if not COMPACT_JWS.fullmatch(token):
        raise TokenInvalid("not a signed JWT in compact serialization")
    header = _segment_json(token.partition(".")[0])
    if not isinstance(header, dict):
        raise TokenInvalid("malformed header")
    return header


def _segment_json(segment: str) -> Any:
    # For routing only (which key, which type); PyJWT parses the token again to verify it.
    # COMPACT_JWS has admitted the alphabet, so the C decoder needs no per-character check.
    try:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, RecursionError) as exc:  # binascii.Error and UnicodeDecodeError included
        raise TokenInvalid("malformed segment") from exc


def unverified_token_type(token: str) -> str | None:
    """Return the `token_type` a token claims, unverified: only to choose how to verify it."""
    if len(token) > MAX_TOKEN_LENGTH or not COMPACT_JWS.fullmatch(token):
        return None
    try:
        claims = _segment_json(token.split(".")[1])
    except TokenInvalid:
        return None
    token_type = claims.get("token_type") if isinstance(claims, dict) else None
    return token_type if isinstance(token_type, str) else None


def verified_cache_clear() -> None:
    """Forget every verified token of this process (tests)."""
    _verified.clear()

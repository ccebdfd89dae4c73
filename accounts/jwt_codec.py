"""JSON Web Tokens signed with this server's key: kid, JWKS, strict encoding and decoding.

No ORM and no DRF: access, refresh and anonymous signup tokens all go through these functions.
`jwt_decode` verifies them with apiproject.jwt_verification (PyJWT's `jwt.decode`, the one
verifier of every JWT this server checks), under these rules, those of RFC 8725 (JWT Best
Current Practices):

- The algorithm is fixed by the key's type, never read from the token (§3.1): an EC P-256 key
  signs ES256, Ed25519 EdDSA, RSA RS256. `alg: none` and HMAC tokens "signed" with the public
  key (algorithm confusion) are refused before any key is touched.
- The header must name our key (`kid`, its RFC 7638 thumbprint) and carry nothing else that
  could steer verification (`jku`, `jwk`, `x5u`, `crit`, `b64`, ...).
- Every token is typed (§3.11): claim `token_type` is "access", "refresh" or "anonymous", and a
  decoder states the one type it accepts, so a refresh token is never taken for an access token.
- `iss`, `aud`, `sub`, `exp`, `iat`, `jti` and `client_id` are required; times are integers;
  a small leeway absorbs clock skew between this server's own workers.

A verified token is remembered per process (`jwt_verify(cache=True)`), which makes a repeated
access token cost a dictionary lookup instead of an ECDSA verification.
"""

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk

from apiproject.jwt_verification import (
    LEEWAY_SECONDS,
    MAX_TOKEN_LENGTH,
    TokenExpired,
    TokenInvalid,
    jwt_verify,
    unverified_claims,
    unverified_header,
)
from apiproject.keys import jwt_private_key

__all__ = [
    "LEEWAY_SECONDS",
    "MAX_TOKEN_LENGTH",
    "ForeignToken",
    "TokenExpired",
    "TokenInvalid",
    "jwks",
    "jwt_algorithm",
    "jwt_claims",
    "jwt_decode",
    "jwt_encode",
    "jwt_kid",
    "unverified_token_type",
]

TYPE = "JWT"  # header `typ` of every token signed here
TYPES = frozenset({TYPE.lower()})  # jwt_verify compares `typ` in lower case
OAUTH2_ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})  # RFC 9068 §2.1
ALLOWED_HEADER = frozenset({"alg", "kid", "typ"})
REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "jti", "client_id", "token_type")


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
            algorithms=(jwt_algorithm(),),
            types=TYPES,
            issuer=settings.JWT_ISSUER,
            audience=settings.JWT_AUDIENCE,
            required=REQUIRED_CLAIMS,
            members=ALLOWED_HEADER,
            cache=True,
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
        header = unverified_header(token)
    except TokenInvalid:
        return False
    kid, typ = header.get("kid"), header.get("typ")
    return (
        isinstance(kid, str)
        and kid not in _verifying_keys()
        and isinstance(typ, str)
        and typ.lower() in OAUTH2_ACCESS_TOKEN_TYPES
    )


def unverified_token_type(token: str) -> str | None:
    """Return the `token_type` a token claims, unverified: only to choose how to verify it."""
    try:
        token_type = unverified_claims(token).get("token_type")
    except TokenInvalid:
        return None
    return token_type if isinstance(token_type, str) else None

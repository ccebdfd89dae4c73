"""Verifying JWTs: every JWT this server checks passes `jwt_verify`, built on PyJWT's `jwt.decode`.

No ORM and no DRF, and no key or rule of any one token: this API's own tokens
(accounts.jwt_codec), RFC 9068 OAuth2 access tokens (oauth.access_tokens), DPoP proofs
(dpop.proofs) and client attestations and their PoPs (attestation.crypto) each state what they
accept (algorithms, `typ`, key, issuer, audience, required claims) and this module applies one
set of rules to all of them, those of RFC 8725 (JWT Best Current Practices):

- Size is checked before any parsing, so a 100 KB "token" costs a length comparison; then the
  shape: three non-empty base64url segments (no `alg: none`, no JWE, no JSON serialization).
- The header is checked before any key is sought: `typ` is one the caller names (§3.11,
  compared in lower case as RFC 7515 §4.1.9 says), `alg` one the caller allows (§3.1: never
  the token's choice) and one the key can verify (an RS256 header on an EC key is refused, not
  handed to PyJWT to fail with a TypeError), `kid` a short string, no `crit` or `b64` (RFC
  7515 §4.1.11: an extension we do not implement must be refused).
- PyJWT's `jwt.decode` checks the signature with the allowed algorithms, `iss`, `aud`, `sub`,
  `exp`, `nbf` and `iat` (with the caller's leeway), that the required claims are present and
  that an RSA key has at least 2048 bits. Beyond PyJWT: a required claim is a string (or, where
  the caller says so, a JSON object such as `cnf`), times are JSON integers, and `aud` names
  the audience alone.

Tokens that a client sends again and again (access tokens) may be remembered per process once
they pass (`cache=True`); single-use proofs are not.
"""

import base64
import json
import re
import time
from collections.abc import Callable, Collection
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from apiproject.process_cache import ProcessCache

__all__ = [
    "COMPACT_JWS",
    "LEEWAY_SECONDS",
    "MAX_TOKEN_LENGTH",
    "PublicKey",
    "TokenExpired",
    "TokenInvalid",
    "jwt_header",
    "jwt_verify",
    "key_algorithms",
    "unverified_claims",
    "unverified_header",
    "verified_cache_clear",
]

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey

MAX_TOKEN_LENGTH = 8 * 1024  # this server's tokens are under 1 KB; callers may ask for less
MAX_KID_LENGTH = 255
LEEWAY_SECONDS = 10  # clock skew tolerated on exp, nbf and iat unless the caller says otherwise
TIME_CLAIMS = ("exp", "iat", "nbf")
MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z
# RFC 7515 §4.1.11 and RFC 7797: extensions this server does not implement, so must refuse.
REFUSED_HEADER = frozenset({"crit", "b64"})

# Three non-empty base64url segments: rejects `alg: none` (empty signature), JWE (five
# segments), JSON serialization and non-ASCII input before any decoding happens.
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")

# The algorithms each kind of public key verifies; `alg` must be one of them and one the caller
# allows (RFC 8725 §3.1).
_EC_ALGORITHMS = {"secp256r1": ("ES256",), "secp384r1": ("ES384",), "secp521r1": ("ES512",)}
_RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")

# Tokens this process has verified, by token and by everything they were verified against
# (algorithms, typ, iss, aud, sub, required claims, ...; the key is asked for again on every
# use): a client sends the same access token for its whole life, and checking its signature
# again each time costs more than the rest of the request. Only tokens that passed are kept, so
# a flood of forgeries cannot fill it; exp is checked again on every use. Bounded, and an entry
# is dropped after VERIFIED_CACHE_SECONDS whatever the token's own lifetime.
VERIFIED_CACHE_SIZE = 4096
VERIFIED_CACHE_SECONDS = 300
_verified = ProcessCache(maxsize=VERIFIED_CACHE_SIZE, ttl=VERIFIED_CACHE_SECONDS)


class TokenInvalid(Exception):
    """The token is malformed, not signed by the expected key, of another type, or has wrong claims.

    The message is fixed text (never token content), for logs, tests and DPoP's
    error_description; callers answer every case with the same 401.
    """


class TokenExpired(TokenInvalid):
    """The token was valid but its `exp` has passed."""


def key_algorithms(key: PublicKey) -> tuple[str, ...]:
    """Return the signature algorithms `key` can verify: by its type, and for EC by its curve."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return _EC_ALGORITHMS.get(key.curve.name, ())
    if isinstance(key, rsa.RSAPublicKey):
        return _RSA_ALGORITHMS
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ("EdDSA",)
    return ()


def unverified_header(token: str, *, max_length: int = MAX_TOKEN_LENGTH) -> dict[str, Any]:
    """Return the JOSE header of a compact JWS, unverified, or raise TokenInvalid.

    Only size, shape and JSON: for routing (which scheme, which key), never for a decision.
    """
    if len(token) > max_length:
        raise TokenInvalid("token too long")
    if not COMPACT_JWS.fullmatch(token):
        raise TokenInvalid("not a signed JWT in compact serialization")
    return _segment_object(token.partition(".")[0])


def unverified_claims(token: str, *, max_length: int = MAX_TOKEN_LENGTH) -> dict[str, Any]:
    """Return the claims of a compact JWS, unverified, or raise TokenInvalid: only to choose how to verify it."""
    unverified_header(token, max_length=max_length)
    return _segment_object(token.split(".")[1])


def jwt_header(
    token: str,
    *,
    types: Collection[str],
    algorithms: Collection[str],
    kid_required: bool = False,
    members: Collection[str] | None = None,
    max_length: int = MAX_TOKEN_LENGTH,
) -> dict[str, Any]:
    """Return the JOSE header of a token, unverified, if it may be verified at all; else raise TokenInvalid.

    Only to choose the key: the size and shape come first, then `typ` must be one of `types`
    (lower case), `alg` one of `algorithms`, `kid` (required if `kid_required`) a string of 1 to
    255 characters, no `crit` or `b64`, and, if `members` is given, nothing outside it.
    """
    header = unverified_header(token, max_length=max_length)
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in types:
        raise TokenInvalid("unexpected typ")
    if header.get("alg") not in algorithms:  # "none", HS256 and the unknown all stop here
        raise TokenInvalid("alg is not allowed")
    kid = header.get("kid")
    if (kid is None and kid_required) or (kid is not None and not _is_kid(kid)):
        raise TokenInvalid("unexpected kid")
    if REFUSED_HEADER & header.keys():
        raise TokenInvalid("crit and b64 are not supported")
    if members is not None and not header.keys() <= members:
        raise TokenInvalid("unexpected header")
    return header


def jwt_verify(
    token: str,
    *,
    types: Collection[str],
    algorithms: Collection[str],
    key: PublicKey | None = None,
    keys: Callable[[str], PublicKey | None] | None = None,
    issuer: str | None = None,
    audience: str | None = None,
    subject: str | None = None,
    required: tuple[str, ...] = (),
    object_claims: tuple[str, ...] = (),
    members: Collection[str] | None = None,
    leeway: int = LEEWAY_SECONDS,
    max_length: int = MAX_TOKEN_LENGTH,
    cache: bool = False,
) -> dict[str, Any]:
    """Verify a signed JWT and return its claims, or raise TokenExpired or TokenInvalid.

    The key is `key`, or the one `keys` returns for the token's `kid` (None for a kid it does
    not trust; it may raise, for an issuer that cannot be reached). jwt_header checks the header
    first; PyJWT's `jwt.decode` then checks the signature, `iss` if `issuer` is given, `aud` if
    `audience` is (and refuses an `aud` when it is not), `sub` if `subject` is, `exp`, `nbf` and
    `iat` with `leeway`, and that every claim in `required` is present. Then each required claim
    is a string, except times (JSON integers) and `object_claims` (JSON objects).

    With `cache` (and `keys`) a token that passed is remembered for later calls with the same
    rules; only the key (asked for again) and `exp` can change the verdict of a remembered one.
    """
    if len(token) > max_length:  # before the token is hashed for the cache, or parsed
        raise TokenInvalid("token too long")
    if (key is None) == (keys is None):
        raise TypeError("jwt_verify needs either key or keys")
    cache_key = None
    if cache and keys is not None:
        rules = (frozenset(types), frozenset(algorithms), issuer, audience, subject, required, object_claims)
        cache_key = (token, *rules, None if members is None else frozenset(members), leeway)
        cached = _verified.get(cache_key)
        if cached is not None:
            return _remembered(cached, keys=keys, leeway=leeway)

    header = jwt_header(
        token, types=types, algorithms=algorithms, kid_required=keys is not None, members=members, max_length=max_length
    )
    if keys is not None:
        key = keys(header["kid"])
        if key is None:
            raise TokenInvalid("unknown key")
    # The caller's algorithms that this key can verify: fixed by the key, never by the token.
    fitting = [name for name in algorithms if name in key_algorithms(key)]
    if header["alg"] not in fitting:
        raise TokenInvalid("alg does not fit the key")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=fitting,
            audience=audience,
            issuer=issuer,
            subject=subject,
            leeway=leeway,
            # Non-strict aud accepts `["ours"]` (RFC 7519 §4.1.3); _check_claims refuses more.
            options={"require": list(required), "enforce_minimum_key_length": True},
        )
    except jwt.PyJWTError as exc:
        raise _refusal(exc) from exc
    _check_claims(claims, required=required, object_claims=object_claims, audience=audience)
    if cache_key is not None:
        _verified.set(cache_key, (header["kid"], key, claims))
    return dict(claims)  # a copy: a remembered token's claims are shared


def _remembered(
    cached: tuple[str, PublicKey, dict[str, Any]], *, keys: Callable[[str], PublicKey | None], leeway: int
) -> dict:
    kid, verified_with, claims = cached
    # The key is asked again, so a key that is no longer trusted stops its tokens at once, and
    # it must be the key the token was verified with: an issuer that reuses a kid for a new key
    # (JWKS mode) must not keep tokens signed by the old one alive. Of the claims only exp can
    # change its verdict as time passes.
    key = keys(kid)
    if key is None:
        raise TokenInvalid("unknown key")
    if key is not verified_with and key != verified_with:
        raise TokenInvalid("the key of this kid has changed")
    if "exp" in claims and claims["exp"] <= time.time() - leeway:
        raise TokenExpired("expired")
    return dict(claims)


def _refusal(exc: jwt.PyJWTError) -> TokenInvalid:
    # PyJWT's messages can quote parser errors; ours are fixed text (DPoP puts them in a header).
    if isinstance(exc, jwt.ExpiredSignatureError):
        return TokenExpired("expired")
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return TokenInvalid(f"{exc.claim} is missing")
    if isinstance(exc, jwt.ImmatureSignatureError):
        return TokenInvalid("iat or nbf is in the future")
    if isinstance(exc, jwt.InvalidIssuedAtError):
        return TokenInvalid("iat is not a NumericDate")
    for error, message in _REFUSALS:
        if isinstance(exc, error):
            return TokenInvalid(message)
    return TokenInvalid("malformed token")


_REFUSALS = (
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidIssuerError, "iss is not the expected issuer"),
    (jwt.InvalidAudienceError, "aud is not the expected audience"),
    (jwt.exceptions.InvalidSubjectError, "sub is not the expected subject"),
    (jwt.exceptions.InvalidJTIError, "jti is of the wrong type"),
    (jwt.InvalidKeyError, "the key is too short"),
    (jwt.InvalidAlgorithmError, "alg is not allowed"),
)


def _check_claims(
    claims: dict[str, Any], *, required: tuple[str, ...], object_claims: tuple[str, ...], audience: str | None
) -> None:
    for name in required:
        if name in TIME_CLAIMS or name == "aud" and audience is not None:
            continue
        expected = dict if name in object_claims else str
        if not isinstance(claims[name], expected):
            raise TokenInvalid(f"{name} is of the wrong type")
    # RFC 7519 §4.1.3 allows an array; one naming another audience too is not for us alone.
    if audience is not None and claims["aud"] not in (audience, [audience]):
        raise TokenInvalid("aud is not the expected audience")
    # PyJWT accepts "exp": "1700000000" (it calls int()); a NumericDate is a JSON number, and
    # one past year 9999 would overflow every datetime built from it later.
    for name in TIME_CLAIMS:
        if name in claims and (type(claims[name]) is not int or not 0 <= claims[name] <= MAX_TIMESTAMP):
            raise TokenInvalid(f"{name} is not a NumericDate")


def _is_kid(kid: Any) -> bool:
    return isinstance(kid, str) and 0 < len(kid) <= MAX_KID_LENGTH


def _segment_object(segment: str) -> dict[str, Any]:
    # For routing only (which key, which type); PyJWT parses the token again to verify it.
    # COMPACT_JWS has admitted the alphabet, so the C decoder needs no per-character check.
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, RecursionError) as exc:  # binascii.Error and UnicodeDecodeError included
        raise TokenInvalid("malformed segment") from exc
    if not isinstance(value, dict):
        raise TokenInvalid("malformed segment")
    return value


def verified_cache_clear() -> None:
    """Forget every verified token of this process (tests)."""
    _verified.clear()

"""RFC 9068 JWT access tokens: what they carry, how they are signed and how they are checked.

No ORM and no DRF, and no key of its own: the authorization server signs with its key, and a
resource server checks with whichever public key it trusts (its own, or one from the issuer's
JWKS). The checks follow RFC 9068 §4 and RFC 8725 like accounts.jwt_codec, whose size and shape
limits they share:

- the header must say `typ: at+jwt` (so an ID token, signed by the same key, is never taken
  for an access token), `alg: RS256` (fixed here, never the token's choice) and a `kid`;
- `iss` must be the issuer we trust and `aud` must name this API;
- `iss`, `aud`, `sub`, `client_id`, `scope`, `exp`, `iat` and `jti` are all required.
"""

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from accounts.jwt_codec import COMPACT_JWS, LEEWAY_SECONDS, MAX_TOKEN_LENGTH, OAUTH2_ACCESS_TOKEN_TYPES
from transport.client_cert import cnf_thumbprint

ALGORITHM = "RS256"  # the toolkit's OIDC key is RSA; its JWKS view publishes it as RS256
TYPE = "at+jwt"  # RFC 9068 §2.1
REQUIRED_CLAIMS = ("iss", "aud", "sub", "client_id", "scope", "exp", "iat", "jti")
STRING_CLAIMS = ("iss", "sub", "client_id", "scope", "jti")


class AccessTokenInvalid(Exception):
    """Not a valid access token of our issuer; the message is for logs, every caller sees one 401."""


class UnknownKey(AccessTokenInvalid):
    """The token names a key (`kid`) that the resolver does not know."""


@dataclass(frozen=True, slots=True)
class AccessTokenClaims:
    """A verified OAuth2 access token: the user (if any), the app and what it may do."""

    subject: str
    client_id: str
    scopes: frozenset[str]
    jti: str
    expires_at: int
    username: str = ""
    jkt: str | None = None  # RFC 9449 §6: the DPoP key the token is bound to (cnf.jkt)
    x5t_s256: str | None = None  # RFC 8705 §3: the client certificate it is bound to (cnf.x5t#S256)

    @property
    def has_user(self) -> bool:
        """Return whether a person authorized this token.

        RFC 9068 §2.2: a token from the client credentials grant has no resource owner, and its
        `sub` names the client itself.
        """
        return self.subject != self.client_id

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> "AccessTokenClaims":
        """Build from verified JWT claims or an RFC 7662 introspection response."""
        if any(not isinstance(claims.get(name), str) for name in ("sub", "client_id", "jti")):
            raise AccessTokenInvalid("claims of the wrong type")
        scope, username, exp = claims.get("scope", ""), claims.get("username", ""), claims.get("exp")
        if not isinstance(scope, str) or not isinstance(username, str) or not isinstance(exp, int):
            raise AccessTokenInvalid("claims of the wrong type")
        cnf = claims.get("cnf", {})
        jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
        if jkt is not None and not isinstance(jkt, str):
            raise AccessTokenInvalid("claims of the wrong type")
        return cls(
            subject=claims["sub"],
            client_id=claims["client_id"],
            scopes=frozenset(scope.split()),
            jti=claims["jti"],
            expires_at=exp,
            username=username,
            jkt=jkt,
            x5t_s256=cnf_thumbprint(claims),
        )


def access_token_claims(
    *,
    issuer: str,
    audience: str,
    client_id: str,
    scopes: list[str],
    lifetime: int,
    user_id: str | None,
    username: str = "",
    cnf: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return the claims of a new access token (RFC 9068 §2.2).

    `sub` is the user's id, or the client's when no user is involved (client credentials).
    `username` is RFC 7662's member of the same name: the resource server can name the user
    without asking anyone, exactly as an introspection response would let it. `cnf` binds the
    token to a key (RFC 7800): `{"jkt": ...}` for DPoP (RFC 9449 §6.1).
    """
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": user_id if user_id is not None else client_id,
        "client_id": client_id,
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    if user_id is not None and username:
        claims["username"] = username
    if cnf:
        claims["cnf"] = cnf
    return claims


def access_token_encode(claims: dict[str, Any], *, key: RSAPrivateKey, kid: str) -> str:
    """Sign `claims` as an RFC 9068 access token: header `typ: at+jwt`, `alg: RS256`, `kid`."""
    missing = [name for name in REQUIRED_CLAIMS if claims.get(name) is None]
    if missing:
        raise ValueError(f"missing claims: {', '.join(missing)}")
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid, "typ": TYPE})


def access_token_kid(token: str) -> str:
    """Return the `kid` an access token names, unverified: only to choose the key that checks it."""
    header = _json_segment(_segments(token)[0])
    kid, typ = header.get("kid"), header.get("typ")
    # RFC 9068 §4: reject anything not typed as an access token, before touching a key.
    if not isinstance(typ, str) or typ.lower() not in OAUTH2_ACCESS_TOKEN_TYPES:
        raise AccessTokenInvalid("not typed at+jwt")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str) or not kid:
        raise AccessTokenInvalid("unexpected header")
    return kid


def access_token_decode(
    token: str, *, key_for_kid: Callable[[str], RSAPublicKey | None], issuer: str, audience: str
) -> AccessTokenClaims:
    """Verify an access token with the key its `kid` names and return its claims, or raise.

    PyJWT checks the signature (its RS256 algorithm); the claims are checked below. jwt.decode
    would do both, but on a 700-character RS256 token PyJWT 2.15 spends longer re-checking the
    base64 alphabet character by character in Python than OpenSSL spends on the signature
    (benchmarks/, variant oauth2), and COMPACT_JWS has already checked that alphabet.
    """
    header_segment, payload_segment, signature_segment = _segments(token)
    key = key_for_kid(access_token_kid(token))
    if key is None:
        raise UnknownKey("unknown key")
    if not _RS256.verify(f"{header_segment}.{payload_segment}".encode("ascii"), key, _segment(signature_segment)):
        raise AccessTokenInvalid("bad signature")
    claims = _json_segment(payload_segment)
    _check_claims(claims, issuer=issuer, audience=audience, now=int(time.time()))
    return AccessTokenClaims.from_claims(claims)


_RS256 = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256)


def _segments(token: str) -> list[str]:
    # Three non-empty base64url segments, under the size limit: no `alg: none`, no JWE.
    if len(token) > MAX_TOKEN_LENGTH or not COMPACT_JWS.fullmatch(token):
        raise AccessTokenInvalid("not a signed JWT in compact serialization")
    return token.split(".")


def _segment(segment: str) -> bytes:
    # RFC 7515 §2: unpadded base64url. Only the canonical encoding is accepted, so one token has
    # one spelling (the checksums of introspection and revocation are taken over the string).
    data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != segment:
        raise AccessTokenInvalid("non-canonical base64url")
    return data


def _json_segment(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_segment(segment))
    except (ValueError, RecursionError) as exc:  # binascii.Error and JSONDecodeError are ValueErrors
        raise AccessTokenInvalid("malformed segment") from exc
    if not isinstance(value, dict):
        raise AccessTokenInvalid("malformed segment")
    return value


def _check_claims(claims: dict[str, Any], *, issuer: str, audience: str, now: int) -> None:
    """Apply RFC 9068 §4 and RFC 7519 §4.1 to verified claims, with LEEWAY_SECONDS of clock skew."""
    if any(name not in claims for name in REQUIRED_CLAIMS):
        raise AccessTokenInvalid("missing claims")
    if any(not isinstance(claims[name], str) for name in STRING_CLAIMS):
        raise AccessTokenInvalid("claims of the wrong type")
    times = [claims["exp"], claims["iat"], claims.get("nbf", now)]
    if any(isinstance(value, bool) or not isinstance(value, int) for value in times):
        raise AccessTokenInvalid("times must be integers")
    if claims["iss"] != issuer:
        raise AccessTokenInvalid("wrong issuer")
    # One audience, as a string: a token minted for several resource servers is not accepted.
    if claims["aud"] != audience:
        raise AccessTokenInvalid("wrong audience")
    if claims["exp"] <= now - LEEWAY_SECONDS:
        raise AccessTokenInvalid("expired")
    if claims["iat"] > now + LEEWAY_SECONDS or claims.get("nbf", now) > now + LEEWAY_SECONDS:
        raise AccessTokenInvalid("not valid yet")

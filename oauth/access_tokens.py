"""RFC 9068 JWT access tokens: what they carry, how they are signed and how they are checked.

No ORM and no DRF, and no key of its own: the authorization server signs with its key, and a
resource server checks with whichever public key it trusts (its own, or one from the issuer's
JWKS). apiproject.jwt_verification.jwt_verify checks them, the one verifier of every JWT this
server checks, with the size, shape and claim rules of this API's own tokens; what RFC 9068 §4
adds:

- the header must say `typ: at+jwt` (so an ID token, signed by the same key, is never taken
  for an access token), `alg: RS256` (fixed here, never the token's choice) and a `kid`;
- `iss` must be the issuer we trust and `aud` must name this API;
- `iss`, `aud`, `sub`, `client_id`, `scope`, `exp`, `iat` and `jti` are all required.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from accounts.jwt_codec import OAUTH2_ACCESS_TOKEN_TYPES
from apiproject.jwt_verification import TokenInvalid, jwt_header, jwt_verify
from transport.client_cert import cnf_thumbprint

ALGORITHM = "RS256"  # the toolkit's OIDC key is RSA; its JWKS view publishes it as RS256
TYPE = "at+jwt"  # RFC 9068 §2.1
REQUIRED_CLAIMS = ("iss", "aud", "sub", "client_id", "scope", "exp", "iat", "jti")


class AccessTokenInvalid(Exception):
    """Not a valid access token of our issuer; the message is for logs, every caller sees one 401."""


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
    try:
        # RFC 9068 §4: anything not typed as an access token is refused before a key is touched.
        return jwt_header(token, algorithms=(ALGORITHM,), types=OAUTH2_ACCESS_TOKEN_TYPES, kid_required=True)["kid"]
    except TokenInvalid as exc:
        raise AccessTokenInvalid(str(exc)) from exc


def access_token_decode(
    token: str, *, key_for_kid: Callable[[str], RSAPublicKey | None], issuer: str, audience: str
) -> AccessTokenClaims:
    """Verify an access token with the key its `kid` names and return its claims, or raise.

    apiproject.jwt_verification.jwt_verify checks it, with the rules of this API's own tokens:
    PyJWT's `jwt.decode` (RS256 only, `iss`, one `aud`, `exp`, `nbf`, `iat`, the required
    claims), then string and integer types. A token that passed is remembered per process.
    """
    try:
        claims = jwt_verify(
            token,
            keys=key_for_kid,
            algorithms=(ALGORITHM,),
            types=OAUTH2_ACCESS_TOKEN_TYPES,
            issuer=issuer,
            audience=audience,
            required=REQUIRED_CLAIMS,
            cache=True,
        )
    except TokenInvalid as exc:
        raise AccessTokenInvalid(str(exc)) from exc
    return AccessTokenClaims.from_claims(claims)

"""Verifying a Client Attestation and its PoP (draft-ietf-oauth-attestation-based-client-auth-11).

Pure functions over header values and keys, no ORM and no DRF: PyJWT's own `decode` checks
every signature and registered claim (explicit algorithms, audience, required claims); this
module adds only what the draft asks beyond RFC 7519: the `typ` of each JWT, `sub` = the
client_id, a public asymmetric `cnf.jwk`, and the PoP's age.
"""

import re
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

ATTESTATION_TYP = "oauth-client-attestation+jwt"  # draft §4
POP_TYP = "oauth-client-attestation-pop+jwt"  # draft §5.1

# Asymmetric only, for both JWTs. Draft -11 §4 also allows a MAC on the attestation; a MAC key
# would have to be shared with this server, so a leak here could mint attestations: refused.
ALGORITHMS = ("ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256")
PUBLIC_KEY_TYPES = (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey)

# Each header holds one compact JWS. 8 KiB is the draft's §12 web-server default and far more
# than an attestation with an RSA-4096 `cnf` needs; longer values are refused before any parsing.
MAX_HEADER_BYTES = 8192
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")

# RFC 7517 §9.3 / RFC 7518 §6: the members that carry private or symmetric key material.
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_MAX_ID_LENGTH = 255


def _algorithms_for(key: Any) -> tuple[str, ...]:
    """The signature algorithms that fit a public key: the token's `alg` must be one of them.

    Taking `alg` from the token alone would let an attacker pair RS256 with an EC key, which
    PyJWT answers with a TypeError, not a verification failure (a 500, not a 401).
    """
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"secp256r1": ("ES256",), "secp384r1": ("ES384",), "secp521r1": ("ES512",)}.get(key.curve.name, ())
    if isinstance(key, rsa.RSAPublicKey):
        return ("RS256", "PS256")
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ("EdDSA",)
    return ()


def _fitting_algorithm(header: dict[str, Any], key: Any, *, what: str) -> list[str]:
    if header["alg"] not in _algorithms_for(key):
        raise AttestationError(f"{what}: alg {header['alg']} does not fit the key")
    return [header["alg"]]


class AttestationError(Exception):
    """Why an attestation or its PoP is refused; the message is for logs (callers see one 401)."""


class NotAPublicKey(ValueError):
    """A PEM text that is not one asymmetric public key (a private key, a certificate, junk)."""


def public_key_from_pem(pem: str) -> Any:
    """Return the public key of a SubjectPublicKeyInfo PEM, or raise NotAPublicKey.

    Only EC, RSA (2048 bits or more) and Ed25519: the algorithms attestation.crypto accepts.
    """
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise NotAPublicKey("not a PEM public key (a private key or a certificate will not do)") from exc
    if not isinstance(key, PUBLIC_KEY_TYPES):
        raise NotAPublicKey("the key must be EC, RSA or Ed25519")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        raise NotAPublicKey("an RSA key must have at least 2048 bits")
    return key


@dataclass(frozen=True, slots=True)
class VerifiedPoP:
    """The parts of a verified PoP that the replay check needs."""

    jti: str
    iat: int


def compact_jws(value: str | None, *, name: str) -> str:
    """Return `value` if it is exactly one compact JWS of at most MAX_HEADER_BYTES, else raise.

    Two header fields of the same name reach Django joined by a comma, which no JWS contains:
    draft -11 §7.1 wants precisely one, so that is refused here too.
    """
    if not value:
        raise AttestationError(f"{name} is missing")
    if len(value) > MAX_HEADER_BYTES:
        raise AttestationError(f"{name} is longer than {MAX_HEADER_BYTES} bytes")
    if not _COMPACT_JWS.fullmatch(value):
        raise AttestationError(f"{name} is not one compact JWS")
    return value


def unverified_header(token: str, *, typ: str) -> dict[str, Any]:
    """Return the JOSE header if its `typ` and `alg` are acceptable, before any key is sought."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise AttestationError(f"unreadable JOSE header: {exc}") from exc
    if header.get("typ") != typ:
        raise AttestationError(f"typ must be {typ}")
    if header.get("alg") not in ALGORITHMS:  # "none", HS256 and the unknown all stop here
        raise AttestationError("alg must be an asymmetric signature algorithm")
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or len(kid) > _MAX_ID_LENGTH):
        raise AttestationError("kid must be a short string")
    return header


def unverified_subject(token: str) -> str:
    """Return the attestation's `sub` (the client_id whose attesters can check it), unverified."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise AttestationError(f"unreadable claims: {exc}") from exc
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > _MAX_ID_LENGTH:
        raise AttestationError("sub must name the client_id")
    return subject


def attestation_instance_key(token: str, *, key: Any, client_id: str, leeway: int) -> jwt.PyJWK:
    """Verify a Client Attestation JWT with an attester key; return the instance key (cnf.jwk).

    Draft -11 §7.1: signed by a trusted attester with an acceptable algorithm, `sub` the
    client_id, not expired (`exp` required), and `cnf.jwk` a public key.
    """
    if not isinstance(key, PUBLIC_KEY_TYPES):
        raise AttestationError("the attester key is not an asymmetric public key")
    header = unverified_header(token, typ=ATTESTATION_TYP)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=_fitting_algorithm(header, key, what="attestation"),
            options={"require": ["sub", "exp", "cnf"]},
            subject=client_id,
            leeway=leeway,
        )
    except jwt.PyJWTError as exc:
        raise AttestationError(f"attestation refused: {exc}") from exc
    return instance_key(claims["cnf"])


def instance_key(cnf: object) -> jwt.PyJWK:
    """Return the public key of an RFC 7800 `cnf` claim's `jwk`; refuse private and symmetric keys."""
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict):
        raise AttestationError("cnf must hold a jwk")
    if _PRIVATE_JWK_MEMBERS & jwk.keys():
        raise AttestationError("cnf.jwk must be a public key")  # draft -11 §7.1 item 5
    if jwk.get("kty") not in ("EC", "RSA", "OKP"):
        raise AttestationError("cnf.jwk must be an EC, RSA or OKP key")
    try:
        parsed = jwt.PyJWK(jwk)
    except jwt.PyJWTError as exc:
        raise AttestationError(f"cnf.jwk is not a usable key: {exc}") from exc
    if not isinstance(parsed.key, PUBLIC_KEY_TYPES):
        raise AttestationError("cnf.jwk must be an asymmetric public key")
    return parsed


def verified_pop(
    token: str, *, key: jwt.PyJWK, client_id: str, audience: str, now: float, max_age: int, leeway: int
) -> VerifiedPoP:
    """Verify a Client Attestation PoP JWT with the instance key; return its jti and iat.

    Draft -11 §7.2: signed by the `cnf` key, `aud` this server's issuer, `jti` present (the
    caller accepts it once), `iat` within `max_age` seconds. `iss`, which earlier drafts and
    API.md §13 put in the PoP and -11 dropped, must name the client if it is present.
    """
    header = unverified_header(token, typ=POP_TYP)
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=_fitting_algorithm(header, key.key, what="PoP"),
            options={"require": ["aud", "jti", "iat"]},
            audience=audience,
            leeway=leeway,
        )
    except jwt.PyJWTError as exc:
        raise AttestationError(f"PoP refused: {exc}") from exc
    jti, iat = claims["jti"], claims["iat"]
    if not isinstance(jti, str) or not jti or len(jti) > _MAX_ID_LENGTH:
        raise AttestationError("jti must be a short string")
    if isinstance(aud := claims["aud"], list) and len(aud) != 1:
        raise AttestationError("aud must name this server alone")  # draft -11 §5.1: one audience
    if "iss" in claims and claims["iss"] != client_id:
        raise AttestationError("iss must be the client_id")
    # PyJWT has refused an iat in the future (beyond the leeway); this bounds it in the past.
    if now - iat > max_age + leeway:
        raise AttestationError("PoP is too old")
    return VerifiedPoP(jti=jti, iat=int(iat))

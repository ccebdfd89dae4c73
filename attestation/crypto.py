"""Verifying a Client Attestation and its PoP (draft-ietf-oauth-attestation-based-client-auth-11).

Pure functions over header values and keys, no ORM and no DRF: apiproject.jwt_verification,
the verifier of every JWT this server checks, verifies both (PyJWT's `jwt.decode` with explicit
algorithms, the key given here, `sub` or `aud`, required claims and their types); this module
adds only what the draft asks beyond RFC 7519: the `typ` of each JWT, `sub` = the client_id, a
public asymmetric `cnf.jwk`, and the PoP's `iss` and age.
"""

from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from apiproject.jwt_verification import COMPACT_JWS, TokenInvalid, jwt_header, jwt_verify, unverified_claims

ATTESTATION_TYP = "oauth-client-attestation+jwt"  # draft §4
POP_TYP = "oauth-client-attestation-pop+jwt"  # draft §5.1

# Asymmetric only, for both JWTs. Draft -11 §4 also allows a MAC on the attestation; a MAC key
# would have to be shared with this server, so a leak here could mint attestations: refused.
ALGORITHMS = ("ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256")
PUBLIC_KEY_TYPES = (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey)

# Each header holds one compact JWS. 8 KiB is the draft's §12 web-server default and far more
# than an attestation with an RSA-4096 `cnf` needs; longer values are refused before any parsing.
MAX_HEADER_BYTES = 8192

# RFC 7517 §9.3 / RFC 7518 §6: the members that carry private or symmetric key material.
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_MAX_ID_LENGTH = 255


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
    if not COMPACT_JWS.fullmatch(value):
        raise AttestationError(f"{name} is not one compact JWS")
    return value


def unverified_header(token: str, *, typ: str) -> dict[str, Any]:
    """Return the JOSE header if its `typ`, `alg` and `kid` are acceptable, before any key is sought."""
    try:
        return jwt_header(token, types={typ}, algorithms=ALGORITHMS, max_length=MAX_HEADER_BYTES)
    except TokenInvalid as exc:
        raise AttestationError(f"JOSE header refused: {exc}") from exc


def unverified_subject(token: str) -> str:
    """Return the attestation's `sub` (the client_id whose attesters can check it), unverified."""
    try:
        subject = unverified_claims(token, max_length=MAX_HEADER_BYTES).get("sub")
    except TokenInvalid as exc:
        raise AttestationError(f"unreadable claims: {exc}") from exc
    if not isinstance(subject, str) or not subject or len(subject) > _MAX_ID_LENGTH:
        raise AttestationError("sub must name the client_id")
    return subject


def attestation_instance_key(token: str, *, key: Any, client_id: str, leeway: int) -> jwt.PyJWK:
    """Verify a Client Attestation JWT with an attester key; return the instance key (cnf.jwk).

    Draft -11 §7.1: signed by a trusted attester with an acceptable algorithm (one that fits
    the key: RS256 on an EC key is refused, not a TypeError), `sub` the client_id, not expired
    (`exp` required), and `cnf.jwk` a public key.
    """
    if not isinstance(key, PUBLIC_KEY_TYPES):
        raise AttestationError("the attester key is not an asymmetric public key")
    try:
        claims = jwt_verify(
            token,
            key=key,
            types={ATTESTATION_TYP},
            algorithms=ALGORITHMS,
            subject=client_id,
            required=("sub", "exp", "cnf"),
            object_claims=("cnf",),
            leeway=leeway,
            max_length=MAX_HEADER_BYTES,
        )
    except TokenInvalid as exc:
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
    try:
        claims = jwt_verify(
            token,
            key=key.key,
            types={POP_TYP},
            algorithms=ALGORITHMS,
            audience=audience,  # draft -11 §5.1: this server's issuer, and no other audience
            required=("aud", "jti", "iat"),
            leeway=leeway,
            max_length=MAX_HEADER_BYTES,
        )
    except TokenInvalid as exc:
        raise AttestationError(f"PoP refused: {exc}") from exc
    jti, iat = claims["jti"], claims["iat"]
    if not jti or len(jti) > _MAX_ID_LENGTH:
        raise AttestationError("jti must be a short string")
    if "iss" in claims and claims["iss"] != client_id:
        raise AttestationError("iss must be the client_id")
    # jwt_verify has refused an iat in the future (beyond the leeway); this bounds it in the past.
    if now - iat > max_age + leeway:
        raise AttestationError("PoP is too old")
    return VerifiedPoP(jti=jti, iat=iat)

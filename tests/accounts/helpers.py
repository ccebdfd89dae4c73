"""Crafting JWTs for tests: forged, oddly shaped and algorithm-confused tokens."""

import base64
import json

import jwt as pyjwt
from cryptography.hazmat.primitives import serialization
from jwcrypto import jwk, jws

from accounts import jwt_codec
from apiproject.keys import jwt_private_key


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def forge(header: bytes, payload: bytes, signature: bytes = b"not a signature") -> str:
    """Return three base64url segments around arbitrary bytes: the shape of a JWT, nothing more."""
    return ".".join(b64url(part) for part in (header, payload, signature))


def signed_token(claims: dict, *, headers: dict | None = None) -> str:
    """Sign `claims` with our key and kid as they are, bypassing jwt_encode's checks."""
    return pyjwt.encode(
        claims,
        jwt_private_key(),
        algorithm="ES256",
        headers={"kid": jwt_codec.jwt_kid(), "typ": "JWT", **(headers or {})},
    )


def hmac_confused_token(claims: dict) -> str:
    """HS256 keyed with our public key's PEM: what a verifier that trusts `alg` would accept.

    PyJWT refuses to build this (an asymmetric key as an HMAC secret), so jwcrypto does.
    """
    pem = (
        jwt_private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    token = jws.JWS(json.dumps(claims).encode())
    token.add_signature(
        jwk.JWK(kty="oct", k=b64url(pem)),
        alg="HS256",
        protected=json.dumps({"alg": "HS256", "kid": jwt_codec.jwt_kid(), "typ": "JWT"}),
    )
    return token.serialize(compact=True)

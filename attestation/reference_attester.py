"""A reference Client Attester for development and tests: signs attestations for instance keys.

Not a production attester, and served nowhere (no URL reaches it): it vouches for any key it
is given. A real attester first verifies that the key lives in a genuine, untampered copy of
the app (Apple App Attest, Google Play Integrity; docs/mobile.md), then signs exactly this.
"""

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from attestation.crypto import ATTESTATION_TYP


def attester_key_generate() -> ec.EllipticCurvePrivateKey:
    """Return a new P-256 attester signing key."""
    return ec.generate_private_key(ec.SECP256R1())


def attester_public_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """Return the public key as PEM: what `add_client_attester --public-key` registers."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def attester_jwks(keys: dict[str, ec.EllipticCurvePrivateKey]) -> dict[str, Any]:
    """Return the JWKS that publishes these keys' public halves under their kids."""
    return {
        "keys": [
            {**jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "alg": "ES256"}
            for kid, key in keys.items()
        ]
    }


def attestation_issue(
    *,
    key: ec.EllipticCurvePrivateKey,
    client_id: str,
    instance_jwk: dict[str, Any],
    kid: str | None = None,
    lifetime: int = 3600,
    issuer: str = "https://attester.example",
) -> str:
    """Return a Client Attestation JWT (draft -11 §4) for the instance key `instance_jwk`."""
    now = int(time.time())
    claims = {"iss": issuer, "sub": client_id, "iat": now, "exp": now + lifetime, "cnf": {"jwk": instance_jwk}}
    headers = {"typ": ATTESTATION_TYP, **({"kid": kid} if kid else {})}
    return jwt.encode(claims, key, algorithm="ES256", headers=headers)

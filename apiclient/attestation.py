"""`requests` authentication that sends a client attestation with a fresh PoP on every request.

Draft-ietf-oauth-attestation-based-client-auth-11 §4 and §5.1: the app instance holds a key
pair (on a phone: in the Secure Enclave or StrongBox), its attester vouches for the public
half in the Client Attestation, and each request carries a PoP JWT signed by the private half.
"""

import secrets
import time
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec

POP_TYP = "oauth-client-attestation-pop+jwt"


def instance_key_generate() -> ec.EllipticCurvePrivateKey:
    """Return a new P-256 instance key (a real app makes it in hardware and never exports it)."""
    return ec.generate_private_key(ec.SECP256R1())


def instance_public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """Return the public JWK of an instance key: what the attester puts in `cnf.jwk`."""
    return jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)


class ClientAttestationAuth(requests.auth.AuthBase):
    """Adds OAuth-Client-Attestation and a new OAuth-Client-Attestation-PoP to each request.

    `audience` is the server's issuer (https://api.example.com/o); every PoP has a fresh
    random `jti` and the current `iat`, so no two requests carry the same one.
    """

    def __init__(self, attestation: str, instance_key: Any, *, audience: str, algorithm: str = "ES256") -> None:
        self.attestation = attestation
        self.audience = audience
        self.algorithm = algorithm
        self._instance_key = instance_key

    def __repr__(self) -> str:
        return f"ClientAttestationAuth(audience={self.audience!r})"  # never the key

    def pop(self) -> str:
        """Return a new PoP JWT for this server, signed with the instance key."""
        claims = {"aud": self.audience, "jti": secrets.token_urlsafe(16), "iat": int(time.time())}
        return jwt.encode(claims, self._instance_key, algorithm=self.algorithm, headers={"typ": POP_TYP})

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["OAuth-Client-Attestation"] = self.attestation
        request.headers["OAuth-Client-Attestation-PoP"] = self.pop()
        return request

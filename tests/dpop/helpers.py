"""Crafting DPoP proofs for tests: good ones with apiclient's key, and every kind of bad one."""

import time

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwcrypto import jwk

from apiclient.dpop import DPoPKey
from dpop.proofs import access_token_hash

TESTSERVER = "http://testserver"


def thumbprint(key: DPoPKey) -> str:
    """The RFC 7638 thumbprint the server binds tokens to."""
    return jwk.JWK(**key.public_jwk).thumbprint()


def craft(
    *,
    method: str = "GET",
    url: str = f"{TESTSERVER}/api/v1/whoami",
    access_token: str | None = None,
    private_key=None,
    alg: str = "ES256",
    header: dict | None = None,
    claims: dict | None = None,
    drop: tuple[str, ...] = (),
) -> str:
    """Return a proof signed by `private_key` (a new P-256 key by default), with overrides."""
    private_key = private_key or ec.generate_private_key(ec.SECP256R1())
    body = {
        "jti": pyjwt.utils.base64url_encode(time.time_ns().to_bytes(8, "big")).decode(),
        "htm": method,
        "htu": url,
        "iat": int(time.time()),
    }
    if access_token is not None:
        body["ath"] = access_token_hash(access_token)
    body.update(claims or {})
    for name in drop:
        body.pop(name, None)
    headers = {"typ": "dpop+jwt", "jwk": public_jwk(private_key), **(header or {})}
    return pyjwt.encode(body, private_key, algorithm=alg, headers=headers)


def public_jwk(private_key) -> dict:
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return pyjwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    if isinstance(private_key, rsa.RSAPrivateKey):
        return pyjwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return pyjwt.algorithms.OKPAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    raise TypeError(private_key)

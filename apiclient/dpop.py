"""DPoP (RFC 9449) for `requests`: a key per client instance, and a fresh proof on every request."""

import base64
import hashlib
import os
import secrets
import time
from pathlib import Path

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

TYPE = "dpop+jwt"


class DPoPKey:
    """An EC P-256 key pair that signs DPoP proofs (ES256) for one client instance.

    The private key never leaves this object (and the file, if you give one): the server only
    ever sees the public key, in each proof's header, and binds tokens to its thumbprint. A
    token stolen without this key is useless; so keep the file as you would a password.
    """

    def __init__(self, private_key: ec.EllipticCurvePrivateKey | None = None) -> None:
        self._private_key = private_key or ec.generate_private_key(ec.SECP256R1())
        self.public_jwk = jwt.algorithms.ECAlgorithm.to_jwk(self._private_key.public_key(), as_dict=True)

    def __repr__(self) -> str:
        return f"DPoPKey(x={self.public_jwk['x'][:8]}...)"  # never the private key

    @classmethod
    def load_or_create(cls, path: str | os.PathLike) -> "DPoPKey":
        """Return the key stored at `path` (PEM), creating it there, readable by its owner only."""
        path = Path(path)
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{path} does not hold an EC private key")
            return cls(key)
        instance = cls()
        pem = instance._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        return instance

    def proof(self, method: str, url: str, *, access_token: str | None = None) -> str:
        """Return a proof for one request: `htm`, `htu` (no query or fragment), `iat`, a random `jti`.

        With `access_token` (a call to a resource) the proof also carries its hash, `ath`.
        """
        claims = {
            "jti": secrets.token_urlsafe(16),  # 128 random bits: the server accepts each once
            "htm": method.upper(),
            "htu": url.split("?", 1)[0].split("#", 1)[0],
            "iat": int(time.time()),
        }
        if access_token is not None:
            # RFC 9449 §4.2: base64url of the SHA-256 of the token, which ties this proof to it.
            digest = hashlib.sha256(access_token.encode("ascii")).digest()
            claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return jwt.encode(claims, self._private_key, algorithm="ES256", headers={"typ": TYPE, "jwk": self.public_jwk})


class DPoPAuth(requests.auth.AuthBase):
    """Adds a fresh `DPoP` proof to each request and, with a token, `Authorization: DPoP <token>`.

    Without a token it proves the key to a token endpoint (the tokens issued are then bound to
    it); with one it calls the API. `then` is another auth applied afterwards, for example
    HttpSignatureAuth, so that its signature covers the DPoP Authorization header.
    """

    def __init__(
        self, key: DPoPKey, access_token: str | None = None, *, then: requests.auth.AuthBase | None = None
    ) -> None:
        self.key = key
        self.access_token = access_token
        self.then = then

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["DPoP"] = self.key.proof(request.method, request.url, access_token=self.access_token)
        if self.access_token is not None:
            request.headers["Authorization"] = f"DPoP {self.access_token}"
        return self.then(request) if self.then is not None else request

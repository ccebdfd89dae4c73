"""Helpers for the attestation tests: attesters, app instances, their headers, a JWKS server."""

import contextlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from apiclient.attestation import ClientAttestationAuth, instance_key_generate, instance_public_jwk
from attestation import reference_attester
from attestation.crypto import ATTESTATION_TYP, POP_TYP
from attestation.services import client_attester_add

ISSUER = "http://testserver/o"  # the PoP's audience: what /o derives for Django's test client


@dataclass
class Instance:
    """One installed copy of the app: its own key pair, and the attestation its attester signed."""

    key: ec.EllipticCurvePrivateKey
    attestation: str

    def pop(self, *, audience: str = ISSUER, key: Any = None, headers: dict | None = None, **claims: Any) -> str:
        """Return a PoP JWT (a fresh one unless claims are overridden; None drops a claim)."""
        payload = {"aud": audience, "jti": secrets.token_urlsafe(12)}
        payload |= {"iat": int(time.time())} | claims
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, key or self.key, algorithm="ES256", headers={"typ": POP_TYP, **(headers or {})})

    def headers(self, pop: str | None = None, **pop_claims: Any) -> dict[str, str]:
        """Return the two headers as Django's test client takes them (META names)."""
        return {
            "HTTP_OAUTH_CLIENT_ATTESTATION": self.attestation,
            "HTTP_OAUTH_CLIENT_ATTESTATION_POP": pop if pop is not None else self.pop(**pop_claims),
        }

    def auth(self, *, audience: str) -> ClientAttestationAuth:
        """Return the apiclient's requests auth for this instance."""
        return ClientAttestationAuth(self.attestation, self.key, audience=audience)


@dataclass
class Attester:
    """A reference attester with its signing keys (kid -> key); the first one signs."""

    keys: dict[str, ec.EllipticCurvePrivateKey] = field(
        default_factory=lambda: {"k1": reference_attester.attester_key_generate()}
    )

    @property
    def kid(self) -> str:
        return next(iter(self.keys))

    def attest(self, client_id: str, *, instance_key: Any = None, kid: str | None = None, **overrides: Any) -> Instance:
        """Attest a new (or the given) instance key for `client_id`."""
        instance_key = instance_key or instance_key_generate()
        kid = kid or self.kid
        token = reference_attester.attestation_issue(
            key=self.keys[kid], kid=kid, client_id=client_id, instance_jwk=instance_public_jwk(instance_key)
        )
        if overrides:
            token = self.sign(jwt.decode(token, options={"verify_signature": False}) | overrides, kid=kid)
        return Instance(key=instance_key, attestation=token)

    def sign(self, claims: dict, *, kid: str | None = None, headers: dict | None = None) -> str:
        """Sign arbitrary attestation claims with this attester (None values are dropped)."""
        kid = kid or self.kid
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(
            claims, self.keys[kid], algorithm="ES256", headers={"typ": ATTESTATION_TYP, "kid": kid, **(headers or {})}
        )

    def register_pem(self, client_id: str):
        return client_attester_add(
            client_id=client_id, public_key_pem=reference_attester.attester_public_pem(self.keys[self.kid])
        )

    def jwks(self) -> dict:
        return reference_attester.attester_jwks(self.keys)


class _JwksHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        server: JwksServer = self.server.owner
        server.fetches += 1
        if server.hang.is_set():
            server.release.wait(10)  # longer than any timeout the tests set
            return
        body = json.dumps(server.document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class JwksServer:
    """A local HTTP server publishing a JWKS the test can change, or stall."""

    def __init__(self) -> None:
        self.document: dict = {"keys": []}
        self.fetches = 0
        self.hang = threading.Event()
        self.release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _JwksHandler)
        self._server.owner = self
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/jwks.json"

    @contextlib.contextmanager
    def running(self) -> Iterator["JwksServer"]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.release.set()
            self._server.shutdown()
            self._server.server_close()

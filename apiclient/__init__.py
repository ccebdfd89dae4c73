"""A Python client for this API: signed requests, encrypted payloads, client attestation, for `requests`.

    import requests
    from apiclient import HttpSignatureAuth

    session = requests.Session()
    session.auth = HttpSignatureAuth(key_id, secret)
    session.get("https://api.example.com/api/v1/whoami").json()

DPoP-bound tokens (RFC 9449): `DPoPAuth(DPoPKey.load_or_create(path))` on the token request,
then `DPoPAuth(key, access_token)` on every API call (docs/dpop.md).

A mobile app's instance sends its client attestation (docs/mobile.md):

    session.auth = ClientAttestationAuth(attestation, instance_key, audience="https://api.example.com/o")

Certificate pinning and a client certificate for mutual TLS (docs/transport-security.md):

    session = PinnedSession(pin_sha256=["<base64 SHA-256 of the server's key>"], cert=("app.pem", "app-key.pem"))

The package stands on its own (requests, http-message-signatures, cryptography, PyJWT) and imports
nothing from the server, so it can be copied into an app's code base as it is.
"""

from apiclient.attestation import ClientAttestationAuth, instance_key_generate, instance_public_jwk
from apiclient.dpop import DPoPAuth, DPoPKey
from apiclient.pinning import PinMismatch, PinnedSession, server_pin, spki_pin
from apiclient.signing import HttpSignatureAuth

__all__ = [
    "ClientAttestationAuth",
    "DPoPAuth",
    "DPoPKey",
    "HttpSignatureAuth",
    "PinMismatch",
    "PinnedSession",
    "instance_key_generate",
    "instance_public_jwk",
    "server_pin",
    "spki_pin",
]

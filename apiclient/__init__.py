"""A Python client for this API: RFC 9421 signed requests and encrypted payloads, for `requests`.

    import requests
    from apiclient import HttpSignatureAuth

    session = requests.Session()
    session.auth = HttpSignatureAuth(key_id, secret)
    session.get("https://api.example.com/api/v1/whoami").json()

Certificate pinning and client certificates (mutual TLS):

    session = PinnedSession(pin_sha256=["<base64 SHA-256 of the server's key>"], cert=("app.pem", "app-key.pem"))

The package stands on its own (requests, http-message-signatures, cryptography) and imports
nothing from the server, so it can be copied into an app's code base as it is.
"""

from apiclient.pinning import PinMismatch, PinnedSession, server_pin, spki_pin
from apiclient.signing import HttpSignatureAuth

__all__ = ["HttpSignatureAuth", "PinMismatch", "PinnedSession", "server_pin", "spki_pin"]

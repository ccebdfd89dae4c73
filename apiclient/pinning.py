"""Certificate pinning for `requests`: refuse a server whose key is not one of the expected ones.

A pin is the base64 SHA-256 of the server certificate's SubjectPublicKeyInfo (RFC 7469 §2.4).
The check runs right after the TLS handshake and before a byte of the request is written, on
top of the usual chain and host name verification: a certificate that a trusted CA signed for
the right name is still refused when its key is not pinned (a mis-issued or stolen-CA
certificate, an interception proxy with a CA the device trusts).

    session = PinnedSession(pin_sha256=["n3y...=", "backup...="], cert=("app.pem", "app-key.pem"))
    session.get("https://api.example.com/api/v1/whoami", verify="ca.pem")

Several pins allow rotation: pin the current key and the next one, deploy the app, then move
the server to the next key.
"""

import base64
import hashlib
import socket
import ssl
from collections.abc import Iterable
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool


class PinMismatch(ssl.SSLError):
    """The server's key matches none of the pins: the connection is closed before the request."""


def spki_pin(certificate_der: bytes) -> str:
    """Return the pin of a DER certificate: base64 SHA-256 of its SubjectPublicKeyInfo."""
    public_key = x509.load_der_x509_certificate(certificate_der).public_key()
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def _pinned_pool_class(pins: frozenset[str]) -> type[HTTPSConnectionPool]:
    class PinnedHTTPSConnection(HTTPSConnection):
        def connect(self) -> None:
            super().connect()  # TCP, TLS handshake, chain and host name checks
            der = self.sock.getpeercert(binary_form=True)
            if der is None or spki_pin(der) not in pins:
                self.close()
                raise PinMismatch(f"the server's key at {self.host}:{self.port} matches none of the pins")

    class PinnedHTTPSConnectionPool(HTTPSConnectionPool):
        ConnectionCls = PinnedHTTPSConnection

    return PinnedHTTPSConnectionPool


class PinnedAdapter(HTTPAdapter):
    """A transport adapter whose HTTPS connections must present a pinned key."""

    def __init__(self, pin_sha256: Iterable[str], **kwargs) -> None:
        self.pins = frozenset(pin.strip() for pin in pin_sha256 if pin.strip())
        if not self.pins:
            raise ValueError("pin_sha256 needs at least one pin")
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            **self.poolmanager.pool_classes_by_scheme,
            "https": _pinned_pool_class(self.pins),
        }


class PinnedSession(requests.Session):
    """A requests Session that pins server keys (`pin_sha256`) and may present a client certificate (`cert`)."""

    def __init__(self, *, pin_sha256: Iterable[str] = (), cert: tuple[str, str] | str | None = None) -> None:
        super().__init__()
        pins = list(pin_sha256)
        if pins:
            self.mount("https://", PinnedAdapter(pins))
        self.cert = cert


def server_pin(url: str, *, cafile: str | None = None, timeout: float = 10) -> str:
    """Return the pin of the key that the HTTPS server at `url` presents (its chain verified against `cafile`)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"an https://HOST[:PORT] URL, not {url!r}")
    context = ssl.create_default_context(cafile=cafile)
    with socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=parts.hostname) as tls:
            return spki_pin(tls.getpeercert(binary_form=True))

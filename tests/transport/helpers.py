"""Client CAs and certificates for mutual-TLS tests, and the header nginx would forward."""

import base64
import datetime
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from transport.crypto import KeyPair, ca_create, certificate_issue, certificate_pem, certificate_thumbprint


class ClientCert(NamedTuple):
    pair: KeyPair
    pem: bytes
    thumbprint: str
    header: str  # RFC 9440 Client-Cert, as nginx sends it


def client_cert(ca: KeyPair, name: str = "app", **kwargs) -> ClientCert:
    """Issue a client certificate from `ca`."""
    key, certificate = certificate_issue(ca=ca, common_name=name, client=True, **kwargs)
    return ClientCert(
        (key, certificate), certificate_pem(certificate), certificate_thumbprint(certificate), header(certificate)
    )


def header(certificate: x509.Certificate) -> str:
    """Return the certificate as nginx's Client-Cert header: `:base64 DER:` (RFC 9440 §2)."""
    return ":" + base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode() + ":"


def expired_cert(ca: KeyPair) -> ClientCert:
    """A certificate from `ca` whose validity ended yesterday."""
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    return client_cert(ca, "expired", days=29, not_before=start)


def new_ca(name: str = "test client CA") -> KeyPair:
    return ca_create(name)

"""Certificates for TLS and mutual TLS: a local CA, issued certificates, thumbprints and pins.

Pure functions over the `cryptography` package (no Django), so that `make prod` can create the
local CA before any setting is loaded, and the tests can build CAs of their own.
"""

import base64
import datetime
import hashlib
import ipaddress
from collections.abc import Iterable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# ECDSA P-256: what the Mozilla "modern" profile recommends for certificates, and small enough
# that a handshake stays cheap.
KeyPair = tuple[ec.EllipticCurvePrivateKey, x509.Certificate]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def ca_create(common_name: str, *, days: int = 3650) -> KeyPair:
    """Return a new self-signed CA (key and certificate) that may sign end-entity certificates only."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        # path_length=0: a certificate this CA issues can never be a CA itself.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def certificate_issue(
    *,
    ca: KeyPair,
    common_name: str,
    client: bool,
    dns_names: Iterable[str] = (),
    ip_addresses: Iterable[str] = (),
    days: int = 825,
    not_before: datetime.datetime | None = None,
) -> KeyPair:
    """Return a new key and a certificate for it signed by `ca`: a TLS server's, or a client's (`client=True`)."""
    ca_key, ca_certificate = ca
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or (_now() - datetime.timedelta(minutes=5))
    names = [x509.DNSName(name) for name in dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(address)) for address in ip_addresses]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_certificate.public_key()), critical=False)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def private_key_pem(key: PrivateKeyTypes) -> bytes:
    """Return `key` as unencrypted PKCS #8 PEM (the file must be owner-only)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate_pem(certificate: x509.Certificate) -> bytes:
    """Return `certificate` as PEM."""
    return certificate.public_bytes(serialization.Encoding.PEM)


def certificate_load(data: bytes) -> x509.Certificate:
    """Return the first certificate of PEM or DER `data`; ValueError if there is none."""
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def private_key_load(data: bytes) -> ec.EllipticCurvePrivateKey:
    """Return the private key of unencrypted PEM `data`."""
    return serialization.load_pem_private_key(data, password=None)


def der_thumbprint(der: bytes) -> str:
    """Return the RFC 8705 §3.1 `x5t#S256` of a DER certificate: base64url (unpadded) SHA-256.

    A digest of the whole certificate, not of its key: a renewed certificate is a new binding,
    which is what an operator who binds one certificate to an app expects. SHA-256 of public
    data needs no key or salt: it names the certificate, it protects no secret.
    """
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


def certificate_thumbprint(certificate: x509.Certificate) -> str:
    """Return the `x5t#S256` of `certificate` (see der_thumbprint)."""
    return der_thumbprint(certificate.public_bytes(serialization.Encoding.DER))


def public_key_pin(certificate: x509.Certificate) -> str:
    """Return the pin of a certificate's key: base64 SHA-256 of its SubjectPublicKeyInfo (RFC 7469 §2.4).

    A pin on the key, not the certificate, survives renewals that keep the key, and a pin on
    the leaf refuses every other key even when a trusted CA signed it.
    """
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def certificate_valid_now(certificate: x509.Certificate, *, now: datetime.datetime | None = None) -> bool:
    """Return whether `now` (default: the current time) lies in the certificate's validity period."""
    moment = now or _now()
    return certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc


def certificate_signed_by(certificate: x509.Certificate, ca_certificate: x509.Certificate) -> bool:
    """Return whether `ca_certificate` issued and signed `certificate`."""
    try:
        certificate.verify_directly_issued_by(ca_certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True

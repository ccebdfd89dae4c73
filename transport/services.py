"""Writes for mutual TLS: bind a certificate to an app, set its policy, issue development certificates."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clients.models import ApiClient
from transport import crypto
from transport.models import ClientCertificate, MutualTlsPolicy
from transport.selectors import transport_cache_clear


def _client_ca() -> "crypto.x509.Certificate | None":
    path = Path(settings.TRANSPORT_CLIENT_CA_FILE)
    return crypto.certificate_load(path.read_bytes()) if path.is_file() else None


@transaction.atomic
def client_certificate_add(*, client: ApiClient, pem: bytes) -> ClientCertificate:
    """Bind the certificate in `pem` to `client`; ValidationError if it could never identify it.

    Refused: data that is no certificate, a certificate outside its validity period, one that
    the client CA (TRANSPORT_CLIENT_CA_FILE, when present) did not sign (nginx would never let
    it through), and one already bound to an app.
    """
    try:
        certificate = crypto.certificate_load(pem)
    except ValueError as exc:
        raise ValidationError("The file holds no PEM or DER certificate.") from exc
    if not crypto.certificate_valid_now(certificate):
        raise ValidationError("The certificate is expired or not yet valid.")
    ca = _client_ca()
    if ca is not None and not crypto.certificate_signed_by(certificate, ca):
        raise ValidationError(f"The certificate was not issued by the client CA {settings.TRANSPORT_CLIENT_CA_FILE}.")
    try:
        with transaction.atomic():
            row = ClientCertificate.objects.create(
                client=client,
                thumbprint=crypto.certificate_thumbprint(certificate),
                subject=certificate.subject.rfc4514_string()[:255],
                not_after=certificate.not_valid_after_utc,
            )
    except IntegrityError as exc:
        raise ValidationError("This certificate is already bound to an app.") from exc
    transport_cache_clear()
    return row


def mtls_policy_set(*, client: ApiClient, require_mtls: bool) -> MutualTlsPolicy:
    """Require (or stop requiring) mutual TLS for every request of `client`."""
    policy, _ = MutualTlsPolicy.objects.update_or_create(client=client, defaults={"require_mtls": require_mtls})
    transport_cache_clear()
    return policy


def client_certificate_issue(*, name: str, days: int = 365) -> tuple[bytes, bytes, str]:
    """Issue a client certificate for `name` from the local client CA; return (cert PEM, key PEM, thumbprint).

    For development and `make prod`: the CA is TRANSPORT_CLIENT_CA_FILE and its key
    TRANSPORT_CLIENT_CA_KEY_FILE (var/tls/, written by `make prod`).
    """
    ca_path, key_path = Path(settings.TRANSPORT_CLIENT_CA_FILE), Path(settings.TRANSPORT_CLIENT_CA_KEY_FILE)
    missing = [str(path) for path in (ca_path, key_path) if not path.is_file()]
    if missing:
        raise ValidationError(f"The client CA is missing: {', '.join(missing)} (run `make prod` once to create it).")
    ca = (crypto.private_key_load(key_path.read_bytes()), crypto.certificate_load(ca_path.read_bytes()))
    key, certificate = crypto.certificate_issue(ca=ca, common_name=name, client=True, days=days)
    return crypto.certificate_pem(certificate), crypto.private_key_pem(key), crypto.certificate_thumbprint(certificate)

"""Cached reads of the hot path: which app a certificate names, and which apps require mutual TLS."""

import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from apiproject.identity import AppIdentity
from apiproject.process_cache import ProcessCache
from transport.models import ClientCertificate, MutualTlsPolicy

# Per process, bounded and short-lived like the key cache (accounts.selectors): a certificate
# unbound or a policy changed takes effect in every worker within API_KEY_CACHE_SECONDS.
CACHE_SIZE = 10_000
_caches: dict[str, ProcessCache] = {}
_MISSING = object()


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    """What a request needs to know about a bound certificate, without a query."""

    identity: AppIdentity
    not_after: datetime
    revoked: bool
    client_active: bool

    def is_usable(self) -> bool:
        """Return whether the binding may identify its app now."""
        return not self.revoked and self.client_active and timezone.now() < self.not_after


def _cache(name: str) -> ProcessCache:
    if name not in _caches:
        _caches[name] = ProcessCache(maxsize=CACHE_SIZE, ttl=settings.API_KEY_CACHE_SECONDS, clock=time.monotonic)
    return _caches[name]


def transport_cache_clear() -> None:
    """Forget every cached certificate and policy lookup of this process (tests)."""
    _caches.clear()


def _load_certificate(thumbprint: str) -> CertificateRecord | None:
    row = ClientCertificate.objects.select_related("client").filter(thumbprint=thumbprint).first()
    if row is None:
        return None
    client = row.client
    identity = AppIdentity(
        client_id=client.client_id, scheme="mtls", client_pk=client.pk, throttle_rate=client.throttle_rate
    )
    return CertificateRecord(
        identity=identity, not_after=row.not_after, revoked=row.revoked_at is not None, client_active=client.is_active
    )


def certificate_lookup(thumbprint: str) -> CertificateRecord | None:
    """Return the binding of the certificate with this `x5t#S256`, or None (cached, misses too)."""
    cache = _cache("certificates")
    record = cache.get(thumbprint, _MISSING)
    if record is _MISSING:
        record = _load_certificate(thumbprint)
        cache.set(thumbprint, record)
    return record


def mtls_required(client_pk: int) -> bool:
    """Return whether the app must call over mutual TLS (cached)."""
    cache = _cache("policies")
    required = cache.get(client_pk, _MISSING)
    if required is _MISSING:
        required = MutualTlsPolicy.objects.filter(client_id=client_pk, require_mtls=True).exists()
        cache.set(client_pk, required)
    return required

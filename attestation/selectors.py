"""Reads of the attestation app: an app's attesters, cached per process like the API keys."""

import time
from dataclasses import dataclass
from typing import Literal

from django.conf import settings

from apiproject.process_cache import ProcessCache
from attestation.models import ClientAttester
from clients.models import ApiClient
from oauth.models import OAuthApplication

# Per process, bounded and short-lived like the key lookups (accounts.selectors): a removed
# attester or a deactivated app stops working in every worker within API_KEY_CACHE_SECONDS.
CACHE_SIZE = 10_000
_cache: ProcessCache | None = None
_MISSING = object()

AppKind = Literal["api_client", "application"]


@dataclass(frozen=True, slots=True)
class AttesterRecord:
    """Where one attester's keys are: a JWKS URL or a PEM public key."""

    pk: int
    jwks_url: str
    public_key_pem: str


@dataclass(frozen=True, slots=True)
class AttestedApp:
    """An app that has attesters: what the hot path needs, without touching the database."""

    client_id: str
    client_pk: int | None  # the ApiClient's pk; None for an OAuth2 application
    throttle_rate: str
    attesters: tuple[AttesterRecord, ...]


def _clock() -> float:
    # Monotonic, so a wall-clock jump cannot stretch a cached entry's life; tests patch this.
    return time.monotonic()


def _lookups() -> ProcessCache:
    global _cache
    if _cache is None:
        _cache = ProcessCache(maxsize=CACHE_SIZE, ttl=settings.API_KEY_CACHE_SECONDS, clock=lambda: _clock())
    return _cache


def attested_app_cache_clear() -> None:
    """Forget every cached lookup of this process (tests, and after a local change)."""
    global _cache
    _cache = None


def _load(kind: AppKind, client_id: str) -> AttestedApp | None:
    if kind == "api_client":
        app = ApiClient.objects.filter(client_id=client_id, is_active=True).first()
        attesters = ClientAttester.objects.filter(api_client=app) if app else None
        client_pk, throttle_rate = (app.pk, app.throttle_rate) if app else (None, "")
    else:
        app = OAuthApplication.objects.filter(client_id=client_id, client_type=OAuthApplication.CLIENT_PUBLIC).first()
        attesters = ClientAttester.objects.filter(application=app) if app else None
        client_pk, throttle_rate = None, ""
    if app is None:
        return None
    records = tuple(
        AttesterRecord(pk=a.pk, jwks_url=a.jwks_url, public_key_pem=a.public_key_pem)
        for a in attesters.order_by("pk").only("pk", "jwks_url", "public_key_pem")
    )
    if not records:
        return None
    return AttestedApp(client_id=client_id, client_pk=client_pk, throttle_rate=throttle_rate, attesters=records)


def attested_app_lookup(*, kind: AppKind, client_id: str) -> AttestedApp | None:
    """Return the active API client or public OAuth2 application `client_id` with its attesters.

    None if there is no such app or it has no attester. Misses are cached too, so a flood of
    made-up client_ids costs the database two queries per id per API_KEY_CACHE_SECONDS.
    """
    lookups = _lookups()
    found = lookups.get((kind, client_id), _MISSING)
    if found is _MISSING:
        found = _load(kind, client_id)
        lookups.set((kind, client_id), found)
    return found


def client_has_attester(*, application: OAuthApplication) -> bool:
    """Return whether a public OAuth2 application must authenticate by attestation."""
    return attested_app_lookup(kind="application", client_id=application.client_id) is not None

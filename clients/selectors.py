"""Reads of the clients app: key lookups (cached per process) and usage reports."""

import time

from django.conf import settings
from django.db.models import Sum

from apiproject.keys import secret_encryption_keys
from apiproject.process_cache import ProcessCache
from clients.crypto import decrypt_secret, key_id_digest
from clients.models import ApiKey, UsageRecord
from clients.records import KeyRecord
from clients.user_agents import user_agent_patterns_compile

# Per process. Bounded, so a flood of random key ids cannot grow memory; short-lived, so a
# revoked key stops working in every worker within API_KEY_CACHE_SECONDS.
KEY_CACHE_SIZE = 10_000
_key_cache: ProcessCache | None = None
_MISSING = object()


def _clock() -> float:
    # Monotonic, so a wall-clock jump cannot stretch a cached entry's life; tests patch this.
    return time.monotonic()


def _cache() -> ProcessCache:
    global _key_cache
    if _key_cache is None:
        _key_cache = ProcessCache(maxsize=KEY_CACHE_SIZE, ttl=settings.API_KEY_CACHE_SECONDS, clock=lambda: _clock())
    return _key_cache


def key_cache_clear() -> None:
    """Forget every cached key lookup of this process (tests, and after a local revocation)."""
    global _key_cache
    _key_cache = None


def _load_key_record(digest: str) -> KeyRecord | None:
    key = ApiKey.objects.select_related("client").filter(key_id_digest=digest).first()
    if key is None:
        return None
    client = key.client
    return KeyRecord(
        key_pk=key.pk,
        client_pk=client.pk,
        client_id=client.client_id,
        secret=decrypt_secret(key.encrypted_secret, keys=secret_encryption_keys()),
        require_signature=client.require_signature,
        user_agent_patterns=user_agent_patterns_compile(client.allowed_user_agents),
        throttle_rate=client.throttle_rate,
        expires_at=key.expires_at,
        revoked=key.is_revoked,
        client_active=client.is_active,
    )


def api_key_lookup(key_id: str) -> KeyRecord | None:
    """Return the key record for a presented key id, or None if no such key was ever issued.

    Unknown ids are cached too, so guessing costs the database one query per id per TTL.
    """
    digest = key_id_digest(key_id)
    cache = _cache()
    record = cache.get(digest, _MISSING)
    if record is _MISSING:
        record = _load_key_record(digest)
        cache.set(digest, record)
    return record


def client_usage_report(*, client) -> dict:
    """Return the usage summary of one app, shaped as GET /api/v1/clients/<client_id>/usage."""
    rows = UsageRecord.objects.filter(client=client)
    by_status: dict[str, int] = {}
    for row in rows.values("status_code").annotate(n=Sum("count")):
        if not row["n"]:
            continue
        # Status 0: counted while in flight, its response never reported (a killed worker).
        bucket = f"{row['status_code'] // 100}xx" if row["status_code"] else "unknown"
        by_status[bucket] = by_status.get(bucket, 0) + row["n"]

    def top(field: str) -> list[dict]:
        return [
            {"value": row[field], "count": row["n"]}
            for row in rows.values(field).annotate(n=Sum("count")).order_by("-n", field)[:10]
        ]

    return {
        "client_id": client.client_id,
        "total": rows.aggregate(n=Sum("count"))["n"] or 0,
        "by_day": [
            {"day": row["day"].isoformat(), "count": row["n"]}
            for row in rows.values("day").annotate(n=Sum("count")).order_by("day")
        ],
        "by_route": [
            {"route": row["route"], "count": row["n"]}
            for row in rows.values("route").annotate(n=Sum("count")).order_by("-n", "route")
        ],
        "by_status": by_status,
        "top_user_agents": top("user_agent"),
        "top_ips": top("ip"),
    }


def client_daily_calls(*, client, days: int = 30) -> list[tuple[str, int]]:
    """Return (day, calls) pairs for the app's most recent days with traffic, oldest first."""
    rows = UsageRecord.objects.filter(client=client).values("day").annotate(n=Sum("count")).order_by("-day")[:days]
    return [(row["day"].isoformat(), row["n"]) for row in reversed(rows)]

"""Fixed-window counters on the shared cache, one atomic round trip per hit."""

import time
from dataclasses import dataclass

from django.core.cache import BaseCache, caches
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from apiproject.exceptions import ServiceUnavailable

CACHE_ERRORS = (RedisError, ConnectionInterrupted, OSError)


@dataclass(frozen=True, slots=True)
class Hit:
    count: int
    retry_after: int  # seconds until the current window ends


def _redis_incr(cache: RedisCache, key: str, ttl: int) -> int:
    key = cache.make_key(key)
    client = cache.client.get_client(write=True)
    count, _ = client.pipeline(transaction=False).incr(key).expire(key, ttl, nx=True).execute()
    return int(count)


def _cache_incr(cache: BaseCache, key: str, ttl: int) -> int:
    # LocMemCache.incr holds the cache's lock, so this is atomic within one process.
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # the entry expired between add and incr
        cache.add(key, 1, timeout=ttl)
        return 1


def fixed_window_hit(name: str, *, period: int, now: float | None = None) -> Hit:
    """Count one hit on `name` in the current window of `period` seconds; return the new count.

    On Redis this is INCR plus EXPIRE NX, pipelined into one round trip. The increment is atomic
    on the server, so N concurrent workers see N distinct counts (DRF's SimpleRateThrottle
    reads a history list, appends and writes it back, and loses updates under the same load).
    If the cache is down the caller gets 503: a limit that cannot be checked is not skipped.
    """
    now = time.time() if now is None else now
    window = int(now // period)
    key, ttl = f"rl:{name}:{window}", period + 1
    cache = caches["default"]
    try:
        count = _redis_incr(cache, key, ttl) if isinstance(cache, RedisCache) else _cache_incr(cache, key, ttl)
    except CACHE_ERRORS as exc:
        raise ServiceUnavailable("The rate-limit store is unavailable.", code="rate_limit_store_unavailable") from exc
    return Hit(count=count, retry_after=max(1, int((window + 1) * period - now + 0.999)))

"""Fixed-window counters on the shared cache, one atomic round trip per hit."""

import time
from typing import NamedTuple

from django.core.cache import BaseCache, caches
from django_redis.cache import RedisCache

from apiproject.cache import LocalCache
from apiproject.exceptions import CACHE_ERRORS, ServiceUnavailable  # noqa: F401 - CACHE_ERRORS is imported from here

# KEYS[1] the window's counter; KEYS[2], when given, a single-use claim (a signature nonce).
# A claim that is already taken counts nothing: a replayed request must not spend the app's
# budget. Returns {claimed, count}.
_HIT_SCRIPT = """
if #KEYS > 1 and not redis.call('SET', KEYS[2], 1, 'NX', 'EX', ARGV[2]) then
  return {0, 0}
end
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return {1, count}
"""


class Hit(NamedTuple):
    count: int
    retry_after: int  # seconds until the current window ends
    claimed: bool = True  # False: the claim was already taken, and nothing was counted


def _redis_hit(cache: RedisCache, key: str, ttl: int, claim: str | None, claim_ttl: int) -> tuple[bool, int]:
    client = cache.client.get_client(write=True)
    keys = [cache.make_key(key)] + ([cache.make_key(claim)] if claim else [])
    # EVALSHA: one round trip (redis-py loads the script on the first NOSCRIPT answer).
    claimed, count = client.register_script(_HIT_SCRIPT)(keys=keys, args=[ttl, claim_ttl])
    return bool(claimed), int(count)


def _cache_hit(cache: BaseCache, key: str, ttl: int, claim: str | None, claim_ttl: int) -> tuple[bool, int]:
    # Any other Django cache (memcached, a plain LocMemCache): add and incr are each atomic on
    # their own, so no update is lost, but the claim and the count take two round trips.
    if claim and not cache.add(claim, 1, timeout=claim_ttl):
        return False, 0
    try:
        return True, cache.incr(key)
    except ValueError:  # first hit of the window (or another thread's add just won)
        if cache.add(key, 1, timeout=ttl):
            return True, 1
        return True, cache.incr(key)


def fixed_window_hit(
    name: str, *, period: int, claim: str | None = None, claim_ttl: int = 0, now: float | None = None
) -> Hit:
    """Count one hit on `name` in the current window of `period` seconds; return the new count.

    On Redis this is one Lua script, so one round trip, atomic on the server: N concurrent
    workers see N distinct counts (DRF's SimpleRateThrottle reads a history list, appends and
    writes it back, and loses updates under the same load). With `claim`, the same round trip
    also sets that key once (SET NX EX) and counts only if it was free. If the cache is down
    the caller gets 503: a limit or a claim that cannot be checked is not skipped.
    """
    now = time.time() if now is None else now
    window = int(now // period)
    key, ttl = f"rl:{name}:{window}", period + 1
    cache = caches["default"]
    try:
        if isinstance(cache, RedisCache):
            claimed, count = _redis_hit(cache, key, ttl, claim, claim_ttl)
        elif isinstance(cache, LocalCache):  # in process: one step under one lock (apiproject.cache)
            claimed, count = cache.counter_hit(key, ttl, claim, claim_ttl)
        else:
            claimed, count = _cache_hit(cache, key, ttl, claim, claim_ttl)
    except CACHE_ERRORS as exc:
        raise ServiceUnavailable("The rate-limit store is unavailable.", code="rate_limit_store_unavailable") from exc
    return Hit(count=count, retry_after=max(1, int((window + 1) * period - now + 0.999)), claimed=claimed)

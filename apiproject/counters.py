"""Fixed-window counters on the shared cache, one atomic round trip per hit."""

import time
from collections.abc import Callable
from typing import NamedTuple

from django.core.cache import BaseCache, caches
from django_redis.cache import RedisCache
from redis.client import Pipeline
from redis.exceptions import NoScriptError

from apiproject.cache import LocalCache
from apiproject.exceptions import CACHE_ERRORS, ServiceUnavailable  # noqa: F401 - CACHE_ERRORS is imported from here

# KEYS[1] the window's counter. With a single-use claim (a signature nonce): KEYS[2] the claim
# and KEYS[3] the replay store's epoch marker (apiproject.replay). A claim that is already taken
# counts nothing: a replayed request must not spend the app's budget. ARGV: the counter's TTL,
# the claim's TTL, the caller's clock. Returns {claimed, count, epoch}.
_HIT_SCRIPT = """
local epoch = ''
if #KEYS > 1 then
  epoch = redis.call('GET', KEYS[3])
  if not epoch then
    -- A Redis that restarted (or was flushed) has forgotten every nonce: from now on, refuse
    -- whatever was signed before this moment. No TTL, so no volatile-* policy evicts it.
    epoch = ARGV[3]
    redis.call('SET', KEYS[3], epoch)
  end
  if not redis.call('SET', KEYS[2], 1, 'NX', 'EX', ARGV[2]) then
    return {0, 0, epoch}
  end
end
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return {1, count, epoch}
"""


class Hit(NamedTuple):
    count: int
    retry_after: int  # seconds until the current window ends
    claimed: bool = True  # False: the claim was already taken, and nothing was counted
    # With a claim: since when the store remembers every claim (apiproject.replay). A claim
    # whose value was issued before this may have been taken before the store lost its memory.
    epoch: float = 0.0


# Adds commands to the hit's pipeline (the usage count, clients.usage) and returns what reads
# their replies. It must never raise: a rider's failure must not refuse the request.
Rider = Callable[[Pipeline, RedisCache], Callable[[list], None]]


def _redis_hit(
    cache: RedisCache, key: str, ttl: int, claim: str | None, claim_ttl: int, now: float, rider: Rider | None
) -> tuple[bool, int, float]:
    from apiproject.replay import EPOCH_KEY

    client = cache.client.get_client(write=True)
    keys = [cache.make_key(key)] + ([cache.make_key(claim), cache.make_key(EPOCH_KEY)] if claim else [])
    args = [ttl, claim_ttl, repr(now)]
    script = client.register_script(_HIT_SCRIPT)
    if rider is None:
        # EVALSHA: one round trip (redis-py loads the script on the first NOSCRIPT answer).
        claimed, count, epoch = script(keys=keys, args=args)
        return bool(claimed), int(count), float(epoch or 0)
    # One pipeline, so one round trip, for the hit and the rider's commands. EVALSHA by hand:
    # a Script object in a pipeline costs an extra SCRIPT EXISTS round trip on every call.
    pipeline = client.pipeline(transaction=False)
    pipeline.evalsha(script.sha, len(keys), *keys, *args)
    on_results = rider(pipeline, cache)
    results = pipeline.execute(raise_on_error=False)
    on_results(results[1:])
    reply = results[0]
    if isinstance(reply, NoScriptError):  # once per Redis start: load the script, run it alone
        reply = script(keys=keys, args=args)
    elif isinstance(reply, Exception):
        raise reply
    claimed, count, epoch = reply
    return bool(claimed), int(count), float(epoch or 0)


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


def _cache_epoch(cache: BaseCache) -> float:
    # The replay store's epoch on any other cache: one more round trip, with claims only.
    from apiproject.replay import EPOCH_KEY

    return float(cache.get_or_set(EPOCH_KEY, time.time(), timeout=None))


def fixed_window_hit(
    name: str,
    *,
    period: int,
    claim: str | None = None,
    claim_ttl: int = 0,
    now: float | None = None,
    rider: Rider | None = None,
) -> Hit:
    """Count one hit on `name` in the current window of `period` seconds; return the new count.

    On Redis this is one Lua script, so one round trip, atomic on the server: N concurrent
    workers see N distinct counts (DRF's SimpleRateThrottle reads a history list, appends and
    writes it back, and loses updates under the same load). With `claim`, the same round trip
    also sets that key once (SET NX EX) and counts only if it was free, and reads the replay
    store's epoch into Hit.epoch (apiproject.replay). A `rider` adds its own commands to the
    same round trip on Redis (a pipeline); elsewhere it is ignored. If the cache is down the
    caller gets 503: a limit or a claim that cannot be checked is not skipped.
    """
    now = time.time() if now is None else now
    window = int(now // period)
    key, ttl = f"rl:{name}:{window}", period + 1
    cache = caches["default"]
    try:
        if isinstance(cache, RedisCache):
            claimed, count, epoch = _redis_hit(cache, key, ttl, claim, claim_ttl, time.time(), rider)
        elif isinstance(cache, LocalCache):  # in process: one step under one lock (apiproject.cache)
            claimed, count = cache.counter_hit(key, ttl, claim, claim_ttl)
            epoch = cache.replay_epoch
        else:
            epoch = _cache_epoch(cache) if claim else 0.0
            claimed, count = _cache_hit(cache, key, ttl, claim, claim_ttl)
    except CACHE_ERRORS as exc:
        raise ServiceUnavailable("The rate-limit store is unavailable.", code="rate_limit_store_unavailable") from exc
    retry_after = max(1, int((window + 1) * period - now + 0.999))
    return Hit(count=count, retry_after=retry_after, claimed=claimed, epoch=epoch)

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

# KEYS[1] the window's counter; ARGV[1] its TTL. Returns the count.
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class Window(NamedTuple):
    """The current window of one counter: its cache key, the key's TTL, and when it ends."""

    key: str
    ttl: int
    retry_after: int  # seconds until the window ends


class Hit(NamedTuple):
    count: int
    retry_after: int  # seconds until the current window ends


# Adds commands to a round trip's pipeline (the usage count, clients.usage) and returns what
# reads their replies. It must never raise: a rider's failure must not refuse the request.
Rider = Callable[[Pipeline, RedisCache], Callable[[list], None]]


def riders_chain(*riders: Rider | None) -> Rider | None:
    """Return one rider that queues each of `riders` in turn (None ones skipped), or None if none.

    Each rider's result handler is given the replies to its own commands only.
    """
    chained = [rider for rider in riders if rider is not None]
    if len(chained) <= 1:
        return chained[0] if chained else None

    def queue(pipeline: Pipeline, cache: RedisCache) -> Callable[[list], None]:
        handlers = []
        for rider in chained:
            queued_before = len(pipeline.command_stack)
            handlers.append((rider(pipeline, cache), len(pipeline.command_stack) - queued_before))

        def on_results(results: list) -> None:
            offset = 0
            for handler, count in handlers:
                handler(results[offset : offset + count])
                offset += count

        return on_results

    return queue


def fixed_window(name: str, *, period: int, now: float | None = None) -> Window:
    """Return the current window of `period` seconds of the counter `name`."""
    now = time.time() if now is None else now
    number = int(now // period)
    retry_after = max(1, int((number + 1) * period - now + 0.999))
    return Window(key=f"rl:{name}:{number}", ttl=period + 1, retry_after=retry_after)


def redis_script(cache: RedisCache, script: str, keys: list[str], args: list, rider: Rider | None) -> list | int:
    """Run one Lua script on Redis, and a rider's commands with it, in one round trip; return its reply.

    `keys` are the cache's keys before make_key. Without a rider this is EVALSHA (redis-py
    loads the script on the first NOSCRIPT answer); with one, a pipeline of the EVALSHA and the
    rider's commands. Raises what the cache raises (CACHE_ERRORS).
    """
    client = cache.client.get_client(write=True)
    keys = [cache.make_key(key) for key in keys]
    command = client.register_script(script)
    if rider is None:
        return command(keys=keys, args=args)
    # EVALSHA by hand: a Script object in a pipeline costs an extra SCRIPT EXISTS round trip.
    pipeline = client.pipeline(transaction=False)
    pipeline.evalsha(command.sha, len(keys), *keys, *args)
    on_results = rider(pipeline, cache)
    results = pipeline.execute(raise_on_error=False)
    on_results(results[1:])
    reply = results[0]
    if isinstance(reply, NoScriptError):  # once per Redis start: load the script, run it alone
        return command(keys=keys, args=args)
    if isinstance(reply, Exception):
        raise reply
    return reply


def _cache_incr(cache: BaseCache, key: str, ttl: int) -> int:
    # Any other Django cache (memcached, a plain LocMemCache): add and incr are each atomic.
    try:
        return cache.incr(key)
    except ValueError:  # first hit of the window (or another thread's add just won)
        if cache.add(key, 1, timeout=ttl):
            return 1
        return cache.incr(key)


def window_count(window: Window, *, rider: Rider | None = None) -> int:
    """Count one hit in `window` on the default cache; return the count. Raises CACHE_ERRORS."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return int(redis_script(cache, _COUNT_SCRIPT, [window.key], [window.ttl], rider))
    if isinstance(cache, LocalCache):  # in process: one step under one lock (apiproject.cache)
        return cache.store.incr(window.key, window.ttl)
    return _cache_incr(cache, window.key, window.ttl)


def fixed_window_hit(name: str, *, period: int, now: float | None = None, rider: Rider | None = None) -> Hit:
    """Count one hit on `name` in the current window of `period` seconds; return the new count.

    On Redis this is one Lua script, so one round trip, atomic on the server: N concurrent
    workers see N distinct counts (DRF's SimpleRateThrottle reads a history list, appends and
    writes it back, and loses updates under the same load). A `rider` adds its own commands to
    the same round trip on Redis (a pipeline); elsewhere it is ignored. If the cache is down the
    caller gets 503: a limit that cannot be checked is not skipped.
    """
    window = fixed_window(name, period=period, now=now)
    try:
        count = window_count(window, rider=rider)
    except CACHE_ERRORS as exc:
        raise ServiceUnavailable("The rate-limit store is unavailable.", code="rate_limit_store_unavailable") from exc
    return Hit(count=count, retry_after=window.retry_after)

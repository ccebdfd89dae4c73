"""The replay store: single-use values (signature nonces, DPoP and attestation `jti`s).

Every worker shares it (Redis), one atomic SET NX EX takes a value, and it closes the two holes
of an in-memory store that forgets:

- Restart or flush. Redis here keeps nothing on disk, so a restart forgets every nonce of the
  window. The store keeps an epoch marker (EPOCH_KEY, no TTL): when a claim finds it missing,
  it writes the current time there, and every value issued before that moment is refused,
  because it may have been taken before the store lost its memory.
- Eviction. Under memory pressure an `allkeys-*` or `volatile-*` policy evicts keys that carry
  a TTL, which every nonce does. `replay_store_problem` refuses to start on such a Redis unless
  it has no memory limit at all (see apiproject.startup).

Two operations: `nonce_claim` takes a value, and `nonce_claim_and_count` takes a value and
counts a hit in a fixed window (apiproject.counters) in the same round trip, for a request
whose app's throttle would otherwise make a round trip of its own.
"""

import enum
import hashlib
import math
import time

from django.core.cache import caches
from django_redis.cache import RedisCache

from apiproject.cache import LocalCache
from apiproject.counters import CACHE_ERRORS, Hit, Rider, Window, redis_script, window_count
from apiproject.exceptions import ServiceUnavailable

EPOCH_KEY = "replay:epoch"

# KEYS[1] the value's key, KEYS[2] the epoch marker; ARGV: the value's TTL, the caller's clock.
# Returns {claimed, epoch}.
_CLAIM_SCRIPT = """
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  -- A Redis that restarted (or was flushed) has forgotten every value: from now on, refuse
  -- whatever was issued before this moment. No TTL, so no volatile-* policy evicts it.
  epoch = ARGV[2]
  redis.call('SET', KEYS[2], epoch)
end
local claimed = redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) and 1 or 0
return {claimed, epoch}
"""

# _CLAIM_SCRIPT, then a counter's hit (apiproject.counters) only if the value was free: a
# replayed request must not spend the app's budget. KEYS[3] the window's counter; ARGV[3] its
# TTL. Returns {claimed, epoch, count}.
_CLAIM_AND_COUNT_SCRIPT = """
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[2], epoch)
end
if not redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then
  return {0, epoch, 0}
end
local count = redis.call('INCR', KEYS[3])
if count == 1 then
  redis.call('EXPIRE', KEYS[3], ARGV[3])
end
return {1, epoch, count}
"""


class Claim(enum.Enum):
    """What taking a single-use value found."""

    NEW = "new"  # the value was free; it is taken now
    REUSED = "reused"  # the value was taken before
    # Issued before the store's epoch: it may have been taken before the store lost its memory.
    PREDATES_MEMORY = "predates_memory"


class ReplayStoreUnavailable(ServiceUnavailable):
    default_detail = "The replay check is unavailable; try again later."
    default_code = "replay_store_unavailable"


def claim_key(namespace: str, value: str) -> str:
    """Return the store key of `value` in `namespace`: hashed, as a value may be any string."""
    return f"{namespace}:{hashlib.sha256(value.encode()).hexdigest()}"


def _claim(claimed: bool, epoch: float, issued_at: float) -> Claim:
    if not claimed:
        return Claim.REUSED
    # Compared in whole seconds, the unit of `created` and `iat`: a request signed in the very
    # second the store began its memory is accepted (otherwise every client's first call after
    # a Redis restart would be refused). A replay could slip through only if its original was
    # accepted in that same second, before the store lost its memory.
    return Claim.PREDATES_MEMORY if issued_at < math.floor(epoch) else Claim.NEW


def nonce_claim(key: str, *, ttl: int, issued_at: float, rider: Rider | None = None) -> Claim:
    """Take the value stored as `key` (see claim_key) for `ttl` seconds, once; say what was found.

    `issued_at` is the value's Unix time (a signature's `created`, a JWT's `iat`), compared
    with the store's epoch. One round trip on Redis, with the `rider`'s commands in it. Raises
    ReplayStoreUnavailable (503) when the store cannot be reached: never accept a value
    unchecked. `ttl` must cover the whole window in which the caller would accept the value.
    """
    cache = caches["default"]
    try:
        if isinstance(cache, RedisCache):
            claimed, epoch = redis_script(cache, _CLAIM_SCRIPT, [key, EPOCH_KEY], [ttl, repr(time.time())], rider)
        elif isinstance(cache, LocalCache):  # one process's memory, born with the process
            claimed, epoch = cache.store.claim(key, ttl), cache.store.epoch
        else:
            epoch = cache.get_or_set(EPOCH_KEY, time.time(), timeout=None)
            claimed = cache.add(key, 1, timeout=ttl)
    except CACHE_ERRORS as exc:
        raise ReplayStoreUnavailable() from exc
    return _claim(bool(claimed), float(epoch), issued_at)


def nonce_claim_and_count(
    key: str, *, ttl: int, issued_at: float, window: Window, rider: Rider | None = None
) -> tuple[Claim, Hit]:
    """Take a value as nonce_claim does and, only if it was free, count one hit in `window`.

    One round trip on Redis (one Lua script, with the `rider`'s commands in the same pipeline),
    one locked step in process; on any other cache, one operation each. A value taken before
    counts nothing (Hit.count 0). Raises ReplayStoreUnavailable (503) when the store cannot be
    reached: neither the value nor the limit is skipped.
    """
    cache = caches["default"]
    try:
        if isinstance(cache, RedisCache):
            keys, args = [key, EPOCH_KEY, window.key], [ttl, repr(time.time()), window.ttl]
            claimed, epoch, count = redis_script(cache, _CLAIM_AND_COUNT_SCRIPT, keys, args, rider)
        elif isinstance(cache, LocalCache):
            (claimed, count), epoch = cache.store.claim_and_incr(key, ttl, window.key, window.ttl), cache.store.epoch
        else:
            epoch = cache.get_or_set(EPOCH_KEY, time.time(), timeout=None)
            claimed = cache.add(key, 1, timeout=ttl)
            count = window_count(window) if claimed else 0
    except CACHE_ERRORS as exc:
        raise ReplayStoreUnavailable() from exc
    return _claim(bool(claimed), float(epoch), issued_at), Hit(count=int(count), retry_after=window.retry_after)


def replay_epoch_forget() -> None:
    """Set the epoch to 0, as if the store had never lost anything (tests, after a flush)."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        cache.client.get_client(write=True).set(cache.make_key(EPOCH_KEY), 0)
    elif isinstance(cache, LocalCache):
        cache.store.epoch = 0.0
    else:
        cache.set(EPOCH_KEY, 0.0, timeout=None)

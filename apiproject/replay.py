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
"""

import hashlib
import time

from django.core.cache import caches
from django_redis.cache import RedisCache

from apiproject.cache import LocalCache
from apiproject.counters import CACHE_ERRORS
from apiproject.exceptions import ServiceUnavailable

EPOCH_KEY = "replay:epoch"

# KEYS[1] the claim, KEYS[2] the epoch marker; ARGV: the claim's TTL, the caller's clock.
_CLAIM_SCRIPT = """
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[2], epoch)
end
local claimed = redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) and 1 or 0
return {claimed, epoch}
"""


class ReplayStoreUnavailable(ServiceUnavailable):
    default_detail = "The replay check is unavailable; try again later."
    default_code = "replay_store_unavailable"


def claim_key(namespace: str, value: str) -> str:
    """Return the store key of `value` in `namespace`: hashed, as a value may be any string."""
    return f"{namespace}:{hashlib.sha256(value.encode()).hexdigest()}"


def issued_before_epoch(issued_at: float, epoch: float) -> bool:
    """Return whether a value issued at `issued_at` predates the store's memory (so: refuse it)."""
    return issued_at < epoch


def nonce_claim(*, namespace: str, value: str, ttl: int, issued_at: float) -> bool:
    """Take `value` once in `namespace` for `ttl` seconds; return False if it cannot be new.

    False when the value was taken before, or when it was issued (`issued_at`, a Unix time:
    a signature's `created`, a JWT's `iat`) before the store's epoch. One round trip on Redis.
    Raises ReplayStoreUnavailable (503) when the store cannot be reached: never accept a value
    unchecked. `ttl` must cover the whole window in which the caller would accept the value.
    """
    cache = caches["default"]
    key = claim_key(namespace, value)
    try:
        if isinstance(cache, RedisCache):
            client = cache.client.get_client(write=True)
            keys = [cache.make_key(key), cache.make_key(EPOCH_KEY)]
            claimed, epoch = client.register_script(_CLAIM_SCRIPT)(keys=keys, args=[ttl, repr(time.time())])
            claimed, epoch = bool(claimed), float(epoch)
        elif isinstance(cache, LocalCache):  # one process's memory, born with the process
            claimed, epoch = cache.counter_claim(key, ttl), cache.replay_epoch
        else:
            epoch = float(cache.get_or_set(EPOCH_KEY, time.time(), timeout=None))
            claimed = cache.add(key, 1, timeout=ttl)
    except CACHE_ERRORS as exc:
        raise ReplayStoreUnavailable() from exc
    return claimed and not issued_before_epoch(issued_at, epoch)


def replay_epoch_forget() -> None:
    """Set the epoch to 0, as if the store had never lost anything (tests, after a flush)."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        cache.client.get_client(write=True).set(cache.make_key(EPOCH_KEY), 0)
    elif isinstance(cache, LocalCache):
        cache.replay_epoch = 0.0

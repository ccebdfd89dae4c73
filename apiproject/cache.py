"""The in-process cache for one-process setups (`make run`, tests without Redis).

Django's LocMemCache, plus a small store of single-use claims (signature nonces, DPoP and
attestation `jti`s, apiproject.replay) and fixed-window counters (apiproject.counters). They
are kept apart from LocMemCache's entries for one reason, correctness: once LocMemCache holds
MAX_ENTRIES (300 by default) it culls a third of its entries, live ones included. A culled
nonce is free again, so its signature could be replayed inside its window; a culled counter
restarts its window, so an app could go past its rate. Entries here live until they expire and
never less: when the store is full, expired entries are swept out, and if that frees no room a
new entry is refused (StoreFull, a 503) rather than a live one forgotten.

Like LocMemCache it is one process's memory: several gunicorn workers need Redis (REDIS_URL).
"""

import math
import threading
import time

from django.core.cache.backends.locmem import LocMemCache

# Shared by every instance of one LOCATION, as LocMemCache shares its entries: Django builds
# one cache instance per thread.
_stores: dict[str, "ClaimStore"] = {}
_stores_lock = threading.Lock()


class StoreFull(Exception):
    """A new entry is needed and `max_entries` are live; callers answer 503."""


class ClaimStore:
    """Single-use claims and fixed-window counts in one dictionary, each kept until it expires.

    The operations are Redis's, under one lock: `claim` is SET NX EX, `incr` is INCR with an
    EXPIRE on the first hit, and `claim_and_incr` is both in one step, as the replay store's
    one Lua call is on Redis. Expiry is wall-clock time, as signature freshness is: a nonce is
    kept for as long as check_freshness can accept its signature.
    """

    def __init__(self, max_entries: int) -> None:
        # The replay store's epoch (apiproject.replay): this memory began when the process did,
        # so a value issued before that may have been taken by the process that came before.
        self.epoch = time.time()
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[int, float]] = {}  # key -> (count, expires at)
        self._max_entries = max_entries
        self._next_expiry = math.inf  # no entry expires before this: until then a sweep frees nothing

    def claim(self, key: str, ttl: int) -> bool:
        """Take `key` for `ttl` seconds if it is free; return whether it was."""
        with self._lock:
            now = time.time()
            if self._live(key, now):
                return False
            self._make_room([key], now)
            self._set(key, 1, now + ttl)
            return True

    def incr(self, key: str, ttl: int) -> int:
        """Count one hit on `key`, which expires `ttl` seconds after its first; return the count."""
        with self._lock:
            now = time.time()
            self._make_room([key], now)
            return self._incr(key, ttl, now)

    def claim_and_incr(self, claim: str, claim_ttl: int, key: str, ttl: int) -> tuple[bool, int]:
        """Take `claim` if it is free and then count a hit on `key`; return (claimed, count).

        A claim that is taken counts nothing (count 0), and a full store takes neither.
        """
        with self._lock:
            now = time.time()
            if self._live(claim, now):
                return False, 0
            self._make_room([claim, key], now)
            self._set(claim, 1, now + claim_ttl)
            return True, self._incr(key, ttl, now)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._next_expiry = math.inf

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        entry = self._entries.get(key)
        return entry if entry is not None and entry[1] > now else None

    def _incr(self, key: str, ttl: int, now: float) -> int:
        entry = self._live(key, now)
        if entry is None:
            self._set(key, 1, now + ttl)
            return 1
        self._entries[key] = (entry[0] + 1, entry[1])
        return entry[0] + 1

    def _set(self, key: str, count: int, expires: float) -> None:
        self._entries[key] = (count, expires)
        self._next_expiry = min(self._next_expiry, expires)

    def _make_room(self, keys: list[str], now: float) -> None:
        # Raise StoreFull unless `keys` fit; sweep out expired entries first if any may be.
        if self._fits(keys):
            return
        if now >= self._next_expiry:
            self._entries = {key: entry for key, entry in self._entries.items() if entry[1] > now}
            self._next_expiry = min((expires for _, expires in self._entries.values()), default=math.inf)
        if not self._fits(keys):
            raise StoreFull()

    def _fits(self, keys: list[str]) -> bool:
        return len(self._entries) + sum(key not in self._entries for key in keys) <= self._max_entries


class LocalCache(LocMemCache):
    """LocMemCache with a ClaimStore (`store`) whose claims and counters are never culled.

    OPTIONS["MAX_COUNTERS"] bounds the store's live entries (default 1,000,000, about 200 MB);
    past it, operations that need a new entry raise StoreFull (503) until some expire. The
    store's keys need no KEY_PREFIX or version: the store is this LOCATION's alone.
    """

    def __init__(self, name: str, params: dict) -> None:
        super().__init__(name, params)
        max_entries = int(params.get("OPTIONS", {}).get("MAX_COUNTERS", 1_000_000))
        with _stores_lock:
            self.store = _stores.setdefault(name, ClaimStore(max_entries))

    def clear(self) -> None:
        super().clear()
        self.store.clear()

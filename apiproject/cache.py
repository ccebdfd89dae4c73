"""The in-process cache for one-process setups (`make run`, tests without Redis).

Django's LocMemCache, plus the one operation apiproject.counters needs: count a hit in a
fixed window and, in the same step, take a single-use claim (a signature nonce). On Redis that
step is a Lua script; here it is a dictionary update under a lock. Kept apart from the
LocMemCache entries for two reasons:

- LocMemCache evicts its oldest entries beyond MAX_ENTRIES (300 by default). An evicted nonce
  could be replayed and an evicted counter would restart its window. Counters and claims here
  live until they expire, and never longer.
- LocMemCache pickles every value; `incr` unpickles and pickles again. Plain integers are
  several times cheaper on the hot path of every request that names an app.

Like LocMemCache it is one process's memory: several gunicorn workers need Redis (REDIS_URL).
"""

import heapq
import threading
import time

from django.core.cache.backends.locmem import LocMemCache

# Shared by every instance of one LOCATION, as LocMemCache shares its entries: Django builds
# one cache instance per thread.
_stores: dict[str, "CounterStore"] = {}
_stores_lock = threading.Lock()


class CounterStoreFull(Exception):
    """A hit needs a new entry and `max_entries` are live; apiproject.counters answers 503."""


class CounterStore:
    """Fixed-window counts and single-use claims, each dropped once it expires.

    One dictionary holds both (a claim is an entry that is never counted up), and a heap of
    deadlines drops them in expiry order as hits arrive: no periodic sweep, O(log n) per new
    entry. With `max_entries` live, a hit that needs a new entry is refused (CounterStoreFull),
    rather than an old limit or nonce being forgotten; hits on live counters go on.

    Deadlines are wall-clock time, as signature freshness is: a nonce is kept for as long as
    check_freshness can accept its signature. A clock set back keeps entries longer; a clock
    set forward and back again can drop a live nonce early, as Redis's expiry would.
    """

    def __init__(self, max_entries: int) -> None:
        # The replay store's epoch (apiproject.replay): this memory began when the process did,
        # so a claim issued before that may have been taken by the process that came before.
        self.epoch = time.time()
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[int, float]] = {}  # key -> (count, expires at)
        self._deadlines: list[tuple[float, str]] = []  # a heap of (expires at, key)
        self._max_entries = max_entries

    def hit(self, key: str, ttl: int, claim: str | None = None, claim_ttl: int = 0) -> tuple[bool, int]:
        """Take `claim` if it is free, then count one hit on `key`; return (claimed, count).

        A claim that is taken counts nothing, as in the Redis script.
        """
        with self._lock:
            now = time.time()
            self._expire(now)
            entries = self._entries
            if claim and claim in entries:
                return False, 0
            entry = entries.get(key)
            if len(entries) + bool(claim) + (entry is None) > self._max_entries:
                raise CounterStoreFull()
            if claim:
                self._insert(claim, now + claim_ttl)
            if entry is None:
                self._insert(key, now + ttl)
                return True, 1
            entries[key] = (entry[0] + 1, entry[1])
            return True, entry[0] + 1

    def claim(self, key: str, ttl: int) -> bool:
        """Take `key` for `ttl` seconds if it is free; return whether it was."""
        with self._lock:
            now = time.time()
            self._expire(now)
            if key in self._entries:
                return False
            if len(self._entries) >= self._max_entries:
                raise CounterStoreFull()
            self._insert(key, now + ttl)
            return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._deadlines.clear()

    def _insert(self, key: str, expires: float) -> None:
        self._entries[key] = (1, expires)
        heapq.heappush(self._deadlines, (expires, key))

    def _expire(self, now: float) -> None:
        deadlines, entries = self._deadlines, self._entries
        while deadlines and deadlines[0][0] <= now:
            expires, key = heapq.heappop(deadlines)
            if key in entries and entries[key][1] == expires:
                del entries[key]


class LocalCache(LocMemCache):
    """LocMemCache with counters and claims that are never evicted early (see the module text).

    OPTIONS["MAX_COUNTERS"] bounds the live counters and claims (default 1,000,000, about
    200 MB); past it, hits that need a new entry raise CounterStoreFull (503) until some expire.
    """

    def __init__(self, name: str, params: dict) -> None:
        super().__init__(name, params)
        max_entries = int(params.get("OPTIONS", {}).get("MAX_COUNTERS", 1_000_000))
        with _stores_lock:
            self._counters = _stores.setdefault(name, CounterStore(max_entries))

    def counter_hit(self, key: str, ttl: int, claim: str | None = None, claim_ttl: int = 0) -> tuple[bool, int]:
        """One atomic step: take `claim` if free, then count a hit on `key` (see CounterStore.hit).

        The keys need no KEY_PREFIX or version: the store is this LOCATION's alone.
        """
        return self._counters.hit(key, ttl, claim, claim_ttl)

    def counter_claim(self, key: str, ttl: int) -> bool:
        """Take a single-use claim on `key` for `ttl` seconds; False if it is taken."""
        return self._counters.claim(key, ttl)

    @property
    def replay_epoch(self) -> float:
        """Since when this process's store remembers every claim: the process's start."""
        return self._counters.epoch

    @replay_epoch.setter
    def replay_epoch(self, epoch: float) -> None:
        self._counters.epoch = epoch

    def clear(self) -> None:
        super().clear()
        self._counters.clear()

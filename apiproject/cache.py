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

import threading
import time

from django.core.cache.backends.locmem import LocMemCache

# Shared by every instance of one LOCATION, as LocMemCache shares its entries: Django builds
# one cache instance per thread.
_stores: dict[str, "CounterStore"] = {}
_stores_lock = threading.Lock()


class CounterStoreFull(Exception):
    """Every slot holds a live counter or claim; apiproject.counters answers 503."""


class CounterStore:
    """Fixed-window counts and single-use claims, each dropped once it expires."""

    SWEEP_SECONDS = 30.0

    def __init__(self, max_entries: int) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (count, expires at)
        self._claims: dict[str, float] = {}  # key -> expires at
        self._max_entries = max_entries
        self._next_sweep = 0.0

    def hit(self, key: str, ttl: int, claim: str | None = None, claim_ttl: int = 0) -> tuple[bool, int]:
        """Take `claim` if it is free, then count one hit on `key`; return (claimed, count).

        A claim that is taken counts nothing, as in the Redis script.
        """
        # Wall-clock time, as signature freshness uses: a nonce must be remembered for as long as
        # check_freshness would accept its signature, whichever way the clock is set.
        now = time.time()
        with self._lock:
            if not self._next_sweep - self.SWEEP_SECONDS <= now < self._next_sweep:  # due, or the clock jumped back
                self._sweep(now)
            if len(self._counts) + len(self._claims) >= self._max_entries:
                # Refuse rather than forget a limit or a nonce; look again for expired ones soon.
                self._next_sweep = min(self._next_sweep, now + 1.0)
                raise CounterStoreFull()
            if claim:
                if self._claims.get(claim, 0.0) > now:
                    return False, 0
                self._claims[claim] = now + claim_ttl
            count, expires = self._counts.get(key, (0, 0.0))
            if expires <= now:
                count, expires = 0, now + ttl
            self._counts[key] = (count + 1, expires)
            return True, count + 1

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._claims.clear()

    def _sweep(self, now: float) -> None:
        self._counts = {key: entry for key, entry in self._counts.items() if entry[1] > now}
        self._claims = {key: expires for key, expires in self._claims.items() if expires > now}
        self._next_sweep = now + self.SWEEP_SECONDS


class LocalCache(LocMemCache):
    """LocMemCache with counters and claims that are never evicted early (see the module text).

    OPTIONS["MAX_COUNTERS"] bounds the live counters and claims (default 1,000,000); past it,
    hits raise CounterStoreFull (503) until entries expire.
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

    def clear(self) -> None:
        super().clear()
        self._counters.clear()

"""A bounded map whose entries expire a fixed time after they are set.

The per-process caches in front of API key lookups (accounts.selectors) and JWT verification
(accounts.jwt_codec) sit on every request that carries a key or a token. cachetools' TTLCache, used
there before, keeps a linked list and enters a timer context on every access: with the lock it
needs, about 1.5 µs per hit. With one time-to-live for every entry, insertion order is expiry
order, so an OrderedDict is enough: a read is one dictionary lookup in C (atomic under the GIL,
so no lock), and a write, under a lock, drops expired entries from the front and then the
oldest while the map is full.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class ExpiringMap:
    """At most `maxsize` entries, each readable for `ttl` seconds after it was set."""

    def __init__(self, *, maxsize: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._maxsize = maxsize
        self._ttl = ttl
        self._clock = clock

    def get(self, key: Hashable, default: Any = None) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self._clock():
            return default
        return entry[1]

    def set(self, key: Hashable, value: Any) -> None:
        with self._lock:
            now = self._clock()
            entries = self._entries
            entries.pop(key, None)  # set again: it moves to the back, with a new deadline
            while entries and (len(entries) >= self._maxsize or next(iter(entries.values()))[0] <= now):
                entries.popitem(last=False)
            entries[key] = (now + self._ttl, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

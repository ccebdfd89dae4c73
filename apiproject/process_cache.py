"""A bounded per-process cache whose entries expire a fixed time after they are set.

The caches in front of API key lookups (clients.selectors), JWT verification (apiproject.jwt_verification)
and the attestation and certificate lookups sit on every request that carries a credential:
each worker keeps its own, so a hit costs no round trip to the shared store. cachetools'
TTLCache holds the entries; it is not thread-safe, so every access takes one lock.
"""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import TTLCache


class ProcessCache:
    """At most `maxsize` entries, each readable for `ttl` seconds after it was set."""

    def __init__(self, *, maxsize: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: TTLCache[Hashable, Any] = TTLCache(maxsize=maxsize, ttl=ttl, timer=clock)
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            return self._entries.get(key, default)

    def set(self, key: Hashable, value: Any) -> None:
        # Set again, an entry gets a new deadline; a full cache drops its oldest entry.
        with self._lock:
            self._entries[key] = value

    def pop(self, key: Hashable) -> None:
        """Forget the entry for `key`, if there is one."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

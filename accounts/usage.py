"""Per-app usage counting: aggregated in process memory, flushed to the database periodically."""

import atexit
import threading
import time
from collections import Counter
from datetime import date

from django.conf import settings

# (client_pk, key_pk or None, day, route, status, ip, user_agent) -> calls since the last flush
Bucket = tuple[int, int | None, date, str, int, str, str]

_lock = threading.Lock()
_pending: Counter[Bucket] = Counter()
_last_flush = time.monotonic()


def usage_record(bucket: Bucket) -> None:
    """Count one call; flush to the database when API_USAGE_FLUSH_SECONDS have passed.

    Counting in memory keeps the request path free of database writes and cache round trips;
    the price is that a worker killed without a graceful shutdown loses its unflushed counts.
    """
    global _last_flush
    with _lock:
        _pending[bucket] += 1
        due = time.monotonic() - _last_flush >= settings.API_USAGE_FLUSH_SECONDS
        if due:
            _last_flush = time.monotonic()
    if due:
        usage_flush()


def usage_flush() -> int:
    """Write this process's pending counts to the database; return how many buckets were written."""
    from accounts.services import usage_buckets_add

    with _lock:
        batch = dict(_pending)
        _pending.clear()
    if batch:
        usage_buckets_add(batch=batch)
    return len(batch)


def usage_discard() -> None:
    """Drop pending counts without writing them (tests)."""
    with _lock:
        _pending.clear()


def _flush_at_exit() -> None:
    try:
        usage_flush()
    except Exception:  # noqa: BLE001 - the process is going away; never mask its exit
        pass


atexit.register(_flush_at_exit)

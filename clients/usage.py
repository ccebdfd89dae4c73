"""Per-app usage counting: off the request's critical path, bounded, and not lost to a crash.

Two stores, chosen by the shared cache:

- Redis (several workers). A request's count rides the round trip of its app's throttle (one
  pipeline, apiproject.counters): it is added to a hash of pending counts under status 0, "in
  flight", because the status is not known yet. When the response is known, the move of that
  count from status 0 to the real status is queued in process memory and sent in this worker's
  next pipeline. A worker killed with -9 therefore loses no count: at most its last move, and
  that count stays, under status 0 ("unknown"). `manage.py flush_usage`, run every few seconds
  beside the server, renames the hash and writes it to the database; the renamed copy is deleted
  only once the database has committed, so a failed write loses nothing.
- Process memory (one process, no Redis): a Counter, written by whichever request crosses
  API_USAGE_FLUSH_SECONDS (and at exit); a failed write puts the batch back.

Bounded: per app and day at most API_USAGE_MAX_DISTINCT user agents and as many source IPs
are kept; later ones are counted as "other", so random User-Agents cannot grow the table (or
the flush) without end. A usage failure is logged and never changes a response.
"""

import atexit
import functools
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.utils import timezone
from django_redis.cache import RedisCache
from redis.client import Pipeline
from redis.exceptions import NoScriptError

from apiproject.client_ip import client_ip
from apiproject.counters import Rider
from apiproject.identity import AppIdentity

logger = logging.getLogger(__name__)

# (client_pk, key_pk or None, day, route, status, ip, user_agent) -> calls; no key_pk for an app
# identified by a client attestation (attestation app), which names the app but no key.
Bucket = tuple[int, int | None, date, str, int, str, str]

OTHER = "other"  # the value counted for user agents and IPs past the day's distinct limit
IN_FLIGHT = 0  # the status of a count whose response is not known yet, or never was
PENDING_KEY = "usage:pending"
FLUSHING_PREFIX = "usage:flushing:"
FLUSH_LOCK_KEY = "usage:flush-lock"
DISTINCT_TTL = 2 * 86400  # the sets of the day's agents and IPs outlive the day, then go

# KEYS[1] the pending counts, KEYS[2] the app's agents of the day, KEYS[3] its IPs of the day.
# ARGV: the distinct limit, the sets' TTL, then client, key, day, route, status, ip, agent.
# Returns the hash field counted: the bucket as a JSON array, past-limit values as "other".
_COUNT_SCRIPT = """
local function kept(set, value, limit, ttl)
  if redis.call('SISMEMBER', set, value) == 1 then
    return value
  end
  if redis.call('SCARD', set) < limit then
    redis.call('SADD', set, value)
    redis.call('EXPIRE', set, ttl)
    return value
  end
  return 'other'
end
local limit = tonumber(ARGV[1])
local agent = kept(KEYS[2], ARGV[9], limit, ARGV[2])
local ip = kept(KEYS[3], ARGV[8], limit, ARGV[2])
local key = tonumber(ARGV[4]) or cjson.null
local field = cjson.encode({tonumber(ARGV[3]), key, ARGV[5], ARGV[6], tonumber(ARGV[7]), ip, agent})
redis.call('HINCRBY', KEYS[1], field, 1)
return field
"""

_lock = threading.Lock()
_pending: Counter[Bucket] = Counter()  # process memory: counts since the last flush
_distinct: dict[tuple[int, date], tuple[set[str], set[str]]] = {}  # process memory: (agents, IPs)
_moves: list[tuple[str, int]] = []  # Redis: (field counted in flight, final status) not yet sent
_last_flush = time.monotonic()


_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


@functools.lru_cache(maxsize=1024)  # one entry per URL pattern of the project
def route_name(pattern: str) -> str:
    """Turn a resolved URL pattern into a readable route: `api/v1/purchases/<pk>`."""
    return _GROUP.sub(r"<\1>", pattern).replace("^", "").replace("$", "").replace("/?", "")


def _redis_cache() -> RedisCache | None:
    cache = caches["default"]
    return cache if isinstance(cache, RedisCache) else None


def request_bucket(request: HttpRequest, app: AppIdentity, *, status: int) -> Bucket:
    """Return the bucket a request of `app` is counted in, with `status` (IN_FLIGHT before the response)."""
    match = request.resolver_match
    return (
        app.client_pk,
        app.key_pk,
        timezone.now().date(),
        # The route pattern, not the path: /purchases/<int:pk>/ is one row, not one per id.
        route_name(match.route) if match else "",
        status,
        client_ip(request),
        request.META.get("HTTP_USER_AGENT", "")[:256],
    )


# --- Redis: counted in the throttle's round trip ----------------------------------------------


def _queue_count(pipeline: Pipeline, cache: RedisCache, bucket: Bucket) -> tuple[list, list]:
    client_pk, key_pk, day, route, status, ip, agent = bucket
    keys = [
        cache.make_key(PENDING_KEY),
        cache.make_key(f"usage:agents:{client_pk}:{day.isoformat()}"),
        cache.make_key(f"usage:ips:{client_pk}:{day.isoformat()}"),
    ]
    key = "" if key_pk is None else key_pk
    args = [settings.API_USAGE_MAX_DISTINCT, DISTINCT_TTL, client_pk, key, day.isoformat(), route, status, ip, agent]
    pipeline.evalsha(cache.client.get_client(write=True).register_script(_COUNT_SCRIPT).sha, len(keys), *keys, *args)
    return keys, args


def _take_moves() -> list[tuple[str, int]]:
    with _lock:
        moves = list(_moves)
        _moves.clear()
    return moves


def _queue_moves(pipeline: Pipeline, cache: RedisCache, moves: list[tuple[str, int]]) -> None:
    pending = cache.make_key(PENDING_KEY)
    for field, status in moves:
        bucket = json.loads(field)
        bucket[4] = status
        pipeline.hincrby(pending, field, -1)
        pipeline.hincrby(pending, json.dumps(bucket), 1)


def _log_failed_moves(results: list) -> None:
    # A move that failed is not sent again (half of it may have applied): its count stays,
    # under status 0 or twice under both, and the failure is logged.
    failed = sum(isinstance(result, Exception) for result in results)
    if failed:
        logger.warning("usage: %d status move commands failed", failed)


def usage_rider(request: HttpRequest, app: AppIdentity) -> Rider | None:
    """Return what adds this request's count to the throttle's pipeline, or None.

    None for OAuth2 apps (not API clients: not counted here), or when there is no Redis.
    The rider queues the in-flight count and this worker's pending status moves; its result
    handler records on the request which field was counted, for UsageMiddleware.
    """
    if app.client_pk is None or _redis_cache() is None or getattr(request, "usage_field", None) is not None:
        return None
    bucket = request_bucket(request, app, status=IN_FLIGHT)

    def queue(pipeline: Pipeline, cache: RedisCache) -> Callable[[list], None]:
        keys, args = _queue_count(pipeline, cache, bucket)
        moves = _take_moves()
        _queue_moves(pipeline, cache, moves)

        def on_results(results: list) -> None:
            try:
                field = results[0]
                if isinstance(field, NoScriptError):  # once per Redis start: load it, run it alone
                    field = cache.client.get_client(write=True).register_script(_COUNT_SCRIPT)(keys=keys, args=args)
                if isinstance(field, Exception):
                    raise field
                request.usage_field = field.decode() if isinstance(field, bytes) else field
                _log_failed_moves(results[1:])
            except Exception:  # noqa: BLE001 - usage never changes a response
                logger.exception("usage: count not recorded")

        return on_results

    return queue


def _redis_record(cache: RedisCache, bucket: Bucket) -> None:
    # A request that made no throttle round trip (refused before the throttle ran): its own.
    pipeline = cache.client.get_client(write=True).pipeline(transaction=False)
    keys, args = _queue_count(pipeline, cache, bucket)
    moves = _take_moves()
    _queue_moves(pipeline, cache, moves)
    results = pipeline.execute(raise_on_error=False)
    if isinstance(results[0], NoScriptError):
        cache.client.get_client(write=True).register_script(_COUNT_SCRIPT)(keys=keys, args=args)
    elif isinstance(results[0], Exception):
        raise results[0]
    _log_failed_moves(results[1:])


def _send_moves(cache: RedisCache) -> None:
    moves = _take_moves()
    if moves:
        pipeline = cache.client.get_client(write=True).pipeline(transaction=False)
        _queue_moves(pipeline, cache, moves)
        _log_failed_moves(pipeline.execute(raise_on_error=False))


# --- Process memory ---------------------------------------------------------------------------


def _bounded(bucket: Bucket) -> Bucket:
    # Called under _lock. The same rule as the Redis script: the first N of the day are kept.
    client_pk, key_pk, day, route, status, ip, agent = bucket
    agents, ips = _distinct.setdefault((client_pk, day), (set(), set()))
    limit = settings.API_USAGE_MAX_DISTINCT
    if agent not in agents:
        if len(agents) < limit:
            agents.add(agent)
        else:
            agent = OTHER
    if ip not in ips:
        if len(ips) < limit:
            ips.add(ip)
        else:
            ip = OTHER
    return client_pk, key_pk, day, route, status, ip, agent


def _memory_flush() -> int:
    from clients.services import usage_buckets_add

    with _lock:
        batch = dict(_pending)
        _pending.clear()
        yesterday = timezone.now().date() - timedelta(days=1)
        for key in [key for key in _distinct if key[1] < yesterday]:
            del _distinct[key]
    if not batch:
        return 0
    try:
        usage_buckets_add(batch=batch)
    except Exception:
        with _lock:
            _pending.update(batch)  # written next time: a failed write loses nothing
        raise
    return len(batch)


# --- The request path and the flush -----------------------------------------------------------


def usage_record(request: HttpRequest, app: AppIdentity, *, status: int) -> None:
    """Count one finished request of `app`; log, never raise, on any failure of the store."""
    global _last_flush
    try:
        cache = _redis_cache()
        if cache is not None:
            field = getattr(request, "usage_field", None)
            if field is not None:  # counted in flight by the throttle's round trip
                with _lock:
                    _moves.append((field, status))
            else:
                _redis_record(cache, request_bucket(request, app, status=status))
            return
        with _lock:
            _pending[_bounded(request_bucket(request, app, status=status))] += 1
            due = time.monotonic() - _last_flush >= settings.API_USAGE_FLUSH_SECONDS
            if due:
                _last_flush = time.monotonic()
        if due:
            _memory_flush()
    except Exception:  # noqa: BLE001 - usage never changes a response
        logger.exception("usage: count not recorded")


def usage_flush() -> int:
    """Write pending counts to the database; return how many buckets were written.

    On Redis: this process's status moves first, then every pending count of every worker
    (`manage.py flush_usage`); in process memory: this process's counts. Raises when the
    database or Redis fails; what was not written stays pending for the next flush.
    """
    cache = _redis_cache()
    if cache is None:
        return _memory_flush()
    return _redis_flush(cache)


def _redis_flush(cache: RedisCache) -> int:
    from uuid import uuid4

    from clients.services import usage_buckets_add

    client = cache.client.get_client(write=True)
    _send_moves(cache)
    # One flusher at a time, so no batch is written twice by two overlapping runs.
    lock = client.lock(cache.make_key(FLUSH_LOCK_KEY), timeout=300, blocking=False)
    if not lock.acquire():
        return 0
    try:
        # RENAME is atomic: counts arriving from now on go to a new hash.
        if client.exists(cache.make_key(PENDING_KEY)):
            client.rename(cache.make_key(PENDING_KEY), cache.make_key(f"{FLUSHING_PREFIX}{uuid4().hex}"))
        # This run's batch and any that an earlier run failed to write, in one transaction.
        keys = list(client.scan_iter(match=cache.make_key(f"{FLUSHING_PREFIX}*")))
        batch: Counter[Bucket] = Counter()
        for key in keys:
            for field, count in client.hgetall(key).items():
                client_pk, key_pk, day, route, status, ip, agent = json.loads(field)
                batch[(client_pk, key_pk, date.fromisoformat(day), route, status, ip, agent)] += int(count)
        batch = Counter({bucket: n for bucket, n in batch.items() if n})
        if batch:
            usage_buckets_add(batch=dict(batch))
        if keys:
            client.delete(*keys)  # only now: a failed write above left them for the next run
        return len(batch)
    finally:
        lock.release()


def usage_discard() -> None:
    """Drop this process's pending counts and moves without writing them (tests)."""
    with _lock:
        _pending.clear()
        _distinct.clear()
        _moves.clear()


def _flush_at_exit() -> None:
    try:
        cache = _redis_cache()
        if cache is not None:
            _send_moves(cache)
        else:
            _memory_flush()
    except Exception:  # noqa: BLE001 - the process is going away; never mask its exit
        logger.exception("usage: not flushed at exit")


atexit.register(_flush_at_exit)

"""Generation tags: a random value on the shared store, replaced whenever what it names changes.

A worker that keeps a copy of a row in its own memory (accounts.user_cache: the users that
access tokens name) reads the row's tag *before* it loads the row, keeps the copy with that tag,
and uses the copy only while the store still holds the same tag. Whoever changes the row sets a
new tag once the change is committed (`generation_next`): from the next request on, every worker
refuses its copy, including a copy loaded while the change was in flight, which carries the old
tag. A tag that is gone (expired, or Redis restarted or was flushed) reads as None, which no
copy carries: every loss makes workers reload, none makes them keep a stale copy.

On Redis the tags are shared by every worker and host. Without Redis the server is one process
(apiproject.startup refuses more), and the tags live in that process's memory.
"""

import secrets
import threading
from collections.abc import Callable

from django.core.cache import caches
from django_redis.cache import RedisCache
from redis.client import Pipeline

# A tag outlives by far the copies kept under it (seconds), so its expiry only costs a reload.
TAG_TTL = 86_400
LOCAL_TAGS = 100_000  # without Redis: past this many the table starts afresh, which costs reloads


class _LocalTags:
    """The tags of a server without Redis (one process): a dict, written under a lock.

    Reads take no lock (a dict lookup is atomic in CPython). A table that outgrows LOCAL_TAGS
    forgets every tag, which makes every copy reload and keeps none stale.
    """

    def __init__(self) -> None:
        self._tags: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        return self._tags.get(key)

    def setdefault(self, key: str, tag: str) -> str:
        with self._lock:
            self._room()
            return self._tags.setdefault(key, tag)

    def set(self, key: str, tag: str) -> None:
        with self._lock:
            self._room()
            self._tags[key] = tag

    def clear(self) -> None:
        with self._lock:
            self._tags.clear()

    def _room(self) -> None:
        if len(self._tags) >= LOCAL_TAGS:
            self._tags.clear()


_local_tags = _LocalTags()


def _redis() -> RedisCache | None:
    cache = caches["default"]
    return cache if isinstance(cache, RedisCache) else None


def _new_tag() -> str:
    return secrets.token_hex(8)  # 64 random bits: a new tag never repeats an old one


class GenerationRead:
    """Reads tags inside another round trip's pipeline (an apiproject.counters.Rider).

    After the pipeline ran, `done` says whether the reply came back, and `tags` holds one tag
    per key (None where there is none). A failed read leaves `done` False: the caller reads on
    its own, and a store that cannot answer raises there.
    """

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self.tags: tuple[str | None, ...] = (None,) * len(keys)
        self.done = False

    def rider(self, pipeline: Pipeline, cache: RedisCache) -> Callable[[list], None]:
        pipeline.mget([cache.make_key(key) for key in self.keys])

        def on_results(results: list) -> None:
            if results and isinstance(results[0], list):
                self.tags, self.done = _decoded(results[0]), True

        return on_results


def _decoded(replies: list) -> tuple[str | None, ...]:
    return tuple(reply.decode() if isinstance(reply, bytes) else None for reply in replies)


def generations_read(keys: tuple[str, ...]) -> tuple[str | None, ...]:
    """Return the current tag of each key (None where there is none). Raises what the cache raises."""
    cache = _redis()
    if cache is None:
        return tuple(_local_tags.get(key) for key in keys)
    # The primary (write=True), never a replica that may lag behind a renewal.
    return _decoded(cache.client.get_client(write=True).mget([cache.make_key(key) for key in keys]))


def generations_current(keys: tuple[str, ...]) -> tuple[str, ...]:
    """Return the tag of each key, giving a new one first to each key that has none (one step each)."""
    cache = _redis()
    tags = tuple(_new_tag() for _ in keys)
    if cache is None:
        return tuple(_local_tags.setdefault(key, tag) for key, tag in zip(keys, tags, strict=True))
    pipeline = cache.client.get_client(write=True).pipeline(transaction=True)  # MULTI: atomic, one round trip
    for key, tag in zip(keys, tags, strict=True):
        pipeline.set(cache.make_key(key), tag, ex=TAG_TTL, nx=True)  # ours, unless one is there
        pipeline.get(cache.make_key(key))  # the one that is there now
    return _decoded(pipeline.execute()[1::2])


def generation_next(key: str) -> None:
    """Give `key` a new tag: every copy kept under an older one is refused from now on."""
    cache = _redis()
    if cache is None:
        _local_tags.set(key, _new_tag())
        return
    cache.client.get_client(write=True).set(cache.make_key(key), _new_tag(), ex=TAG_TTL)


def generations_forget() -> None:
    """Forget every tag kept in this process's memory (tests; the Redis ones go with a flush)."""
    _local_tags.clear()

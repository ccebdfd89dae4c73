"""Generation tags (apiproject/generations.py), on whichever store the tests run with."""

import pytest
from django.core.cache import caches

from apiproject.counters import fixed_window_hit, riders_chain
from apiproject.generations import (
    GenerationRead,
    generation_next,
    generations_current,
    generations_forget,
    generations_read,
)

KEYS = ("gen:test:a", "gen:test:b")


def test_key_without_a_tag_reads_none():
    assert generations_read(KEYS) == (None, None)


def test_current_gives_a_tag_once_and_then_returns_it():
    first = generations_current(KEYS)

    assert None not in first and first[0] != first[1]
    assert generations_current(KEYS) == first
    assert generations_read(KEYS) == first


def test_next_replaces_the_tag_with_one_never_seen():
    first, other = generations_current(KEYS)
    seen = {first}
    for _ in range(50):
        generation_next(KEYS[0])
        seen.add(generations_read(KEYS)[0])

    assert len(seen) == 51
    assert generations_read(KEYS)[1] == other  # the other key untouched


def test_lost_tags_read_none():
    generations_current(KEYS)

    caches["default"].clear()  # Redis flushed; in process, the cache cleared ...
    generations_forget()  # ... and the process's tags forgotten

    assert generations_read(KEYS) == (None, None)


@pytest.mark.redis
def test_read_rides_another_round_trip_with_every_riders_replies_apart():
    tags = generations_current(KEYS)
    read, other = GenerationRead(KEYS), []

    def incr(pipeline, cache):
        pipeline.incr(cache.make_key("test:other"))
        return other.extend

    hit = fixed_window_hit("test:window", period=60, rider=riders_chain(None, incr, read.rider))

    assert hit.count == 1
    assert read.done and read.tags == tags
    assert other == [1]


def test_read_outside_redis_is_left_undone():
    read = GenerationRead(KEYS)

    fixed_window_hit("test:window", period=60, rider=read.rider)

    if "Redis" not in type(caches["default"]).__name__:
        assert not read.done and read.tags == (None, None)  # the caller then reads on its own


def test_chain_of_no_riders_is_none():
    assert riders_chain(None, None) is None


@pytest.mark.redis
def test_tags_are_read_and_written_on_the_primary_never_a_replica(monkeypatch):
    client = caches["default"].client
    asked, get_client = [], client.get_client

    def recording(write=True, **kwargs):
        asked.append(write)
        return get_client(write=write, **kwargs)

    monkeypatch.setattr(client, "get_client", recording)
    generations_read(KEYS)
    generations_current(KEYS)
    generation_next(KEYS[0])

    assert asked == [True, True, True]  # a replica may lag behind a renewal

"""The in-process cache's counters and claims (apiproject.cache), and counters.py on top of it."""

import threading

import pytest
from django.core.cache.backends.locmem import LocMemCache

from apiproject.cache import CounterStore, CounterStoreFull, LocalCache
from apiproject.counters import _cache_hit, fixed_window_hit
from apiproject.exceptions import ServiceUnavailable

NOW = 1_800_000_000


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def test_hits_count_per_key():
    store = CounterStore(max_entries=100)

    assert [store.hit("a", ttl=60) for _ in range(3)] == [(True, 1), (True, 2), (True, 3)]
    assert store.hit("b", ttl=60) == (True, 1)


def test_a_taken_claim_counts_nothing():
    store = CounterStore(max_entries=100)
    assert store.hit("a", ttl=60, claim="nonce", claim_ttl=60) == (True, 1)

    assert store.hit("a", ttl=60, claim="nonce", claim_ttl=60) == (False, 0)
    assert store.hit("a", ttl=60) == (True, 2)


def test_counts_and_claims_expire_after_their_ttl(frozen):
    store = CounterStore(max_entries=100)
    store.hit("a", ttl=60, claim="nonce", claim_ttl=30)

    frozen.shift(29)
    assert store.hit("a", ttl=60, claim="nonce", claim_ttl=30) == (False, 0)
    frozen.shift(2)
    assert store.hit("a", ttl=60, claim="nonce", claim_ttl=30) == (True, 2)
    frozen.shift(30)
    assert store.hit("a", ttl=60) == (True, 1)


def test_claims_outlive_locmemcaches_eviction():
    # A plain LocMemCache keeps 300 entries and evicts the oldest third beyond that: a nonce
    # claimed 1,000 requests ago would be free again, and its signature could be replayed.
    plain, local = LocMemCache("evicting", {}), LocalCache("never-evicting", {})
    plain.clear()
    local.clear()
    for n in range(1000):
        _cache_hit(plain, "count", 60, f"nonce-{n}", 60)
        local.counter_hit("count", 60, f"nonce-{n}", 60)

    assert _cache_hit(plain, "count", 60, "nonce-0", 60) == (True, 1001)  # the flaw avoided here
    assert local.counter_hit("count", 60, "nonce-0", 60) == (False, 0)


def test_a_full_store_refuses_new_entries_and_keeps_counting_live_ones():
    store = CounterStore(max_entries=2)
    store.hit("a", ttl=60, claim="nonce", claim_ttl=60)

    with pytest.raises(CounterStoreFull):
        store.hit("b", ttl=60)  # a new counter
    with pytest.raises(CounterStoreFull):
        store.hit("a", ttl=60, claim="other", claim_ttl=60)  # a new claim
    assert store.hit("a", ttl=60) == (True, 2)  # one app filling the store does not stop the others
    assert store.hit("a", ttl=60, claim="nonce", claim_ttl=60) == (False, 0)  # nor lets a replay through


def test_a_refused_hit_takes_no_claim():
    store = CounterStore(max_entries=2)
    store.hit("a", ttl=60)

    with pytest.raises(CounterStoreFull):
        store.hit("b", ttl=60, claim="nonce", claim_ttl=60)  # needs two new entries, one is free
    assert store.hit("a", ttl=60, claim="nonce", claim_ttl=60) == (True, 2)  # the nonce is still unused


def test_a_full_store_takes_hits_again_once_entries_expire(frozen):
    store = CounterStore(max_entries=2)
    store.hit("a", ttl=10, claim="nonce", claim_ttl=10)
    with pytest.raises(CounterStoreFull):
        store.hit("b", ttl=10)

    frozen.shift(11)

    assert store.hit("b", ttl=10) == (True, 1)


def test_a_full_store_is_a_503(settings):
    settings.CACHES = {
        "default": {"BACKEND": "apiproject.cache.LocalCache", "LOCATION": "tiny", "OPTIONS": {"MAX_COUNTERS": 1}}
    }
    fixed_window_hit("first", period=60)

    with pytest.raises(ServiceUnavailable) as raised:
        fixed_window_hit("second", period=60)
    assert raised.value.get_codes() == "rate_limit_store_unavailable"


def test_clear_forgets_counters_and_claims():
    cache = LocalCache("clearing", {})
    cache.counter_hit("count", 60, "nonce", 60)

    cache.clear()

    assert cache.counter_hit("count", 60, "nonce", 60) == (True, 1)


def test_instances_of_one_location_share_their_counters():
    # Django makes one cache instance per thread; they must count together.
    first, second = LocalCache("shared", {}), LocalCache("shared", {})
    first.clear()
    first.counter_hit("count", 60)

    assert second.counter_hit("count", 60) == (True, 2)


def test_concurrent_threads_lose_no_hit():
    cache = LocalCache("threads", {})
    cache.clear()
    results: list[int] = []

    def hammer() -> None:
        results.extend(cache.counter_hit("count", 60)[1] for _ in range(500))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == list(range(1, 4001))

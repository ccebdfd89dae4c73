"""The in-process cache's claims and counters (apiproject.cache), and counters.py on top of it."""

import threading

import pytest
from django.core.cache.backends.locmem import LocMemCache

from apiproject.cache import ClaimStore, LocalCache, StoreFull
from apiproject.counters import fixed_window_hit
from apiproject.exceptions import ServiceUnavailable

NOW = 1_800_000_000


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def test_hits_count_per_key():
    store = ClaimStore(max_entries=100)

    assert [store.incr("a", ttl=60) for _ in range(3)] == [1, 2, 3]
    assert store.incr("b", ttl=60) == 1


def test_a_taken_claim_counts_nothing():
    store = ClaimStore(max_entries=100)
    assert store.claim_and_incr("nonce", 60, "a", 60) == (True, 1)

    assert store.claim_and_incr("nonce", 60, "a", 60) == (False, 0)
    assert store.claim("nonce", 60) is False
    assert store.incr("a", ttl=60) == 2


def test_counts_and_claims_expire_after_their_ttl(frozen):
    store = ClaimStore(max_entries=100)
    store.claim_and_incr("nonce", 30, "a", 60)

    frozen.shift(29)
    assert store.claim_and_incr("nonce", 30, "a", 60) == (False, 0)
    frozen.shift(2)
    assert store.claim_and_incr("nonce", 30, "a", 60) == (True, 2)
    frozen.shift(30)
    assert store.incr("a", ttl=60) == 1


def test_claims_outlive_locmemcaches_eviction():
    # A plain LocMemCache keeps 300 entries and evicts the oldest third beyond that: a nonce
    # claimed 1,000 requests ago would be free again, and its signature could be replayed.
    plain, local = LocMemCache("evicting", {}), LocalCache("never-evicting", {})
    plain.clear()
    local.clear()
    for n in range(1000):
        plain.add(f"nonce-{n}", 1, timeout=60)
        local.store.claim_and_incr(f"nonce-{n}", 60, "count", 60)

    assert plain.add("nonce-0", 1, timeout=60) is True  # the flaw avoided here
    assert local.store.claim("nonce-0", 60) is False


def test_a_full_store_refuses_new_entries_and_keeps_counting_live_ones():
    store = ClaimStore(max_entries=2)
    store.claim_and_incr("nonce", 60, "a", 60)

    with pytest.raises(StoreFull):
        store.incr("b", ttl=60)  # a new counter
    with pytest.raises(StoreFull):
        store.claim_and_incr("other", 60, "a", 60)  # a new claim
    assert store.incr("a", ttl=60) == 2  # one app filling the store does not stop the others
    assert store.claim_and_incr("nonce", 60, "a", 60) == (False, 0)  # nor lets a replay through


def test_a_refused_hit_takes_no_claim():
    store = ClaimStore(max_entries=2)
    store.incr("a", ttl=60)

    with pytest.raises(StoreFull):
        store.claim_and_incr("nonce", 60, "b", 60)  # needs two new entries, one is free
    assert store.claim_and_incr("nonce", 60, "a", 60) == (True, 2)  # the nonce is still unused


def test_a_full_store_takes_hits_again_once_entries_expire(frozen):
    store = ClaimStore(max_entries=2)
    store.claim_and_incr("nonce", 10, "a", 10)
    with pytest.raises(StoreFull):
        store.incr("b", ttl=10)

    frozen.shift(11)

    assert store.incr("b", ttl=10) == 1


def test_a_full_store_sweeps_out_expired_entries_and_keeps_live_ones(frozen):
    store = ClaimStore(max_entries=2)
    store.claim("short", 10)
    store.claim("long", 60)

    frozen.shift(11)

    assert store.claim("new", 60) is True  # room made by sweeping out "short"
    assert store.claim("long", 60) is False
    with pytest.raises(StoreFull):
        store.claim("another", 60)


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
    cache.store.claim_and_incr("nonce", 60, "count", 60)

    cache.clear()

    assert cache.store.claim_and_incr("nonce", 60, "count", 60) == (True, 1)


def test_instances_of_one_location_share_their_counters():
    # Django makes one cache instance per thread; they must count together.
    first, second = LocalCache("shared", {}), LocalCache("shared", {})
    first.clear()
    first.store.incr("count", 60)

    assert second.store.incr("count", 60) == 2


def test_concurrent_threads_lose_no_hit():
    cache = LocalCache("threads", {})
    cache.clear()
    results: list[int] = []

    def hammer() -> None:
        results.extend(cache.store.incr("count", 60) for _ in range(500))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == list(range(1, 4001))

"""apiproject.process_cache.ProcessCache: the per-process caches in front of key lookups and JWT checks."""

import threading

from apiproject.process_cache import ProcessCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_readable_until_its_ttl_has_passed():
    clock = Clock()
    entries = ProcessCache(maxsize=10, ttl=5, clock=clock)
    entries.set("a", 1)

    clock.now += 4.9
    assert entries.get("a") == 1
    clock.now += 0.1
    assert entries.get("a") is None
    assert entries.get("a", "missing") == "missing"


def test_setting_again_renews_the_deadline():
    clock = Clock()
    entries = ProcessCache(maxsize=10, ttl=5, clock=clock)
    entries.set("a", 1)
    clock.now += 4
    entries.set("a", 2)

    clock.now += 4
    assert entries.get("a") == 2


def test_a_full_map_drops_its_oldest_entry():
    entries = ProcessCache(maxsize=3, ttl=5, clock=Clock())
    for key in "abcd":
        entries.set(key, key)

    assert [entries.get(key) for key in "abcd"] == [None, "b", "c", "d"]
    assert len(entries) == 3


def test_writes_drop_expired_entries_so_they_hold_no_memory():
    clock = Clock()
    entries = ProcessCache(maxsize=100, ttl=5, clock=clock)
    for n in range(50):
        entries.set(n, n)
    clock.now += 5

    entries.set("new", 1)

    assert len(entries) == 1


def test_concurrent_readers_and_writers_see_only_their_values():
    entries = ProcessCache(maxsize=64, ttl=60)
    wrong: list[object] = []

    def work(offset: int) -> None:
        for n in range(2000):
            key = (offset + n) % 200
            entries.set(key, key)
            value = entries.get((key + 7) % 200)
            if value is not None and value != (key + 7) % 200:
                wrong.append(value)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(0, 800, 100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert wrong == []
    assert len(entries) <= 64

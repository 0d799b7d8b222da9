"""The bounded view cache behind audit cards and map pages."""

from __future__ import annotations

import pytest

from tanmap.api.cache import ViewCache


def test_least_recently_used_item_is_evicted() -> None:
    cache = ViewCache[int](max_items=2)
    calls: list[str] = []

    def make(key: str, value: int):
        return lambda: calls.append(key) or value

    assert cache.get_or_compute("a", make("a", 1)) == 1
    assert cache.get_or_compute("b", make("b", 2)) == 2
    assert cache.get_or_compute("a", make("a", 99)) == 1  # cached: not recomputed, now recent
    assert cache.get_or_compute("c", make("c", 3)) == 3  # evicts "b", the least recent
    assert "a" in cache
    assert "b" not in cache
    assert len(cache) == 2
    assert calls == ["a", "b", "c"]


def test_cache_needs_room_for_one_item() -> None:
    with pytest.raises(ValueError, match="max_items must be >= 1, got 0"):
        ViewCache[int](max_items=0)


def test_concurrent_requests_for_one_key_compute_once() -> None:
    # Before single flight, each of the 8 threads ran the slow view (the load test's map pages
    # after a write: one audit + render per request, all timing out).
    import threading
    import time

    cache = ViewCache[int](max_items=4)
    calls: list[int] = []
    start = threading.Barrier(8)

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    results: list[int] = []

    def ask() -> None:
        start.wait()
        results.append(cache.get_or_compute("page", slow))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 8
    assert len(calls) == 1


def test_a_failed_computation_lets_the_next_caller_try() -> None:
    cache = ViewCache[int](max_items=4)

    def broken() -> int:
        raise RuntimeError("view failed")

    with pytest.raises(RuntimeError, match="view failed"):
        cache.get_or_compute("k", broken)
    assert cache.get_or_compute("k", lambda: 7) == 7

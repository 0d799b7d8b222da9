"""The bounded view cache behind audit cards and map pages."""

from __future__ import annotations

import threading
import time

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


# ---------------------------------------------------------------- stale-while-revalidate


def test_stale_value_is_served_then_the_rebuilt_one() -> None:
    cache = ViewCache[str](max_items=8)
    first = cache.get_or_refresh("map-zh", ("v1",), lambda: "page v1")
    assert (first.value, first.fresh, first.key) == ("page v1", True, ("map-zh", ("v1",)))
    release = threading.Event()

    def rebuild() -> str:
        release.wait(5)
        return "page v2"

    stale = cache.get_or_refresh("map-zh", ("v2",), rebuild)
    # Answered at once with the last page, naming the versions it shows, while v2 is built.
    assert (stale.value, stale.fresh, stale.refreshing) == ("page v1", False, True)
    assert stale.key == ("map-zh", ("v1",))
    release.set()
    assert cache.wait_refreshed(timeout_s=10)
    fresh = cache.get_or_refresh("map-zh", ("v2",), lambda: "never called")
    assert (fresh.value, fresh.fresh, fresh.error) == ("page v2", True, None)


def test_a_value_of_another_view_is_never_served() -> None:
    cache = ViewCache[str](max_items=8)
    cache.get_or_refresh(("120101", "zh"), ("v1",), lambda: "heping zh")
    # Same versions, other language / other district: computed for that view, not borrowed.
    en = cache.get_or_refresh(("120101", "en"), ("v2",), lambda: "heping en")
    other = cache.get_or_refresh(("120102", "zh"), ("v2",), lambda: "hedong zh")
    assert (en.value, en.fresh) == ("heping en", True)
    assert (other.value, other.fresh) == ("hedong zh", True)
    assert cache.wait_refreshed(timeout_s=1)  # nothing ran in the background


def test_a_failed_rebuild_keeps_the_last_value_and_reports_the_error() -> None:
    cache = ViewCache[str](max_items=8)
    cache.get_or_refresh("map", ("v1",), lambda: "page v1")

    def broken() -> str:
        raise RuntimeError("render failed: <bad>")

    assert cache.get_or_refresh("map", ("v2",), broken).value == "page v1"
    assert cache.wait_refreshed(timeout_s=10)
    after = cache.get_or_refresh("map", ("v2",), broken)
    assert (after.value, after.fresh) == ("page v1", False)
    assert after.error == "RuntimeError: render failed: <bad>"
    assert not after.refreshing  # the same versions are not retried at once
    # New versions are retried; success clears the error.
    retried = cache.get_or_refresh("map", ("v3",), lambda: "page v3")
    assert retried.value == "page v1"
    assert cache.wait_refreshed(timeout_s=10)
    done = cache.get_or_refresh("map", ("v3",), lambda: "never called")
    assert (done.value, done.fresh, done.error) == ("page v3", True, None)


def test_a_failed_rebuild_is_retried_after_the_interval() -> None:
    cache = ViewCache[str](max_items=8)
    cache.get_or_refresh("map", ("v1",), lambda: "page v1")
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("store busy")
        return "page v2"

    cache.get_or_refresh("map", ("v2",), flaky, retry_after_s=0.0)
    assert cache.wait_refreshed(timeout_s=10)
    assert cache.get_or_refresh("map", ("v2",), flaky, retry_after_s=0.0).error == (
        "OSError: store busy")
    assert cache.wait_refreshed(timeout_s=10)
    assert cache.get_or_refresh("map", ("v2",), flaky).value == "page v2"
    assert len(calls) == 2


def test_stale_requests_start_one_rebuild() -> None:
    cache = ViewCache[str](max_items=8)
    cache.get_or_refresh("map", ("v1",), lambda: "page v1")
    calls: list[int] = []
    release = threading.Event()

    def slow() -> str:
        calls.append(1)
        release.wait(5)
        return "page v2"

    start = threading.Barrier(8)
    answers: list[str] = []

    def ask() -> None:
        start.wait()
        answers.append(cache.get_or_refresh("map", ("v2",), slow).value)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == ["page v1"] * 8  # nobody waited for the rebuild
    release.set()
    assert cache.wait_refreshed(timeout_s=10)
    assert len(calls) == 1


def test_first_value_of_a_view_is_computed_once_for_concurrent_callers() -> None:
    cache = ViewCache[str](max_items=8)
    calls: list[int] = []
    start = threading.Barrier(6)

    def slow() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "page"

    answers: list[bool] = []

    def ask() -> None:
        start.wait()
        answers.append(cache.get_or_refresh("map", ("v1",), slow).fresh)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [True] * 6
    assert len(calls) == 1


def test_an_evicted_view_is_computed_again_not_served_stale() -> None:
    cache = ViewCache[str](max_items=1)
    cache.get_or_refresh("a", ("v1",), lambda: "a1")
    cache.get_or_refresh("b", ("v1",), lambda: "b1")  # evicts a's only page
    again = cache.get_or_refresh("a", ("v2",), lambda: "a2")
    assert (again.value, again.fresh) == ("a2", True)


def test_rebuilds_of_a_view_are_spaced_by_the_interval() -> None:
    cache = ViewCache[str](max_items=8)
    cache.get_or_refresh("map", ("v1",), lambda: "page v1")
    cache.get_or_refresh("map", ("v2",), lambda: "page v2", min_interval_s=60.0)
    assert cache.wait_refreshed(timeout_s=10)
    # v3 arrives at once: within the interval no rebuild starts; the v2 page answers, stale.
    later = cache.get_or_refresh("map", ("v3",), lambda: "page v3", min_interval_s=60.0)
    assert (later.value, later.fresh, later.refreshing) == ("page v2", False, False)
    assert cache.wait_refreshed(timeout_s=1)
    assert ("map", ("v3",)) not in cache
    # Once the interval has passed (0 here) the next request starts it.
    cache.get_or_refresh("map", ("v3",), lambda: "page v3", min_interval_s=0.0)
    assert cache.wait_refreshed(timeout_s=10)
    assert cache.get_or_refresh("map", ("v3",), lambda: "never").value == "page v3"

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

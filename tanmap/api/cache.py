"""A small bounded cache (LRU) for derived views: audit cards and rendered map pages."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Event, Lock
from typing import Generic, TypeVar

__all__ = ["ViewCache"]

T = TypeVar("T")


class ViewCache(Generic[T]):
    """Keep the ``max_items`` most recently used values.

    中文：视图缓存（最近使用）。

    Keys include the layer versions a view was computed from, so a write never serves a stale
    view: it simply stops being asked for and ages out. Concurrent requests for a key that is
    being computed wait for that computation instead of starting their own (single flight): under
    load, fifty map requests after a write cost one audit and one render, not fifty.

    Examples
    --------
    >>> cache = ViewCache[int](max_items=2)
    >>> cache.get_or_compute("a", lambda: 1), cache.get_or_compute("b", lambda: 2)
    (1, 2)
    >>> cache.get_or_compute("c", lambda: 3); "a" in cache
    3
    False
    """

    def __init__(self, max_items: int = 64) -> None:
        if max_items < 1:
            raise ValueError(f"max_items must be >= 1, got {max_items}")
        self.max_items = max_items
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = Lock()
        self._running: dict[Hashable, Event] = {}

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def put(self, key: Hashable, value: T) -> None:
        """Store ``value`` under ``key``, evicting the least recently used beyond the bound."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the cached value of ``key``, computing and storing it when absent.

        Only one caller computes a given key at a time; the others wait for it and take its
        value (or, if it failed or was evicted at once, try again themselves).
        """
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
                running = self._running.get(key)
                if running is None:
                    running = self._running[key] = Event()
                    break
            running.wait()
        try:
            value = compute()  # outside the lock: slow views must not block cached ones
            self.put(key, value)
            return value
        finally:
            with self._lock:
                del self._running[key]
            running.set()

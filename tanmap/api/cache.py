"""A small bounded cache (LRU) for derived views: audit cards and rendered map pages.

Map pages are served stale-while-revalidate (:meth:`ViewCache.get_or_refresh`): after a write,
the last page of the same view answers at once while one background thread rebuilds it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from threading import Event, Lock
from typing import Generic, TypeVar

__all__ = ["Served", "ViewCache"]

T = TypeVar("T")


@dataclass(frozen=True)
class Served(Generic[T]):
    """A value from :meth:`ViewCache.get_or_refresh` and what it is.

    中文：缓存应答（是否最新、对应的数据版本、后台更新错误）。

    Parameters
    ----------
    value
        The cached value.
    key
        The key (data versions) ``value`` was computed for; equals the requested key when fresh.
    fresh
        True when ``value`` is for the requested key; False when it is the last value of the same
        view for older data while a rebuild runs (or failed).
    refreshing
        True while a background rebuild for this view runs.
    error
        The last background rebuild's failure (``"TypeName: message"``), or None.
    """

    value: T
    key: Hashable
    fresh: bool
    refreshing: bool = False
    error: str | None = None


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
        #: view (key without data versions) -> full key of its newest cached value
        self._latest: dict[Hashable, Hashable] = {}
        #: views being rebuilt in the background -> their thread
        self._refreshing: dict[Hashable, threading.Thread] = {}
        #: view -> monotonic time its last background rebuild started
        self._started: dict[Hashable, float] = {}
        #: view -> (full key that failed, error text, monotonic time of the failure)
        self._errors: dict[Hashable, tuple[Hashable, str, float]] = {}

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
                old, _ = self._items.popitem(last=False)
                if isinstance(old, tuple) and len(old) == 2 and self._latest.get(old[0]) == old:
                    del self._latest[old[0]]

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

    def get_or_refresh(self, view: Hashable, versions: Hashable, compute: Callable[[], T],
                       *, retry_after_s: float = 30.0,
                       min_interval_s: float = 0.0) -> Served[T]:
        """Return the value of ``(view, versions)``, or at once the view's last one (stale).

        Stale-while-revalidate: while the last value answers, a background thread computes the
        new one. ``view`` names what is shown (store, district, theme, language...; never the data
        versions), ``versions`` the data it is computed from. With a value cached for exactly
        ``(view, versions)`` it is returned fresh. Otherwise, when the same ``view`` has a value
        for older versions, that value is returned (``fresh=False``) and one background thread
        per view runs ``compute`` and caches its result; a value of another view is never
        returned. A view never computed before is computed in the caller (single flight).

        A failed background rebuild keeps the last value and is reported in ``Served.error``;
        it is retried when the versions change or ``retry_after_s`` seconds later. A rebuild of
        a view starts at most once per ``min_interval_s`` seconds (under a stream of writes the
        stale value answers meanwhile instead of rebuilds taking the processor).
        """
        key = (view, versions)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return Served(self._items[key], key, fresh=True)
            latest = self._latest.get(view)
            if latest is not None and latest in self._items:
                stale = self._items[latest]
                failed = self._errors.get(view)
                retry = (failed is None or failed[0] != key
                         or time.monotonic() - failed[2] >= retry_after_s)
                due = time.monotonic() - self._started.get(view, -math.inf) >= min_interval_s
                if view not in self._refreshing and retry and due:
                    self._started[view] = time.monotonic()
                    thread = threading.Thread(target=self._refresh, args=(view, key, compute),
                                              name=f"tanmap-refresh-{len(self._refreshing)}",
                                              daemon=True)
                    self._refreshing[view] = thread
                    thread.start()
                return Served(stale, latest, fresh=False, refreshing=view in self._refreshing,
                              error=None if failed is None else failed[1])
        value = self.get_or_compute(key, compute)
        with self._lock:
            self._latest[view] = key
            self._errors.pop(view, None)
        return Served(value, key, fresh=True)

    def _refresh(self, view: Hashable, key: Hashable, compute: Callable[[], T]) -> None:
        """Compute ``key`` in the background; keep the last value of ``view`` if it fails."""
        try:
            self.get_or_compute(key, compute)
        except Exception as err:  # the failure is reported with the stale value, not raised
            with self._lock:
                self._errors[view] = (key, f"{type(err).__name__}: {err}", time.monotonic())
        else:
            with self._lock:
                if key in self._items:
                    self._latest[view] = key
                self._errors.pop(view, None)
        finally:
            with self._lock:
                del self._refreshing[view]

    def wait_refreshed(self, timeout_s: float = 60.0) -> bool:
        """Wait for the running background rebuilds; False on timeout (tests, shutdown)."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                threads = list(self._refreshing.values())
            if not threads:
                return True
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                with self._lock:
                    return not self._refreshing

"""Split per-feature work into spatial tiles and run the tiles on threads (both cores).

Shapely 2 releases the GIL inside its vectorised GEOS calls and spatial-index queries, so threads
sharing one read-only spatial index run in parallel without copying the data to processes. The
kernels that use this decide each feature on its own (exact tests, local unions), so the answer
does not depend on how the features are grouped into tiles nor on the number of workers: one
worker and two give bit-identical results (tested).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import shapely

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MIN_FEATURES_PER_TILE",
    "TILE_M",
    "both",
    "default_workers",
    "map_tiles",
    "spatial_tiles",
]

#: Side of the square tiles features are grouped by (m): large enough that the grid filters of
#: the coverage kernels reuse their cells, small enough to balance two or more cores.
TILE_M = 2000.0
#: Tiles are merged in spatial order until each holds at least this many features (a task of a
#: few hundred features would spend more time in Python than in GEOS).
MIN_FEATURES_PER_TILE = 20_000

T = TypeVar("T")
U = TypeVar("U")


def default_workers() -> int:
    """Return the number of worker threads to use: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def spatial_tiles(
    geoms: np.ndarray,
    *,
    tile_m: float = TILE_M,
    min_features: int = MIN_FEATURES_PER_TILE,
) -> list[np.ndarray]:
    """Group geometry positions by square tile of their envelope centre, in spatial order.

    中文：按空间分块（瓦片）划分要素，用于并行计算。

    Tiles are ordered row by row (south to north, then west to east) and consecutive tiles are
    merged until each group holds at least ``min_features`` positions, so the groups are
    spatially compact and few. Missing or empty geometries go with the first group.

    Examples
    --------
    >>> import shapely
    >>> pts = shapely.points([[0, 0], [5000, 0], [10, 10], [5001, 1]])
    >>> [g.tolist() for g in spatial_tiles(pts, tile_m=1000.0, min_features=1)]
    [[0, 2], [1, 3]]
    """
    n = len(geoms)
    if n == 0:
        return []
    env = shapely.bounds(geoms)
    centre = (env[:, :2] + env[:, 2:]) / 2.0
    centre = np.where(np.isfinite(centre), centre, np.nanmin(centre, axis=0)
                      if np.isfinite(centre).any() else 0.0)
    cell = np.floor((centre - centre.min(axis=0)) / tile_m).astype(np.int64)
    key = cell[:, 1] * (int(cell[:, 0].max()) + 1) + cell[:, 0]
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.r_[True, key[order][1:] != key[order][:-1]])
    groups: list[np.ndarray] = []
    start = 0
    for stop in [*bounds[1:].tolist(), n]:
        if stop - start >= min_features or stop == n:
            groups.append(np.sort(order[start:stop]))
            start = stop
    return groups


def map_tiles(
    func: Callable[[np.ndarray], T], tiles: list[np.ndarray], workers: int | None = None
) -> list[T]:
    """Apply ``func`` to each tile, on ``workers`` threads (None = all CPUs), in tile order.

    中文：多线程逐块计算。
    """
    n_workers = default_workers() if workers is None else int(workers)
    if n_workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers!r}.")
    if n_workers == 1 or len(tiles) <= 1:
        return [func(tile) for tile in tiles]
    with ThreadPoolExecutor(max_workers=min(n_workers, len(tiles))) as pool:
        return list(pool.map(func, tiles))


def both(
    first: Callable[[], T], second: Callable[[], U], workers: int | None = None
) -> tuple[T, U]:
    """Run two independent preparations at once when two or more workers are allowed.

    中文：并行执行两项独立的准备工作（如建立索引与划分瓦片）。
    """
    n_workers = default_workers() if workers is None else int(workers)
    if n_workers < 2:
        return first(), second()
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(second)
        return first(), later.result()

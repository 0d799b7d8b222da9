"""Slow, obvious reference implementations of the coverage figures (tests only).

Each one loops over geometries one by one with plain shapely calls, so a reviewer can read it in a
minute; the fast, vectorised, tiled implementations in ``tanmap.geo.coverage`` must agree with them.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = [
    "random_city",
    "ref_covered_area",
    "ref_covered_mask",
    "ref_marginal_area",
    "ref_nearest_distance",
]


def ref_covered_mask(targets, facilities, radii) -> np.ndarray:
    """covered[i] = any(distance(target_i, facility_k) <= radius_k)."""
    out = []
    for target in targets:
        out.append(any(
            target.distance(fac) <= r
            for fac, r in zip(facilities, radii, strict=True)
            if not np.isnan(r)
        ))
    return np.array(out, dtype=bool)


def ref_nearest_distance(targets, facilities) -> np.ndarray:
    """min over facilities of distance(target, facility)."""
    return np.array([min(t.distance(f) for f in facilities) for t in targets])


def ref_covered_area(land, facilities, radii, quad_segs: int) -> np.ndarray:
    """area(land_i ∩ union of all buffers), with one global union and no tiles."""
    buffers = [f.buffer(r, quad_segs=quad_segs)
               for f, r in zip(facilities, radii, strict=True) if not np.isnan(r)]
    union = shapely.union_all(buffers) if buffers else shapely.Polygon()
    return np.array([poly.intersection(union).area for poly in land])


def ref_marginal_area(land, facilities, radii, quad_segs: int) -> np.ndarray:
    """area(land ∩ (buffer_k minus the union of every other buffer)), per facility."""
    buffers = [f.buffer(r, quad_segs=quad_segs) if not np.isnan(r) else None
               for f, r in zip(facilities, radii, strict=True)]
    all_land = shapely.union_all(list(land))
    out = []
    for k, own in enumerate(buffers):
        if own is None:
            out.append(0.0)
            continue
        others = shapely.union_all([b for j, b in enumerate(buffers) if j != k and b is not None])
        out.append(own.difference(others).intersection(all_land).area)
    return np.array(out)


def random_city(seed: int, n_land: int = 12, n_parks: int = 6, extent_m: float = 3000.0):
    """Return (land boxes, park polygons incl. a holed one, radii) of a small seeded city.

    Land parcels are disjoint boxes on a 300 m grid; parks are random boxes (one with a hole),
    rotated squares and points, with radii drawn from {300, 500} m.
    """
    rng = np.random.default_rng(seed)
    cells = rng.choice(int(extent_m // 300) ** 2, n_land, replace=False)
    ix, iy = np.divmod(cells, int(extent_m // 300))
    w = rng.uniform(50, 280, n_land)
    h = rng.uniform(50, 280, n_land)
    land = list(shapely.box(ix * 300.0, iy * 300.0, ix * 300.0 + w, iy * 300.0 + h))
    parks = []
    for k in range(n_parks):
        x, y = rng.uniform(-300, extent_m + 300, 2)
        size = rng.uniform(20, 250)
        kind = k % 4
        if kind == 0:
            parks.append(shapely.box(x, y, x + size, y + size * 0.7))
        elif kind == 1:
            outer = shapely.box(x, y, x + size, y + size)
            parks.append(outer.difference(shapely.box(x + size / 4, y + size / 4,
                                                      x + 3 * size / 4, y + 3 * size / 4)))
        elif kind == 2:
            parks.append(shapely.Polygon([(x, y - size / 2), (x + size / 2, y),
                                          (x, y + size / 2), (x - size / 2, y)]))
        else:
            parks.append(shapely.Point(x, y))
    radii = rng.choice([300.0, 500.0], n_parks)
    return land, parks, radii

"""Slow, obvious reference implementations of the coverage figures (tests only).

Each one loops over geometries one by one with plain shapely calls, so a reviewer can read it in a
minute; the fast, vectorised, tiled implementations in ``tanmap.geo.coverage`` must agree with them.
"""

from __future__ import annotations

import itertools

import numpy as np
import shapely

__all__ = [
    "irregular_city",
    "random_city",
    "ref_covered_area",
    "ref_covered_area_capsules",
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


def ref_covered_area_capsules(land, facilities, radii, quad_segs: int) -> np.ndarray:
    """area(land_i ∩ R) with R = each polygon itself ∪ one capsule per boundary segment.

    Obviously correct for any shape: a point within r of a polygon is inside it or within r of
    one of its boundary segments, and the buffer of a two-point segment is drawn exactly (GEOS
    has nothing to simplify on it). One global union, no tiles; slow on purpose.
    """
    pieces = []
    for fac, r in zip(facilities, radii, strict=True):
        if np.isnan(r):
            continue
        for part in shapely.get_parts(fac):
            if part.geom_type == "Point":
                pieces.append(part.buffer(r, quad_segs=quad_segs))
                continue
            if part.geom_type == "Polygon":
                pieces.append(part)
                rings = [part.exterior, *part.interiors]
            else:
                rings = [part]
            for ring in rings:
                xy = list(ring.coords)
                for a, b in itertools.pairwise(xy):
                    if a != b:
                        pieces.append(shapely.LineString([a, b]).buffer(r, quad_segs=quad_segs))
    union = shapely.union_all(pieces) if pieces else shapely.Polygon()
    return np.array([poly.intersection(union).area for poly in land])


def _star(rng, cx: float, cy: float, radius: float, n: int, jitter: float):
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    scale = radius * (1 - jitter * rng.random(n))
    star = shapely.Polygon(np.column_stack([cx + scale * np.cos(angles),
                                            cy + scale * np.sin(angles)]))
    # Valid input, as an import would leave it (a fan whose angular gap exceeds pi can cross).
    return star if star.is_valid else shapely.convex_hull(star)


def irregular_city(seed: int, n_land: int = 40, extent_m: float = 3000.0):
    """Return (land, facilities, radii) of a small city whose parks are not easy shapes.

    Parks: concave stars, a star with a lake (hole), a park in two parts, a gently curved
    shore of 200 vertices (shallow concave vertices), a 3 km meandering strip of ~600 vertices
    (cut into pieces by the index), a greenway line and a point. Land: small building-sized
    boxes and larger irregular parcels, some straddling the strip.
    """
    rng = np.random.default_rng(seed)
    parks = []
    for _ in range(3):
        x, y = rng.uniform(0, extent_m, 2)
        parks.append(_star(rng, x, y, rng.uniform(40, 200), int(rng.integers(8, 30)), 0.5))
    x, y = rng.uniform(500, extent_m - 500, 2)
    parks.append(_star(rng, x, y, 250, 24, 0.3).difference(_star(rng, x, y, 60, 10, 0.3)))
    x, y = rng.uniform(0, extent_m, 2)
    parks.append(shapely.MultiPolygon([_star(rng, x, y, 80, 12, 0.4),
                                       _star(rng, x + 400, y, 50, 9, 0.4)]))
    assert parks[-1].is_valid
    x, y = rng.uniform(0, extent_m, 2)
    t = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    wave = 1 - 0.15 * (0.5 + 0.5 * np.sin(3 * t + rng.uniform(0, 6)))
    parks.append(shapely.Polygon(np.column_stack([x + 150 * wave * np.cos(t),
                                                  y + 150 * wave * np.sin(t)])))
    xs = np.linspace(-200, extent_m + 200, 300)
    ys = extent_m / 2 + 400 * np.sin(xs / 500.0 + rng.uniform(0, 6))
    strip = shapely.LineString(np.column_stack([xs, ys])).buffer(25, quad_segs=2,
                                                                  cap_style="flat")
    parks.append(strip)
    parks.append(shapely.LineString(rng.uniform(0, extent_m, (5, 2))))
    parks.append(shapely.Point(rng.uniform(0, extent_m, 2)))
    radii = rng.choice([300.0, 500.0], len(parks))
    land = []
    for k in range(n_land):
        x, y = rng.uniform(-300, extent_m + 300, 2)
        if k % 3 == 0:
            land.append(_star(rng, x, y, rng.uniform(60, 180), int(rng.integers(6, 14)), 0.4))
        else:
            w, h = rng.uniform(8, 40, 2)
            land.append(shapely.box(x, y, x + w, y + h))
    return land, parks, radii

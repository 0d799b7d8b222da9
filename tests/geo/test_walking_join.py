"""The building-to-edge join (`attach`) against brute force on random and awkward inputs.

Brute force: one exact GEOS distance per (feature, edge) pair, equally near edges -> the lowest
:func:`edge_rank` (the documented rule of :func:`nearest_edges`: by geometry, not row order).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import LineString, MultiPolygon, Point, Polygon, box

from tanmap.geo.walking import attach, edge_rank


def _brute_force(geoms: np.ndarray, lines: np.ndarray) -> list[int]:
    """Lowest rank among the exactly nearest edges, one GEOS distance per pair."""
    rank = edge_rank(lines)
    out = []
    for g in geoms:
        if g is None or g.is_empty:
            out.append(-1)
            continue
        d = shapely.distance(g, lines)
        tied = np.flatnonzero(d == d.min())
        out.append(int(tied[np.argmin(rank[tied])]))
    return out


def _random_city(seed: int, n_lines: int, n_feats: int, origin: tuple[float, float] = (0, 0)):
    rng = np.random.default_rng(seed)
    ox, oy = origin
    shift = np.array([ox, oy])
    lines = []
    for _ in range(n_lines):  # polylines of 2-6 vertices, some long
        k = int(rng.integers(2, 7))
        start = rng.uniform(0, 3000, 2)
        steps = rng.normal(0, rng.choice([20.0, 200.0, 1500.0]), (k - 1, 2))
        pts = np.vstack([start, start + np.cumsum(steps, axis=0)])
        lines.append(LineString(pts + shift))
    feats: list[object] = []
    for i in range(n_feats):
        x, y = rng.uniform(-200, 3200, 2) + shift
        kind = i % 6
        if kind == 0:
            feats.append(Point(x, y))
        elif kind == 1:
            s = rng.uniform(0.5, 40)
            feats.append(box(x, y, x + s, y + rng.uniform(0.5, 40)))
        elif kind == 2:  # concave L
            feats.append(Polygon([(x, y), (x + 30, y), (x + 30, y + 8), (x + 8, y + 8),
                                  (x + 8, y + 30), (x, y + 30)]))
        elif kind == 3:  # holed courtyard block
            feats.append(Polygon(box(x, y, x + 60, y + 60).exterior.coords,
                                 [box(x + 10, y + 10, x + 50, y + 50).exterior.coords]))
        elif kind == 4:
            feats.append(MultiPolygon([box(x, y, x + 5, y + 5), box(x + 70, y, x + 75, y + 9)]))
        else:  # rotated footprint
            feats.append(shapely.affinity.rotate(box(x, y, x + 12, y + 6), rng.uniform(0, 90)))
    feats += [Point(), None, Polygon()]
    return np.array(lines, dtype=object), np.array(feats, dtype=object)


@pytest.mark.parametrize(("seed", "origin"), [(1, (0, 0)), (2, (0, 0)),
                                               (3, (39_500_000.0, 4_300_000.0))])
def test_join_is_the_brute_force_one_on_awkward_cities(seed, origin) -> None:
    # Polylines (some long), points, concave, holed, multi-part and rotated footprints, empty
    # and missing rows, and (seed 3) Gauss-Krüger coordinates with the zone number in front.
    lines, feats = _random_city(seed, 300, 1500, origin)
    got = attach(feats, lines, shapely.length(lines))
    assert got.edge.tolist() == _brute_force(feats, lines)
    assert got.edge[-3:].tolist() == [-1, -1, -1]
    ok = got.edge >= 0
    # The leg is the distance to the joining point, never shorter than to the edge itself (but
    # for the rounding of a point on the line, a few units in the last place of 4e7 m).
    d_edge = shapely.distance(feats[ok], lines[got.edge[ok]])
    assert (got.gap_m[ok] >= d_edge - 1e-6).all()
    assert np.array_equal(got.gap_m[ok], shapely.distance(feats[ok], got.point[ok]))


def test_awkward_features_join_as_brute_force() -> None:
    lines = np.array([
        LineString([(0, 0), (100, 0)]),                   # 0
        LineString([(0, 0), (0, 100)]),                   # 1: meets 0 at the origin
        LineString([(20, 20), (30, 20)]),                 # 2: inside the courtyard below
        LineString([(-3000, -5000), (6000, 4000)]),       # 3: long diagonal over many cells
        LineString([(500, 500), (500, 500.5), (900, 500.5), (900, 900)]),  # 4: polyline
    ], dtype=object)
    courtyard = Polygon(box(10, 10, 40, 40).exterior.coords, [box(15, 15, 35, 35).exterior.coords])
    feats = np.array([
        box(-5, -5, 5, 5),            # on two edges and their shared end: 0 m to 0 and 1
        courtyard,                     # the street in its hole is 5 m away, not 0
        box(60, -2, 70, 2),           # crossed by edge 0
        Point(-50, -50),               # equidistant from 0 and 1 (their shared end)
        Point(2500, 1500.2),           # next to the diagonal
        Point(700, 510),               # above the polyline's middle segment
        Point(1e5, 1e5),               # far beyond every window
        box(600, 480, 800, 520),       # big footprint over the polyline
    ], dtype=object)
    got = attach(feats, lines, shapely.length(lines))
    assert got.edge.tolist() == _brute_force(feats, lines)
    # Ties (features 0 and 3, equally near edges 0 and 1) go to the lower edge_rank: edge 1,
    # whose envelope (0, 0, 0, 100) sorts before edge 0's (0, 0, 100, 0).
    assert got.edge.tolist()[:4] == [1, 2, 0, 1]
    assert got.gap_m[1] == pytest.approx(5.0)
    assert got.gap_m[2] == 0.0


def test_empty_inputs_join_nothing() -> None:
    lines = np.array([LineString([(0, 0), (10, 0)])])
    none = attach(np.zeros(0, dtype=object), lines, np.array([10.0]))
    assert none.edge.size == 0
    no_net = attach(np.array([Point(1, 1)]), np.zeros(0, dtype=object), np.zeros(0))
    assert no_net.edge.tolist() == [-1]
    assert np.isinf(no_net.gap_m).all()


def test_equally_near_streets_join_the_same_street_in_any_row_order() -> None:
    # A building midway between two parallel streets: either is as near. The join must not
    # follow the road file's row order (a walking figure would change with it).
    west, east = LineString([(0, 0), (0, 100)]), LineString([(40, 0), (40, 100)])
    home = np.array([box(15, 40, 25, 60)])
    a = attach(home, np.array([west, east]), np.array([100.0, 100.0]))
    b = attach(home, np.array([east, west]), np.array([100.0, 100.0]))
    street_a = [west, east][int(a.edge[0])]
    street_b = [east, west][int(b.edge[0])]
    assert street_a.equals(street_b)
    assert street_a.equals(west)  # the lower envelope ranks first
    assert (a.gap_m[0], b.gap_m[0]) == (15.0, 15.0)


def test_edge_rank_is_a_permutation_independent_of_row_order() -> None:
    lines, _ = _random_city(11, 60, 0)
    lines = np.asarray(lines, dtype=object)
    rank = edge_rank(lines)
    assert sorted(rank.tolist()) == list(range(lines.size))
    perm = np.random.default_rng(3).permutation(lines.size)
    assert edge_rank(lines[perm]).tolist() == rank[perm].tolist()
    # the same street drawn the other way ranks where it did
    flipped = lines.copy()
    flipped[5] = shapely.reverse(flipped[5])
    assert edge_rank(flipped).tolist() == rank.tolist()

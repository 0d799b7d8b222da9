"""The building-to-edge join (`attach`): its grid pre-pass against the exact GEOS join.

The grid pre-pass only decides a feature's edge where its bounds prove it; every other feature
goes to :func:`nearest_edges` (exact GEOS distances, equally near edges -> the lowest index).
These tests hold the pre-pass to the previous join (the pre-pass switched off) bit for bit and
to brute force, on random and awkward inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, MultiPolygon, Point, Polygon, box

import tanmap.geo.walking as walking
from tanmap.geo.walking import attach


def _brute_force(geoms: np.ndarray, lines: np.ndarray) -> list[int]:
    """Lowest index among the exactly nearest edges, one GEOS distance per pair."""
    out = []
    for g in geoms:
        if g is None or g.is_empty:
            out.append(-1)
            continue
        d = shapely.distance(g, lines)
        out.append(int(np.flatnonzero(d == d.min())[0]))
    return out


def _previous(geoms: np.ndarray, lines: np.ndarray, monkeypatch: pytest.MonkeyPatch
              ) -> walking.NetworkAttachment:
    """The join without the grid pre-pass (what attach did before it)."""
    with monkeypatch.context() as m:
        m.setattr(walking, "ATTACH_GRID_WINDOWS_M", ())
        return attach(geoms, lines, shapely.length(lines))


def _assert_same(a: walking.NetworkAttachment, b: walking.NetworkAttachment) -> None:
    assert np.array_equal(a.edge, b.edge)
    assert np.array_equal(a.offset_m, b.offset_m)
    assert np.array_equal(a.gap_m, b.gap_m)
    ok = a.edge >= 0
    assert shapely.equals_exact(a.point[ok], b.point[ok], 0.0).all()
    assert (a.point[~ok] == None).all()  # noqa: E711 - an object array of None


def _random_city(seed: int, n_lines: int, n_feats: int, origin: tuple[float, float] = (0, 0)):
    rng = np.random.default_rng(seed)
    ox, oy = origin
    lines = []
    for _ in range(n_lines):  # polylines of 2-6 vertices, some long
        k = int(rng.integers(2, 7))
        start = rng.uniform(0, 3000, 2)
        steps = rng.normal(0, rng.choice([20.0, 200.0, 1500.0]), (k - 1, 2))
        pts = np.vstack([start, start + np.cumsum(steps, axis=0)])
        lines.append(LineString(pts + (ox, oy)))
    feats: list[object] = []
    for i in range(n_feats):
        x, y = rng.uniform(-200, 3200, 2) + (ox, oy)
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
def test_grid_join_is_bit_identical_to_the_previous_join(seed, origin, monkeypatch) -> None:
    # Polylines, points, concave, holed and multi-part footprints, empty and missing rows, and
    # (seed 3) Gauss-Krüger coordinates with the zone number in front of the easting.
    lines, feats = _random_city(seed, 300, 1500, origin)
    got = attach(feats, lines, shapely.length(lines))
    _assert_same(got, _previous(feats, lines, monkeypatch))
    assert got.edge.tolist() == _brute_force(feats, lines)
    assert got.edge[-3:].tolist() == [-1, -1, -1]


def test_the_grid_decides_most_features_and_never_a_tie() -> None:
    # Two parallel streets 100 m apart (index 0 at y = 100, index 1 at y = 0).
    lines = np.array([LineString([(0, 100), (200, 100)]), LineString([(0, 0), (200, 0)])])
    grid = walking._segment_grid(lines, walking.ATTACH_CELL_M)
    assert grid is not None
    env = shapely.bounds(np.array([box(40, 10, 60, 18),    # 10 m from y = 0
                                   box(40, 46, 60, 54),    # 46 m from both: a tie
                                   box(40, 80, 60, 88),    # 12 m from y = 100
                                   Point(100, 50.0000001),  # 1e-7 m nearer y = 100: too close
                                   Point(100, 65)]))       # 35 m: beyond a 15 m window
    assert walking._grid_nearest(grid, env, 15.0).tolist() == [1, -1, 0, -1, -1]
    assert walking._grid_nearest(grid, env, 40.0).tolist() == [1, -1, 0, -1, 0]
    # The tie and the near tie are decided exactly: lowest index, then the nearer street.
    at = attach(np.array([box(40, 46, 60, 54), Point(100, 50.0000001)]), lines,
                shapely.length(lines))
    assert at.edge.tolist() == [0, 0]
    assert at.gap_m.tolist() == pytest.approx([46.0, 49.9999999], abs=1e-12)


def test_awkward_features_join_as_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
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
    assert got.edge.tolist()[:4] == [0, 2, 0, 0]
    assert got.gap_m[1] == pytest.approx(5.0)
    assert got.gap_m[2] == 0.0
    _assert_same(got, _previous(feats, lines, monkeypatch))


def test_empty_inputs_join_nothing() -> None:
    lines = np.array([LineString([(0, 0), (10, 0)])])
    none = attach(np.zeros(0, dtype=object), lines, np.array([10.0]))
    assert none.edge.size == 0
    no_net = attach(np.array([Point(1, 1)]), np.zeros(0, dtype=object), np.zeros(0))
    assert no_net.edge.tolist() == [-1]
    assert np.isinf(no_net.gap_m).all()
    assert walking._segment_grid(np.zeros(0, dtype=object), 80.0) is None


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1.0, 7.0, 80.0]))
def test_grid_join_agrees_with_brute_force_on_lattices(seed: int, cell_m: float) -> None:
    # Streets on a 50 m lattice and features on a 25 m one: ties everywhere.
    rng = np.random.default_rng(seed)
    ends = rng.integers(0, 12, (int(rng.integers(1, 15)), 4)) * 50.0
    ends = ends[(ends[:, 0] != ends[:, 2]) | (ends[:, 1] != ends[:, 3])]
    if ends.size == 0:
        return
    lines = shapely.linestrings(ends.reshape(-1, 2, 2))
    xy = rng.integers(-4, 28, (30, 2)) * 25.0
    size = rng.choice([0.0, 3.0, 30.0], 30)
    feats = np.where(size == 0, shapely.points(xy),
                     shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + size, xy[:, 1] + size))
    grid = walking._segment_grid(lines, cell_m)
    assert grid is not None
    env = shapely.bounds(feats)
    want = np.array(_brute_force(feats, lines))
    for window in (10.0, 40.0, 400.0):
        got = walking._grid_nearest(grid, env, window)
        decided = got >= 0
        assert np.array_equal(got[decided], want[decided])

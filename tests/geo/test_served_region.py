"""Exact pieces of served regions: subdivision, boundary segments, rectangles and sectors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from tanmap.geo.coverage import SLIVER_M2, _drop_slivers, _region_pieces, sagitta_m
from tanmap.geo.served_region import boundary_segments, segment_pieces, subdivide
from tanmap.geo.tiles import map_tiles, spatial_tiles


def _region(geom, radius_m: float, quad_segs: int = 16):
    pieces, _ = _region_pieces(np.array([geom]), np.array([radius_m]), quad_segs)
    return _drop_slivers(np.array([shapely.union_all(pieces)]))[0]


def _boundary_distances(region, geom, step_m: float = 0.5) -> np.ndarray:
    """Distances to ``geom`` of points every ``step_m`` along the region's boundary."""
    dense = shapely.segmentize(shapely.boundary(region), step_m)
    return shapely.distance(shapely.points(shapely.get_coordinates(dense)), geom)


def test_rounding_slivers_are_closed_but_real_holes_stay():
    ring = shapely.box(0, 0, 100, 100).difference(shapely.box(40, 40, 60, 60))
    sliver = shapely.box(0, 0, 100, 100).difference(shapely.box(50, 50, 50 + 1e-4, 50 + 1e-4))
    kept, closed = _drop_slivers(np.array([ring, sliver]))
    assert kept.area == ring.area
    assert closed.area == 10_000.0
    assert SLIVER_M2 > 1e-8


def test_segments_of_a_holed_square_face_outwards():
    park = shapely.box(0, 0, 10, 10).difference(shapely.box(4, 4, 6, 6))
    seg = boundary_segments(np.array([park]))
    assert len(seg) == 8
    mid = (seg.start + seg.end) / 2
    outward = mid + seg.normal
    # Every normal leaves the park: into the open or into the lake.
    assert not shapely.intersects(shapely.points(outward), park.buffer(-1e-9)).any()
    # The shell's corners are convex (90°); the lake's corners are not (reflex for the park).
    shell = np.isin(seg.start, [0, 10]).all(axis=1)
    assert np.allclose(seg.turn_rad[shell], math.pi / 2)
    assert (seg.turn_rad[~shell] == 0).all()


def test_square_region_is_the_rounded_square():
    """A 10 m square at r = 5: 100 + 4·50 + the disk (inscribed 64-gon at 16 segments)."""
    region = _region(shapely.box(0, 0, 10, 10), 5.0)
    disk_64gon = 0.5 * 64 * 25 * math.sin(2 * math.pi / 64)
    assert region.area == pytest.approx(100 + 200 + disk_64gon, rel=1e-12)


def test_line_region_is_a_capsule():
    """A 30 m line at r = 2: rectangle 30 x 4 plus two half disks (U-turn sectors)."""
    region = _region(shapely.LineString([(0, 0), (30, 0)]), 2.0, quad_segs=16)
    assert region.area == pytest.approx(120 + 0.5 * 64 * 4 * math.sin(2 * math.pi / 64),
                                        rel=1e-12)


def test_shallow_notch_is_not_filled():
    """A 3 m notch in a long edge (shallower than 1 % of 500 m): the point above it at 502.7 m
    is outside the region; every boundary point of the region is within 500 m."""
    park = shapely.Polygon([(0, 0), (1000, 0), (1000, 100), (600, 100), (500, 97), (400, 100),
                            (0, 100)])
    region = _region(park, 500.0, quad_segs=56)
    probe = shapely.Point(500, 599.9)
    assert probe.distance(park) > 502
    assert not region.contains(probe)
    assert _boundary_distances(region, park).max() <= 500 + 1e-7


star_radii = st.lists(st.floats(40, 100), min_size=5, max_size=30)


@settings(max_examples=40, deadline=None)
@given(radii=star_radii, r=st.floats(1, 300), hole=st.booleans(), q=st.integers(2, 24))
def test_region_is_inscribed_and_within_the_sagitta(radii, r, hole, q):
    """For concave (and holed) parks: the region contains the park, lies within the radius,
    and reaches the radius up to the sagitta everywhere along its arcs."""
    angles = np.linspace(0, 2 * np.pi, len(radii), endpoint=False)
    park = shapely.Polygon(np.column_stack([np.cos(angles) * radii, np.sin(angles) * radii]))
    if hole:
        park = park.difference(shapely.Point(0, 0).buffer(20))
    region = _region(park, r, quad_segs=q)
    assert region.contains(park.buffer(-1e-6))
    dist = _boundary_distances(region, park, step_m=max(r / 50, 0.5))
    assert dist.max() <= r * (1 + 1e-12) + 1e-7
    outer = dist[dist > 1e-6]
    assert outer.min() >= r - sagitta_m(r, q) - 1e-6


@settings(max_examples=40, deadline=None)
@given(n=st.integers(70, 400), w=st.floats(1, 50), limit=st.sampled_from([16, 64]))
def test_subdivide_keeps_area_and_vertex_limit(n, w, limit):
    strip = shapely.segmentize(shapely.box(0, 0, 1000, w), 2000.0 / n)
    pieces, owner = subdivide(np.array([strip, None, shapely.Point(1, 2)]), limit)
    assert (shapely.get_num_coordinates(pieces) <= limit).all()
    assert set(owner.tolist()) == {0, 2}
    assert shapely.area(pieces[owner == 0]).sum() == pytest.approx(strip.area, rel=1e-9)
    assert shapely.union_all(pieces[owner == 0]).symmetric_difference(strip).area < 1e-6


def test_sector_arcs_step_at_most_a_quantum():
    """GEOS rounds a corner's steps to the nearest whole number (up to 1.5 steps' angle); ours
    never exceed pi / (2 q), so the stated sagitta holds at every corner angle."""
    for turn_deg in (10, 47, 91, 134, 179):
        turn = math.radians(turn_deg)
        tri = shapely.Polygon([(0, 0), (100, 0), (100 + 100 * math.cos(turn),
                                                   100 * math.sin(turn))])
        seg = boundary_segments(np.array([tri]))
        pieces, _ = segment_pieces(seg, np.full(len(seg), 50.0), 4)
        sectors = pieces[len(seg):]
        for sector in sectors:
            arc = shapely.get_coordinates(sector)[1:-1]
            centre = shapely.get_coordinates(sector)[0]
            ang = np.unwrap(np.arctan2(*(arc - centre)[:, ::-1].T))
            assert np.abs(np.diff(ang)).max() <= math.pi / 8 + 1e-12


def test_spatial_tiles_partition_in_order():
    pts = shapely.points(np.random.default_rng(1).uniform(0, 10_000, (500, 2)))
    tiles = spatial_tiles(pts, tile_m=1000.0, min_features=30)
    allpos = np.concatenate(tiles)
    assert sorted(allpos.tolist()) == list(range(500))
    assert all(t.size >= 30 for t in tiles[:-1])
    assert map_tiles(len, tiles, workers=2) == [t.size for t in tiles]
    assert spatial_tiles(np.array([], dtype=object)) == []


def test_subdivide_a_comb_gives_valid_pieces_of_the_same_area():
    """A comb of 40 teeth (deep concave notches) cut at 16 vertices: every piece is valid and
    small, and together they cover the comb exactly once."""
    teeth = [shapely.box(20 * i, 0, 20 * i + 10, 200) for i in range(40)]
    comb = shapely.union_all([shapely.box(0, 0, 800, 10), *teeth])
    assert comb.is_valid
    assert shapely.get_num_coordinates(comb) > 160
    pieces, owner = subdivide(np.array([comb]), 16)
    assert set(owner.tolist()) == {0}
    assert shapely.is_valid(pieces).all()
    assert (shapely.get_num_coordinates(pieces) <= 16).all()
    assert shapely.area(pieces).sum() == pytest.approx(comb.area, rel=1e-12)
    assert shapely.union_all(pieces).symmetric_difference(comb).area < 1e-6

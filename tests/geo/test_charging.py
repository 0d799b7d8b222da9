"""Charging metrics: spacing, service radius, route intervals, piles (EPSG:4548 metre grid)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, Point, box

from tanmap.geo.charging import (
    METRIC_DEFS,
    equivalent_radius_m,
    farthest_point,
    fast_charge_share,
    nearest_neighbour_distances,
    pile_counts,
    route_gaps,
    service_radius_audit,
    spacing_statistics,
)
from tanmap.geo.errors import GeographicCRSError, MetricParameterError
from tanmap.geo.metric import MetricContext, params_from_mapping

CRS = 4548
DEFS = {d.name: d for d in METRIC_DEFS}


def pts(xy: list[tuple[float, float]]) -> gpd.GeoSeries:
    return gpd.GeoSeries([Point(x, y) for x, y in xy], crs=CRS)


def stations_frame(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    """Stations at the given (x, y) with pile and plan attributes."""
    frame = pd.DataFrame(rows)
    geom = [Point(x, y) for x, y in zip(frame.pop("x"), frame.pop("y"), strict=True)]
    return gpd.GeoDataFrame(frame, geometry=geom, crs=CRS)


def context(district=None, units=None) -> MetricContext:
    return MetricContext(adcode="120101", district=district or box(0, 0, 100, 100),
                         planning_epsg=CRS, audit_year=2025, units=units or {})


# ------------------------------------------------------------------ spacing


def test_nearest_neighbour_on_a_3_4_5_triangle():
    """(0,0)-(3,0) are 3 m apart, (3,4) is 4 m above (3,0)."""
    d = nearest_neighbour_distances(pts([(0, 0), (3, 4), (3, 0)]))
    assert d.tolist() == [3.0, 4.0, 3.0]


def test_co_located_stations_are_zero_apart():
    d = nearest_neighbour_distances(pts([(0, 0), (0, 0), (10, 0)]))
    assert d.tolist() == [0.0, 0.0, 10.0]


def test_one_or_no_station_has_no_spacing():
    assert nearest_neighbour_distances(pts([(5, 5)])).isna().all()
    assert len(nearest_neighbour_distances(pts([]))) == 0
    assert spacing_statistics(pts([(5, 5)])) == {
        "n": 1, "mean_m": None, "median_m": None, "min_m": None, "max_m": None}


def test_spacing_statistics_literals():
    stats = spacing_statistics(pts([(0, 0), (3, 4), (3, 0)]))
    assert stats == {"n": 3, "mean_m": pytest.approx(10 / 3), "median_m": 3.0, "min_m": 3.0,
                     "max_m": 4.0}


def test_spacing_within_a_district_counts_neighbours_outside():
    """Only (0,0) and (3,0) are inside [0,3]x[0,3]; (3,4) outside is not averaged."""
    stats = spacing_statistics(pts([(0, 0), (3, 4), (3, 0), (100, 100)]), within=box(0, 0, 3, 3))
    assert (stats["n"], stats["mean_m"]) == (2, 3.0)
    alone = spacing_statistics(pts([(0, 0), (5, 0)]), within=box(-1, -1, 1, 1))
    assert (alone["n"], alone["mean_m"]) == (1, 5.0)


def test_spacing_keeps_the_index():
    s = gpd.GeoSeries([Point(0, 0), Point(0, 7)], index=["b", "a"], crs=CRS)
    assert nearest_neighbour_distances(s).to_dict() == {"b": 7.0, "a": 7.0}


def test_degrees_are_rejected():
    with pytest.raises(GeographicCRSError, match="degrees"):
        nearest_neighbour_distances(gpd.GeoSeries([Point(117.2, 39.1)], crs=4326))


def _reference_nn(xy: list[tuple[int, int]]) -> list[float]:
    """Obvious O(n²) loop."""
    out = []
    for i, (x, y) in enumerate(xy):
        others = [math.hypot(x - u, y - v) for j, (u, v) in enumerate(xy) if j != i]
        out.append(min(others))
    return out


grid_xy = st.tuples(st.integers(0, 1000), st.integers(0, 1000))


@given(st.lists(grid_xy, min_size=2, max_size=25))
def test_nearest_neighbour_matches_the_obvious_loop(xy):
    assert nearest_neighbour_distances(pts(xy)).tolist() == pytest.approx(_reference_nn(xy))


# ------------------------------------------------------------------ service radius


def test_quarter_disc_from_a_corner_station():
    """Station at the corner of a 100 m square, radius 100 m: a quarter disc, π/4 of the square."""
    a = service_radius_audit(box(0, 0, 100, 100), pts([(0, 0)]), 100.0)
    assert a.area_share == pytest.approx(math.pi / 4, rel=2e-4)  # 256-gon: -0.01 %
    assert a.covered_area_m2 == pytest.approx(2500 * math.pi, rel=2e-4)
    assert a.farthest_distance_m == pytest.approx(100 * math.sqrt(2))
    assert (a.farthest_point.x, a.farthest_point.y) == (100.0, 100.0)
    assert a.n_stations == 1
    assert a.equivalent_radius_m == pytest.approx(math.sqrt(10_000 / math.pi))  # 56.42 m


def test_farthest_point_exactly_at_the_radius():
    """Zone 60 x 80 m, station at (0,0): the far corner is exactly 100 m away (3-4-5)."""
    a = service_radius_audit(box(0, 0, 60, 80), pts([(0, 0)]), 100.0)
    assert a.farthest_distance_m == 100.0
    assert a.area_share == pytest.approx(1.0, abs=1e-4)


def test_farthest_point_between_two_stations():
    d, p = farthest_point(box(0, 0, 4, 2), pts([(0, 0), (4, 0)]))
    assert d == pytest.approx(math.sqrt(8))
    assert (p.x, p.y) == (2.0, 2.0)


def test_no_stations():
    a = service_radius_audit(box(0, 0, 100, 100), pts([]), 500.0)
    assert (a.area_share, a.covered_area_m2, a.farthest_distance_m, a.equivalent_radius_m) == (
        0.0, 0.0, None, None)
    assert a.uncovered.area == 10_000.0


def test_station_outside_the_zone_serves_it():
    """(-10, 50) is 120.8 m from the farthest corner: a 200 m radius covers the whole zone."""
    a = service_radius_audit(box(0, 0, 100, 100), pts([(-10, 50)]), 200.0)
    assert a.area_share == 1.0
    assert a.n_stations == 0
    assert a.equivalent_radius_m is None
    assert a.farthest_distance_m == pytest.approx(math.hypot(110, 50))


def test_residential_share():
    """Two 10 m squares in opposite corners; a 50 m radius at (0,0) reaches only the first."""
    res = gpd.GeoSeries([box(0, 0, 10, 10), box(90, 90, 100, 100)], crs=CRS)
    a = service_radius_audit(box(0, 0, 100, 100), pts([(0, 0)]), 50.0, residential=res)
    assert (a.residential_area_m2, a.residential_covered_m2, a.residential_share) == (
        200.0, 100.0, 0.5)


def test_equivalent_radius_literal():
    assert equivalent_radius_m(4e6 * math.pi, 4) == pytest.approx(1000.0)
    assert equivalent_radius_m(1e6, 0) is None


def test_negative_radius_is_rejected():
    with pytest.raises(ValueError, match="radius_m must be a finite number >= 0"):
        service_radius_audit(box(0, 0, 1, 1), pts([(0, 0)]), -1.0)


zone_boxes = st.tuples(st.integers(0, 500), st.integers(0, 500),
                       st.integers(10, 500), st.integers(10, 500)).map(
    lambda t: box(t[0], t[1], t[0] + t[2], t[1] + t[3]))


@settings(max_examples=40, deadline=None)
@given(zone=zone_boxes, xy=st.lists(grid_xy, min_size=1, max_size=8),
       extra=grid_xy, r=st.integers(1, 400), dr=st.integers(0, 400))
def test_service_share_invariants(zone, xy, extra, r, dr):
    base = service_radius_audit(zone, pts(xy), float(r))
    assert 0.0 <= base.area_share <= 1.0
    wider = service_radius_audit(zone, pts(xy), float(r + dr))
    assert wider.area_share >= base.area_share - 1e-9
    more = service_radius_audit(zone, pts([*xy, extra]), float(r))
    assert more.area_share >= base.area_share - 1e-9
    assert more.farthest_distance_m <= base.farthest_distance_m + 1e-9
    shuffled = service_radius_audit(zone, pts(list(reversed(xy))), float(r))
    assert shuffled.area_share == pytest.approx(base.area_share, abs=1e-12)
    assert shuffled.farthest_distance_m == pytest.approx(base.farthest_distance_m)


@settings(max_examples=30, deadline=None)
@given(zone=zone_boxes, xy=st.lists(grid_xy, min_size=1, max_size=8), r=st.integers(1, 400),
       dx=st.integers(-100_000, 100_000), dy=st.integers(-100_000, 100_000))
def test_service_share_unchanged_by_translation(zone, xy, r, dx, dy):
    from shapely import affinity

    base = service_radius_audit(zone, pts(xy), float(r))
    moved = service_radius_audit(affinity.translate(zone, dx, dy),
                                 pts([(x + dx, y + dy) for x, y in xy]), float(r))
    assert moved.area_share == pytest.approx(base.area_share, abs=1e-6)
    assert moved.farthest_distance_m == pytest.approx(base.farthest_distance_m, abs=1e-6)


def _reference_farthest_on_grid(zone, xy, step):
    """Sample the zone on a grid and take the worst nearest-station distance (a lower bound)."""
    x0, y0, x1, y1 = zone.bounds
    nx, ny = math.ceil((x1 - x0) / step) + 1, math.ceil((y1 - y0) / step) + 1
    gx, gy = np.meshgrid(np.linspace(x0, x1, nx), np.linspace(y0, y1, ny))  # spacing <= step
    best = 0.0
    for px, py in zip(gx.ravel(), gy.ravel(), strict=True):
        best = max(best, min(math.hypot(px - u, py - v) for u, v in xy))
    return best


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(zone=zone_boxes, xy=st.lists(grid_xy, min_size=1, max_size=6))
def test_farthest_point_agrees_with_grid_search(zone, xy):
    step = 5.0
    exact, _ = farthest_point(zone, pts(xy))
    sampled = _reference_farthest_on_grid(zone, xy, step)
    assert sampled <= exact + 1e-6
    assert exact <= sampled + step * math.sqrt(2) / 2 + 1e-6


def _reference_share(zone, xy, r, step=2.0):
    """Share of a grid of cell centres within r of a station (obvious loop)."""
    x0, y0, x1, y1 = zone.bounds
    xs = np.arange(x0 + step / 2, x1, step)
    ys = np.arange(y0 + step / 2, y1, step)
    hit = total = 0
    for px in xs:
        for py in ys:
            total += 1
            hit += any(math.hypot(px - u, py - v) <= r for u, v in xy)
    return hit / total


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(xy=st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100)), min_size=1, max_size=5),
       r=st.integers(5, 80))
def test_service_share_agrees_with_grid_count(xy, r):
    zone = box(0, 0, 100, 100)
    fast = service_radius_audit(zone, pts(xy), float(r)).area_share
    # a 2 m grid mislabels at most a ~1.5 m band along every circle's edge
    band = sum(2 * math.pi * r * 1.5 for _ in xy) / 10_000
    assert fast == pytest.approx(_reference_share(zone, xy, r), abs=band + 1e-3)


# ------------------------------------------------------------------ route intervals


def one_route(length_m: float = 100_000.0) -> gpd.GeoDataFrame:
    """A straight 100 km expressway along the x axis."""
    return gpd.GeoDataFrame({"id": ["G1"], "route_class": ["expressway"]},
                            geometry=[LineString([(0, 0), (length_m, 0)])], crs=CRS)


def test_gaps_include_both_ends():
    gaps = route_gaps(one_route(), pts([(40_000, 0), (30_000, 100)]), snap_tolerance_m=500)
    assert gaps["gap_km"].tolist() == [30.0, 10.0, 60.0]
    assert gaps["from_km"].tolist() == [0.0, 30.0, 40.0]
    assert gaps.geometry.length.tolist() == [30_000.0, 10_000.0, 60_000.0]
    assert gaps["route_id"].tolist() == ["G1"] * 3


def test_snap_tolerance_is_inclusive_and_far_stations_ignored():
    gaps = route_gaps(one_route(), pts([(50_000, 500), (20_000, 501)]), snap_tolerance_m=500)
    assert gaps["gap_km"].tolist() == [50.0, 50.0]


def test_no_station_leaves_one_gap_the_whole_route():
    gaps = route_gaps(one_route(), pts([]), snap_tolerance_m=500)
    assert gaps["gap_km"].tolist() == [100.0]


def test_disjoint_parts_have_their_own_chainage():
    route = gpd.GeoDataFrame({"id": ["S1"], "route_class": ["provincial"]}, geometry=[
        MultiLineString([[(0, 0), (10_000, 0)], [(0, 5_000), (20_000, 5_000)]])], crs=CRS)
    gaps = route_gaps(route, pts([(5_000, 5_000)]), snap_tolerance_m=10)
    assert sorted(zip(gaps["part"], gaps["gap_km"], strict=True)) == [
        (0, 10.0), (1, 5.0), (1, 15.0)]


def test_negative_tolerance_is_rejected():
    with pytest.raises(ValueError, match="snap_tolerance_m must be >= 0"):
        route_gaps(one_route(), pts([]), snap_tolerance_m=-1)


@given(st.lists(st.integers(0, 100_000), max_size=12))
def test_gaps_sum_to_route_length_and_match_sorting(chainages):
    gaps = route_gaps(one_route(), pts([(c, 0) for c in chainages]), snap_tolerance_m=1)
    assert gaps["gap_km"].sum() == pytest.approx(100.0)
    expected = np.diff([0, *sorted(chainages), 100_000]) / 1e3
    assert gaps["gap_km"].tolist() == pytest.approx(expected.tolist())


@settings(max_examples=40, deadline=None)
@given(xy=st.lists(st.tuples(st.integers(0, 100_000), st.integers(-800, 800)), max_size=10),
       extra=st.tuples(st.integers(0, 100_000), st.integers(-800, 800)),
       dx=st.integers(-10**6, 10**6), dy=st.integers(-10**6, 10**6), seed=st.randoms())
def test_largest_gap_invariants(xy, extra, dx, dy, seed):
    """Adding a station never widens the largest gap; moving everything or reordering changes
    nothing."""
    route = one_route()
    base = route_gaps(route, pts(xy), snap_tolerance_m=500)["gap_km"].max()
    more = route_gaps(route, pts([*xy, extra]), snap_tolerance_m=500)["gap_km"].max()
    assert more <= base + 1e-12
    moved = route_gaps(route.set_geometry(route.geometry.translate(dx, dy)),
                       pts([(x + dx, y + dy) for x, y in xy]), snap_tolerance_m=500)
    assert moved["gap_km"].max() == pytest.approx(base, abs=1e-9)
    shuffled = list(xy)
    seed.shuffle(shuffled)
    again = route_gaps(route, pts(shuffled), snap_tolerance_m=500)
    assert again["gap_km"].tolist() == pytest.approx(
        route_gaps(route, pts(xy), snap_tolerance_m=500)["gap_km"].tolist())


def test_route_interval_metric_strict_50_km():
    """津市 "间隔少于50公里": a 50 km gap offends; with strict=false it passes."""
    frames = {"route": one_route(), "charging_station": stations_frame(
        [{"x": 50_000, "y": 0, "access": "public"}, {"x": 70_000, "y": 0, "access": "private"}])}
    d = DEFS["charging_route_interval"]
    res = d.compute(frames, d.params(), context())
    assert res.value == 50.0
    assert res.details["n_offending"] == 2
    assert res.layers["gaps"]["gap_km"].tolist() == [50.0, 50.0]
    lax = d.compute(frames, params_from_mapping(d.params, {"strict": "false"}), context())
    assert lax.details["n_offending"] == 0
    none = d.compute(frames, params_from_mapping(d.params, {"route_classes": "national"}),
                     context())
    assert (none.value, none.missing) == (None, ("route",))


def test_route_interval_missing_layer():
    d = DEFS["charging_route_interval"]
    res = d.compute({"route": one_route()}, d.params(), context())
    assert (res.value, res.missing) == (None, ("charging_station",))


@pytest.mark.parametrize(("values", "match"), [
    ({"max_interval_km": 0}, "max_interval_km must be > 0"),
    ({"snap_tolerance_m": -5}, "snap_tolerance_m must be >= 0"),
], ids=["zero-interval", "negative-tolerance"])
def test_route_params_are_checked(values, match):
    with pytest.raises(MetricParameterError, match=match):
        params_from_mapping(DEFS["charging_route_interval"].params, values)


# ------------------------------------------------------------------ piles


PILES = [
    {"x": 1, "y": 1, "access": "public", "status": "existing", "completion_year": 2019,
     "fast_piles": 4, "slow_piles": 6},
    {"x": 2, "y": 2, "access": "public", "status": "completed", "completion_year": 2022,
     "fast_piles": 2, "slow_piles": 8},
    {"x": 3, "y": 3, "access": "dedicated", "status": "planned", "completion_year": None,
     "fast_piles": 10, "slow_piles": None},
]


def test_pile_counts_by_status_and_year():
    counts = pile_counts(stations_frame(PILES), "total")
    assert counts["total"] == 30
    assert counts["by_status"] == {"completed": 10, "existing": 10, "planned": 10}
    assert counts["by_year"] == {"(none)": 10, "2019": 10, "2022": 10}
    assert counts["by_access"] == {"dedicated": 10, "public": 20}
    assert pile_counts(stations_frame(PILES), "fast")["total"] == 16


def test_pile_kind_is_checked():
    with pytest.raises(ValueError, match="pile must be one of"):
        pile_counts(stations_frame(PILES), "medium")  # type: ignore[arg-type]


def test_fast_share_literal_and_no_piles():
    assert fast_charge_share(stations_frame(PILES)) == pytest.approx(16 / 30)
    assert fast_charge_share(stations_frame(PILES).iloc[:0]) is None


def test_piles_metric_filters():
    d = DEFS["charging_piles"]
    frames = {"charging_station": stations_frame(PILES)}
    new_public = params_from_mapping(d.params, {"since_year": 2021, "access": "public,dedicated"})
    assert d.compute(frames, new_public, context()).value == 10.0
    fast_existing = params_from_mapping(d.params, {"pile": "fast", "statuses": "existing"})
    assert d.compute(frames, fast_existing, context()).value == 4.0


def test_fast_share_metric_public_only():
    d = DEFS["fast_charge_share"]
    res = d.compute({"charging_station": stations_frame(PILES)}, d.params(), context())
    assert res.value == pytest.approx(6 / 20)
    assert res.details == {"fast_piles": 6, "all_piles": 20}
    empty = d.compute({"charging_station": stations_frame(PILES).iloc[:0]}, d.params(), context())
    assert (empty.value, empty.missing) == (None, ("fast_piles", "slow_piles"))


# ------------------------------------------------------------------ metric wiring


def test_service_radius_metric_with_units_and_missing_residential():
    d = DEFS["charging_service_radius"]
    units = {"subdistrict": gpd.GeoDataFrame(
        {"id": ["s1", "s2"], "name": ["东", "西"]},
        geometry=[box(0, 0, 50, 100), box(50, 0, 100, 100)], crs=CRS)}
    frames = {"charging_station": stations_frame(
        [{"x": 25, "y": 50, "access": "public"}, {"x": 75, "y": 50, "access": "private"}])}
    res = d.compute(frames, params_from_mapping(d.params, {"radius_m": 200}), context(units=units))
    assert res.value == 1.0
    assert res.details["farthest_distance_m"] == pytest.approx(math.hypot(75, 50))
    assert res.per_unit["share"].tolist() == [1.0, 1.0]
    assert res.per_unit["n_stations"].tolist() == [1, 0]  # the (75, 50) station is private
    assert res.per_unit["farthest_distance_m"].tolist() == pytest.approx(
        [math.hypot(25, 50), math.hypot(75, 50)])
    assert res.per_unit["equivalent_radius_m"].isna().tolist() == [False, True]
    assert res.layers["gaps"].geometry.area.sum() == 0.0
    res_land = d.compute(frames, params_from_mapping(d.params, {"weight": "residential_land"}),
                         context())
    assert (res_land.value, res_land.missing) == (None, ("residential_land",))


def test_service_radius_of_a_core_area_made_of_subdistricts():
    """城区核心区 = 街道 s1 [0,50]x[0,100]; one station at (0,0) with a 100 m radius reaches
    the quarter disc clipped to that strip: ∫0..50 √(100²−x²) dx ≈ 4783.1 m² of 5000 m²."""
    d = DEFS["charging_service_radius"]
    units = {"subdistrict": gpd.GeoDataFrame(
        {"id": ["s1", "s2"], "name": ["东", "西"]},
        geometry=[box(0, 0, 50, 100), box(50, 0, 100, 100)], crs=CRS)}
    frames = {"charging_station": stations_frame([{"x": 0, "y": 0, "access": "public"}])}
    params = params_from_mapping(d.params, {"radius_m": 100, "zone_unit_ids": "s1"})
    res = d.compute(frames, params, context(units=units))
    covered = 50 * math.sqrt(100**2 - 50**2) / 2 + 100**2 / 2 * math.asin(0.5)
    assert res.details["zone_area_m2"] == 5000.0
    assert res.value == pytest.approx(covered / 5000, rel=2e-4)
    assert res.details["farthest_distance_m"] == pytest.approx(math.hypot(50, 100))
    with pytest.raises(MetricParameterError, match=r"zone_unit_ids \['s9'\] are not 街道 ids"):
        d.compute(frames, params_from_mapping(d.params, {"zone_unit_ids": "s1,s9"}),
                  context(units=units))
    no_units = d.compute(frames, params, context())
    assert (no_units.value, no_units.missing) == (None, ("subdistrict",))


def test_service_radius_param_range():
    with pytest.raises(MetricParameterError, match=r"radius_m must be in \[0, 5000\]"):
        params_from_mapping(DEFS["charging_service_radius"].params, {"radius_m": 9000})


def test_spacing_metric():
    d = DEFS["charging_spacing"]
    frames = {"charging_station": stations_frame(
        [{"x": 0, "y": 0, "access": "public"}, {"x": 3, "y": 4, "access": "public"},
         {"x": 3, "y": 0, "access": "public"}])}
    res = d.compute(frames, d.params(), context())
    assert res.value == pytest.approx(10 / 3)
    assert d.compute({}, d.params(), context()).missing == ("charging_station",)


def test_service_radius_states_an_area_error_bound_covering_the_true_disc() -> None:
    """One public station in the middle of a 10 km square, radius 1 km: the buffer polygon
    covers a little less than π km²; covered + bound reaches the true disc area."""
    from tanmap.geo.charging import buffer_area_deficit_m2
    from tanmap.geo.metric import MetricContext, params_from_mapping
    from tanmap.geo.registry import METRICS

    mdef = METRICS["charging_service_radius"]
    stations = gpd.GeoDataFrame({"access": ["public"]}, geometry=[Point(5000, 5000)], crs=4548)
    context = MetricContext("120199", box(0, 0, 10_000, 10_000), 4548, 2024, {})
    result = mdef.compute({"charging_station": stations},
                          params_from_mapping(mdef.params, {"radius_m": 1000}), context)
    covered, bound = result.details["covered_area_m2"], result.details["area_error_bound_m2"]
    assert bound == pytest.approx(buffer_area_deficit_m2(1000.0))
    assert covered < math.pi * 1e6 <= covered + bound + 1e-6
    assert bound < 0.001 * math.pi * 1e6

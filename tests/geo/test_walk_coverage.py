"""Park coverage by walking distance beside the straight radius (tanmap.geo.walk_coverage)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, box

from tanmap.geo.metric import MetricContext
from tanmap.geo.registry import METRICS
from tanmap.geo.walk_coverage import ParkWalkCoverageParams, park_walk_coverage

CRS = 4548
X, Y = 500_000.0, 4_300_000.0


def _frame(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=CRS)


def _river_town():
    """North street y=200 (park above it), the one bridge x=400, south street y=-200."""
    edges = _frame([LineString([(X, Y + 200), (X + 400, Y + 200)]),
                    LineString([(X + 400, Y + 200), (X + 400, Y - 200)]),
                    LineString([(X + 400, Y - 200), (X, Y - 200)])])
    parks = _frame([box(X - 50, Y + 200, X + 50, Y + 300)], id=["P"], park_class=["G12"])
    land = _frame([box(X - 20, Y - 260, X + 20, Y - 200),       # across the river
                   box(X + 300, Y + 100, X + 360, Y + 190)],    # same bank, 10-100 m off
                  id=["L1", "L2"])
    homes = _frame([box(X - 20, Y - 220, X, Y - 200), box(X + 300, Y + 150, X + 320, Y + 190)],
                   id=["B1", "B2"], population=[10, 20])
    return edges, parks, land, homes


def test_river_town_walk_against_radius() -> None:
    edges, parks, land, homes = _river_town()
    r = park_walk_coverage(land, parks, edges, buildings=homes, radius_m=500.0,
                           land_method="along_streets")
    d = r.details
    # Radius: both parcels within 500 m of the park.  Walking: across the river the walk is
    # 350 + 400 + 400 m; on the park's bank the parcel is 250-310 m along the street and
    # 10-100 m off it (<= 150 m), all of it served.
    assert (d["radius_covered_m2"], d["walk_covered_m2"], d["radius_only_m2"]) == (
        7800.0, 5400.0, 2400.0)
    assert r.land_share_radius == 1.0
    assert r.land_share_walk == pytest.approx(5400 / 7800)
    assert (d["buildings_radius"], d["buildings_walk"]) == (2, 1)
    assert r.population_share_walk == pytest.approx(20 / 30)
    assert (d["off_network_mean_m"], d["off_network_max_m"]) == (5.0, 10.0)
    assert d["access_points_by_origin"] == {"boundary_crossing": 2}
    gap = r.layers["radius_only"]
    assert gap.geometry.iloc[0].equals(box(X - 20, Y - 260, X + 20, Y - 200))
    served = r.layers["buildings_walk"].set_index("id")
    # B2: joined below its centre at (310, 200): 260 m walk + 10 m leg, 230 m left of 500.
    assert served.loc["B2", "walk_remaining_m"] == pytest.approx(230.0)
    assert np.isnan(served.loc["B1", "walk_remaining_m"])


def test_off_network_cap_limits_land() -> None:
    edges, parks, land, _ = _river_town()
    r = park_walk_coverage(land, parks, edges, radius_m=500.0, max_off_network_m=50.0,
                           land_method="along_streets")
    # The strip 10-50 m below the street (60 m x 40 m) and, beside the bridge (x = 400, walked
    # 350 m + 50-100 m down it, so 50-100 m left), the part within 50 m of it: x 350-360,
    # y 100-150 (10 m x 50 m).
    assert r.details["walk_covered_m2"] == pytest.approx(2400.0 + 500.0)


def test_tiers_walk_their_own_distance_in_one_search() -> None:
    # One street; a big park (500 m) at the west end and a small one (300 m) at the east end.
    edges = _frame([LineString([(X, Y), (X + 2000, Y)])])
    parks = _frame([box(X - 200, Y - 100, X, Y + 100), box(X + 2000, Y - 30, X + 2040, Y + 30)],
                   id=["big", "small"], park_class=["G11", "G12"])
    homes = _frame([box(X + 490, Y + 1, X + 500, Y + 10),     # 490 m from big: served
                    box(X + 505, Y + 1, X + 515, Y + 10),     # 505 + 1 m: not
                    box(X + 1700, Y + 1, X + 1710, Y + 10),   # 290 + 1 m from small: served
                    box(X + 1690, Y + 1, X + 1700, Y + 10)],  # 300 + 1 m: not
                   id=list("abcd"))
    land = _frame([box(X, Y + 1, X + 1, Y + 2)])
    rule = {"name": "two tiers", "version": 1, "citation": "test", "park_classes": ["G11", "G12"],
            "tiers": [{"min_area_m2": 0, "max_area_m2": 10000, "radius_m": 300},
                      {"min_area_m2": 10000, "radius_m": 500}],
            "thresholds": {"overall": 0.9}}
    from tanmap.geo.rules import rule_from_mapping

    r = park_walk_coverage(land, parks, edges, rule=rule_from_mapping(rule), buildings=homes)
    served = r.layers["buildings_walk"].set_index("id")["served_walk"]
    assert served.to_dict() == {"a": True, "b": False, "c": True, "d": False}


def test_metric_is_registered_and_runs() -> None:
    edges, parks, land, homes = _river_town()
    mdef = METRICS["park_walk_coverage"]
    units = {"subdistrict": _frame([box(X - 100, Y - 300, X + 100, Y), box(X + 200, Y, X + 500,
                                                                           Y + 250)],
                                   id=["S1", "S2"], name=["南街道", "北街道"])}
    ctx = MetricContext("990001", box(X - 1000, Y - 1000, X + 1000, Y + 1000), CRS, 2025, units)
    params = ParkWalkCoverageParams(radius_m=500.0, weight="buildings",
                                    land_method="along_streets")
    res = mdef.compute({"residential_land": land, "park": parks, "walk_network": edges,
                        "building": homes}, params, ctx)
    assert res.value == 0.5
    assert res.details["building_share_radius"] == 1.0
    table = res.per_unit.set_index("unit_id")
    assert table.loc["S1", "walk_share"] == 0.0
    assert table.loc["S1", "radius_share"] == 1.0
    assert table.loc["S2", "walk_share"] == 1.0
    assert table.loc["S1", ["buildings", "buildings_walk", "buildings_radius"]].tolist() == [
        1, 0, 1]
    assert set(res.layers) == {"radius_only", "walk_service_areas", "access_points",
                               "buildings_walk"}


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="max_off_network_m"):
        ParkWalkCoverageParams(max_off_network_m=-1.0)
    with pytest.raises(ValueError, match="rule 'nope'"):
        ParkWalkCoverageParams(rule="nope")


coords = st.integers(0, 12).map(lambda k: X + k * 100.0)
ycoords = st.integers(0, 12).map(lambda k: Y + k * 100.0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(coords, ycoords, coords, ycoords).filter(
    lambda c: (c[0], c[1]) != (c[2], c[3])), min_size=1, max_size=10),
    st.lists(st.tuples(coords, ycoords), min_size=1, max_size=5),
    st.sampled_from([200.0, 400.0, 800.0]))
def test_walk_never_exceeds_radius_and_grows_with_distance(segs, spots, radius_m) -> None:
    edges = _frame([LineString([(a, b), (c, d)]) for a, b, c, d in segs])
    parks = _frame([box(X + 540, Y + 540, X + 660, Y + 660)], id=["P"], park_class=["G12"])
    land = _frame([box(x + 10, y + 10, x + 90, y + 90) for x, y in spots])
    homes = _frame([box(x + 20, y + 20, x + 40, y + 40) for x, y in spots],
                   id=[str(i) for i in range(len(spots))])
    small = park_walk_coverage(land, parks, edges, buildings=homes, radius_m=radius_m)
    large = park_walk_coverage(land, parks, edges, buildings=homes, radius_m=radius_m * 1.5)
    for r in (small, large):
        d = r.details
        assert d["walk_covered_m2"] <= d["radius_covered_m2"] + 1e-6
        assert d["buildings_walk"] <= d["buildings_radius"]
    assert small.details["walk_covered_m2"] <= large.details["walk_covered_m2"] + 1e-6
    sw = small.layers["buildings_walk"]["served_walk"].to_numpy()
    lw = large.layers["buildings_walk"]["served_walk"].to_numpy()
    assert np.all(lw[sw])
    # Row order does not change the figures.
    again = park_walk_coverage(land.iloc[::-1], parks, edges.iloc[::-1], buildings=homes.iloc[::-1],
                               radius_m=radius_m)
    assert again.details["walk_covered_m2"] == pytest.approx(small.details["walk_covered_m2"])
    assert again.details["buildings_walk"] == small.details["buildings_walk"]


def test_known_empty_network_serves_nothing_on_foot() -> None:
    _, parks, land, homes = _river_town()
    empty = gpd.GeoDataFrame({"from_node": [], "to_node": []},
                             geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    r = park_walk_coverage(land, parks, empty, buildings=homes, radius_m=500.0)
    assert r.land_share_walk == 0.0
    assert r.land_share_radius == 1.0
    assert (r.details["buildings_walk"], r.details["access_points"]) == (0, 0)
    assert r.details["radius_only_m2"] == 7800.0


def test_holed_park_and_street_through_it() -> None:
    # A street crosses a park with a hole (a walled enclave): it meets the outer ring twice and
    # the hole's ring twice; every meeting is an access point.
    ring = box(X, Y, X + 200, Y + 200)
    park = ring.difference(box(X + 80, Y + 80, X + 120, Y + 120))
    edges = _frame([LineString([(X - 100, Y + 100), (X + 300, Y + 100)])])
    parks = _frame([park], id=["P"], park_class=["G12"])
    land = _frame([box(X + 290, Y + 90, X + 300, Y + 99)])
    r = park_walk_coverage(land, parks, edges, radius_m=100.0, piece_m=1.0,
                           land_method="along_streets")
    assert r.details["access_points_by_origin"] == {"boundary_crossing": 4}
    # From the east gate (x = 200) a walker may leave the straight street anywhere, so the land
    # reached is the 100 m disc around the gate: 88.33 m² of this parcel (exact, by a fine
    # polygon). Street pieces of 1 m give a lower bound a little under it.
    exact_m2 = 88.3324800
    assert exact_m2 - 0.5 <= r.details["walk_covered_m2"] <= exact_m2


def test_nearest_edge_land_by_hand() -> None:
    edges, parks, _, _ = _river_town()
    land = _frame([box(X - 20, Y - 260, X + 20, Y - 200),     # across the river
                   box(X + 100, Y + 150, X + 160, Y + 190)])  # 10-50 m below the north street
    r = park_walk_coverage(land, parks, edges, radius_m=500.0, cell_m=10.0)
    # Every cell of the second parcel joins the north street (the bridge is >= 240 m away):
    # walk (x - 50) + leg (200 - y) <= 110 + 50 m.  The first joins the south street: 1150 m+.
    assert (r.details["walk_covered_m2"], r.details["radius_covered_m2"]) == (2400.0, 4800.0)
    assert r.details["radius_only_m2"] == 2400.0
    assert r.details["land_method"] == "nearest_edge"


def test_narrow_river_leaks_only_along_streets() -> None:
    # Banks 60 m apart, the only bridge 1 km east; the park on the north bank at x = 0.
    edges = _frame([LineString([(X, Y + 30), (X + 1000, Y + 30)]),
                    LineString([(X + 1000, Y + 30), (X + 1000, Y - 30)]),
                    LineString([(X + 1000, Y - 30), (X, Y - 30)])])
    parks = _frame([box(X - 40, Y + 30, X + 40, Y + 80)], id=["P"], park_class=["G12"])
    land = _frame([box(X, Y - 50, X + 40, Y - 40)])           # 10-20 m south of the south street
    near = park_walk_coverage(land, parks, edges, radius_m=500.0)
    along = park_walk_coverage(land, parks, edges, radius_m=500.0, land_method="along_streets")
    assert near.details["radius_covered_m2"] == 400.0
    assert near.details["walk_covered_m2"] == 0.0       # its street is 2 km round by the bridge
    assert along.details["walk_covered_m2"] == 400.0    # 70-80 m straight over the water

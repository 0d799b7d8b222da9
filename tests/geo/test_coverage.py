"""Service-radius coverage: hand-checkable cases, edge cases, invariants, reference agreement.

All geometries are in EPSG:4548 (CGCS2000 GK CM 117°E, metres) with small coordinates, so every
expected value can be checked by hand.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, box

from tanmap.geo import coverage as cov
from tanmap.geo.coverage import (
    METRIC_DEFS,
    FacilityCoverageParams,
    ParkCoverageParams,
    covered_area,
    covered_mask,
    facility_coverage,
    marginal_area,
    nearest_distance_m,
    park_coverage,
    quad_segs_for_tolerance,
    sagitta_m,
    service_areas,
)
from tanmap.geo.errors import (
    CoverageRuleError,
    CRSMismatchError,
    GeographicCRSError,
    MissingCRSError,
)
from tanmap.geo.metric import MetricContext, params_from_mapping

from .reference import (
    irregular_city,
    random_city,
    ref_covered_area,
    ref_covered_area_capsules,
    ref_covered_mask,
    ref_marginal_area,
    ref_nearest_distance,
)

CRS = 4548


def gs(*geoms):
    return gpd.GeoSeries(list(geoms), crs=CRS)


def gdf(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=CRS)


@pytest.fixture(params=["direct", "grid"])
def mask_path(request, monkeypatch):
    """Run covered_mask both on its direct path and through the grid pre-filter."""
    if request.param == "grid":
        monkeypatch.setattr(cov, "GRID_MIN_TARGETS", 0)
    return request.param


# --- covered_mask: the exact distance test ------------------------------------------------------

PARK_100 = box(0, 0, 100, 100)


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ((50, 600), True),            # straight above the top edge: exactly 500 m
        ((50, 600.001), False),
        ((400, 500), True),           # 3-4-5 triangle from corner (100, 100): exactly 500 m
        ((400, 500.001), False),
        ((-300, -400), True),         # from corner (0, 0): exactly 500 m
        ((50, 50), True),             # inside the park
    ],
    ids=["edge-at-radius", "edge-beyond", "corner-at-radius", "corner-beyond",
         "other-corner-at-radius", "inside"],
)
def test_point_at_the_radius(point, expected, mask_path):
    assert covered_mask(gs(Point(point)), gs(PARK_100), 500.0).tolist() == [expected]


def test_few_segment_buffer_would_undercount_but_mask_does_not():
    """(400, 500) is exactly 500 m from the corner; an 8-segment buffer misses it."""
    pt = Point(400, 500)
    assert not PARK_100.buffer(500, quad_segs=8).intersects(pt)
    assert covered_mask(gs(pt), gs(PARK_100), 500.0).tolist() == [True]


def test_polygon_target_partly_within_radius_is_covered(mask_path):
    """A 10 m building 495–505 m above the park: its lower edge is within 500 m."""
    homes = gs(box(40, 595, 50, 605), box(40, 601, 50, 611))
    assert covered_mask(homes, gs(PARK_100), 500.0).tolist() == [True, False]


def test_per_facility_radii_and_nan_not_counted(mask_path):
    """Two parks: the left serves 100 m, the right (NaN) does not count."""
    parks = gs(box(0, 0, 10, 10), box(1000, 0, 1010, 10))
    homes = gs(Point(110, 5), Point(111, 5), Point(1005, 5))
    assert covered_mask(homes, parks, [100.0, np.nan]).tolist() == [True, False, False]


def test_holes_in_parks(mask_path):
    """A 1 km park with a 600 m lake: the lake centre is 300 m from the park."""
    park = box(0, 0, 1000, 1000).difference(box(200, 200, 800, 800))
    centre = gs(Point(500, 500))
    assert covered_mask(centre, gs(park), 300.0).tolist() == [True]
    assert covered_mask(centre, gs(park), 299.999).tolist() == [False]


def test_zero_radius_means_touching():
    parks = gs(PARK_100)
    homes = gs(box(100, 0, 110, 10), box(100.001, 0, 110, 10))
    assert covered_mask(homes, parks, 0.0).tolist() == [True, False]


@pytest.mark.parametrize(
    ("targets", "facilities", "expected"),
    [
        (gs(), gs(PARK_100), []),
        (gs(Point(0, 0)), gs(), [False]),
        (gs(Point(0, 0), shapely.Polygon(), None), gs(PARK_100, None), [True, False, False]),
    ],
    ids=["no-targets", "no-facilities", "empty-and-missing-geometries"],
)
def test_empty_layers(targets, facilities, expected):
    assert covered_mask(targets, facilities, 10.0).tolist() == expected


def test_mask_errors():
    with pytest.raises(GeographicCRSError, match=r"targets is in EPSG:4326 \(degrees\)"):
        covered_mask(gpd.GeoSeries([Point(117, 39)], crs=4326), gs(PARK_100), 500.0)
    with pytest.raises(CRSMismatchError, match=r"targets is in EPSG:4548 but facilities"):
        covered_mask(gs(Point(0, 0)), gpd.GeoSeries([PARK_100], crs=4549), 500.0)
    with pytest.raises(MissingCRSError, match=r"targets has no CRS"):
        covered_mask(gpd.GeoSeries([Point(0, 0)]), gs(PARK_100), 500.0)
    with pytest.raises(ValueError, match=r"radius_m must be a finite distance >= 0"):
        covered_mask(gs(Point(0, 0)), gs(PARK_100), -1.0)
    with pytest.raises(ValueError, match=r"radius_m has 2 values but there are 1 facilities"):
        covered_mask(gs(Point(0, 0)), gs(PARK_100), [1.0, 2.0])
    with pytest.raises(TypeError, match=r"targets must be a GeoSeries or GeoDataFrame; got list"):
        covered_mask([Point(0, 0)], gs(PARK_100), 1.0)  # type: ignore[arg-type]


# --- nearest distance ---------------------------------------------------------------------------

def test_nearest_distance_literals():
    stations = gs(Point(0, 0), Point(100, 0))
    homes = gs(box(30, 40, 40, 50), Point(100, 5), Point(1000, 0))
    assert nearest_distance_m(homes, stations).tolist() == [50.0, 5.0, 900.0]
    assert nearest_distance_m(homes, stations, max_distance_m=60).tolist() == [50.0, 5.0, math.inf]
    assert nearest_distance_m(homes, gs()).tolist() == [math.inf] * 3


# --- covered_area: exact to a stated tolerance --------------------------------------------------

def test_sagitta_and_quad_segs():
    assert quad_segs_for_tolerance(500.0) == 56
    assert sagitta_m(500.0, 56) == pytest.approx(0.04917, abs=1e-5)
    assert quad_segs_for_tolerance(0.01) == 1
    with pytest.raises(ValueError, match=r"tolerance_m must be > 0 metres, got 0"):
        quad_segs_for_tolerance(500.0, 0)


def test_straight_edge_coverage_is_exact():
    """A tall park strip at x in [-600, -500] serves x <= 0: half of a 200 x 100 parcel."""
    park = box(-600, -10_000, -500, 10_000)
    res = covered_area(gs(box(-100, 0, 100, 100)), gs(park), 500.0)
    assert res.land_m2.tolist() == [20_000.0]
    assert res.covered_m2[0] == pytest.approx(10_000.0, abs=1e-6)
    assert res.share == pytest.approx(0.5, abs=1e-12)
    assert res.gaps[0].area == pytest.approx(10_000.0, abs=1e-6)
    # Only a straight buffer edge crosses the parcel: 100 m, plus the sagitta margin at both ends
    # of each part it crosses: the 200 m x 100 m parcel (diagonal 224 m > SPLIT_MIN_M) is
    # measured in quarters of 100 m x 50 m, so two parts of 50 m each.
    err = res.max_radial_error_m
    assert cov.SPLIT_MIN_M == 180.0
    assert res.area_error_bound_m2 == pytest.approx((100 + 4 * err) * err)


def test_disk_area_within_the_stated_bound():
    """π·100² = 31415.93 m²; the figure is a lower bound within the bound."""
    res = covered_area(gs(box(-500, -500, 500, 500)), gs(Point(0, 0)), 100.0)
    true_m2 = math.pi * 100**2
    assert res.quad_segs == 25
    assert res.max_radial_error_m <= 0.05
    assert 0 <= true_m2 - res.covered_m2[0] <= res.area_error_bound_m2
    assert res.area_error_bound_m2 < 0.05 * 2 * math.pi * 100  # < tolerance x circumference


def test_few_segments_would_undercount_the_area():
    """At 8 segments (a 32-gon, 16e4·sin(π/16) m²) the disk loses 201.5 m²; at the default
    tolerance (a 100-gon) < 21 m²."""
    land = gs(box(-500, -500, 500, 500))
    rough = covered_area(land, gs(Point(0, 0)), 100.0, quad_segs=8)
    fine = covered_area(land, gs(Point(0, 0)), 100.0)
    true_m2 = math.pi * 100**2
    assert true_m2 - rough.covered_m2[0] == pytest.approx(201.48, abs=0.01)
    assert true_m2 - fine.covered_m2[0] < 21


def test_concave_park_keeps_the_area_inscribed():
    """A park with a saw-tooth top edge: every covered m² is truly within 500 m."""
    xs = np.arange(0, 1001, 25.0)
    top = [(x, 100.0 if i % 2 == 0 else 98.0) for i, x in enumerate(xs)][::-1]
    park = shapely.Polygon([(0, 0), (1000, 0), *top])
    res = covered_area(gs(box(510, 599, 540, 600)), gs(park), 500.0)
    # The part of the strip truly within 500 m, sampled on a 1 cm grid, bounds the figure.
    xx, yy = np.meshgrid(np.arange(510.005, 540, 0.01), np.arange(599.005, 600, 0.01))
    inside = shapely.dwithin(shapely.points(xx.ravel(), yy.ravel()), park, 500.0)
    sampled_m2 = inside.mean() * 30.0
    assert res.covered_m2[0] <= sampled_m2 + 0.05
    assert res.covered_m2[0] + res.area_error_bound_m2 >= sampled_m2 - 0.05


def test_wholly_served_parcels_count_exactly():
    """Every vertex of the 10 m square within 100 m of the point park: exactly 100 m², no
    error term. A parcel 100–150 m east of a holed (non-convex) park, within one edge's reach
    at 300 m: exactly 2500 m²."""
    res = covered_area(gs(box(0, 0, 10, 10)), gs(Point(5, 5)), 100.0)
    assert (res.covered_m2.tolist(), res.area_error_bound_m2) == ([100.0], 0.0)
    park = box(0, 0, 1000, 1000).difference(box(200, 200, 800, 800))
    res = covered_area(gs(box(1100, 400, 1150, 450)), gs(park), 300.0)
    assert (res.covered_m2.tolist(), res.area_error_bound_m2) == ([2500.0], 0.0)
    assert res.gaps[0].is_empty


def test_hole_in_park_area():
    """Residential land in a 600 m lake, park radius 300 m: the whole lake is within reach."""
    park = box(0, 0, 1000, 1000).difference(box(200, 200, 800, 800))
    land = gs(box(250, 250, 750, 750))
    assert covered_area(land, gs(park), 300.0).covered_m2[0] == pytest.approx(250_000.0)
    # At 200 m the centre square [400, 600]² of the lake is out of reach.
    res = covered_area(land, gs(park), 200.0)
    assert res.covered_m2[0] == pytest.approx(250_000.0 - 200.0 * 200.0, rel=1e-9)


def test_area_empty_layers():
    res = covered_area(gs(box(0, 0, 10, 10)), gs(), 500.0)
    assert (res.covered_m2.tolist(), res.share, res.gaps[0].area) == ([0.0], 0.0, 100.0)
    res = covered_area(gs(), gs(PARK_100), 500.0)
    assert (res.covered_m2.tolist(), res.share) == ([], None)


def test_area_errors():
    with pytest.raises(ValueError, match=r"tolerance_m must be > 0 metres"):
        covered_area(gs(PARK_100), gs(PARK_100), 1.0, tolerance_m=-1.0)


def test_service_areas_are_display_only_polygons():
    areas = service_areas(gs(Point(0, 0), Point(10, 0)), [500.0, np.nan], quad_segs=1)
    assert areas.area.tolist() == [500_000.0]
    assert areas.index.tolist() == [0]


def test_marginal_contribution_of_duplicate_parks_is_zero():
    land = gs(box(-1000, -1000, 1000, 1000))
    parks = gs(Point(0, 0), Point(0, 0), Point(500, 0))
    got = marginal_area(land, parks, [100.0, 100.0, 100.0])
    assert got[:2].tolist() == [0.0, 0.0]
    assert got[2] == pytest.approx(math.pi * 100**2, rel=1e-3)


# --- park_coverage on a hand-made district ------------------------------------------------------

DISTRICT = box(0, 0, 1000, 1000)


@pytest.fixture
def district_layers():
    """District [0,1000]²; two parcels of 20 000 m² (after clipping) each half covered.

    * R1 box(-200, 0, 200, 100), old city: straddles the district edge; inside part [0,200]x[0,100].
    * R2 box(300, 500, 500, 600), new area.
    * P1 strip x in [-450, -400], OUTSIDE the district: serves x <= 100 (R1's left half).
    * P2 strip x in [900, 1100], STRADDLING the boundary: serves x >= 400 (R2's right half).
    * P3 a 10 m G13 park far away; P4 a square (G3) far away.
    """
    residential = gdf(
        [box(-200, 0, 200, 100), box(300, 500, 500, 600)],
        id=["R1", "R2"], area_type=["old_city", "new_area"], population=[1000.0, 3000.0],
    )
    parks = gdf(
        [box(-450, -10_000, -400, 10_000), box(900, -10_000, 1100, 10_000),
         box(5000, 5000, 5010, 5010), box(7000, 7000, 7100, 7100)],
        id=["P1", "P2", "P3", "P4"], park_class=["G12", "G11", "G13", "G3"],
    )
    buildings = gdf(
        [box(50, 10, 60, 20), box(150, 10, 160, 20), box(-100, 10, -90, 20), box(60, 10, 70, 20)],
        id=["B1", "B2", "B3", "B4"],
        use_category=["residential", "residential", "residential", "public"],
        population=[100.0, 300.0, 50.0, 0.0],
    )
    return residential, parks, buildings


def test_park_coverage_hand_checked(district_layers):
    residential, parks, buildings = district_layers
    report = park_coverage(residential, parks, buildings=buildings, district=DISTRICT)
    assert report.rule.id == "gbt51346_2019"
    assert report.residential_m2 == pytest.approx(40_000.0)
    assert report.covered_m2 == pytest.approx(20_000.0)
    assert report.share == pytest.approx(0.5)
    assert report.threshold_met is False  # GB/T 51346: > 90 %
    assert report.details["threshold"] == "> 90%"
    rows = report.by_area_type.set_index("area_type")
    assert rows.loc["old_city", "share"] == pytest.approx(0.5)
    assert rows.loc["old_city", "threshold"] == ">= 80%"
    assert not rows.loc["old_city", "met"]
    assert rows.loc["new_area", "threshold"] == ">= 100%"
    # Buildings: B1 is 450 m from P1, B2 550 m; B3 lies outside the district, B4 is public.
    assert (report.buildings_total, report.buildings_covered) == (2, 1)
    assert report.building_share == 0.5
    assert report.population_share == 0.25
    assert report.population_source == "building"
    # Gaps: R1's right half and R2's left half.
    assert sorted(report.gaps["residential_id"]) == ["R1", "R2"]
    assert report.gaps["gap_m2"].to_numpy() == pytest.approx([10_000.0, 10_000.0])
    assert report.gaps.geometry.iloc[0].equals(box(100, 0, 200, 100))
    # Marginal: each strip alone covers 10 000 m²; P3/P4 cover nothing; all four count.
    marg = report.parks.set_index("park_id")["marginal_m2"]
    assert marg.to_numpy() == pytest.approx([10_000.0, 10_000.0, 0.0, 0.0])
    assert report.parks["counted"].tolist() == [True, True, True, True]
    assert report.augmented_share is None


def test_population_from_residential_land_when_buildings_absent(district_layers):
    residential, parks, _ = district_layers
    report = park_coverage(residential, parks, district=DISTRICT)
    # R1: 1000 people on 80 000 m², 20 000 m² inside, half covered -> 125 of 250 in the district;
    # R2: 3000 people, half covered -> 1500. Share = (125 + 1500) / (250 + 3000) = 0.5.
    assert report.population_source == "residential_land"
    assert report.population_share == pytest.approx(0.5)
    assert report.building_share is None


def test_pocket_park_augmented_figure(district_layers):
    residential, parks, _ = district_layers
    pocket = gdf([box(140, 40, 160, 60)], id=["K1"])
    report = park_coverage(residential, parks, district=DISTRICT, pocket_gardens=pocket)
    assert report.share == pytest.approx(0.5)  # the standard figure is unchanged
    assert report.augmented_covered_m2 == pytest.approx(30_000.0)
    assert report.augmented_share == pytest.approx(0.75)
    assert report.details["pocket_radius_m"] == 300.0


def test_per_unit_tables(district_layers):
    residential, parks, _ = district_layers
    units = gdf([box(0, 0, 250, 1000), box(250, 0, 1000, 1000), box(2000, 0, 3000, 10)],
                id=["S1", "S2", "S3"], name=["甲街道", "乙街道", "丙街道"])
    report = park_coverage(residential, parks, district=DISTRICT, units={"subdistrict": units})
    table = report.per_unit["subdistrict"]
    assert table["unit_name"].tolist() == ["甲街道", "乙街道", "丙街道"]
    assert table["residential_m2"].to_numpy() == pytest.approx([20_000.0, 20_000.0, 0.0])
    assert table["covered_m2"].to_numpy() == pytest.approx([10_000.0, 10_000.0, 0.0])
    assert table["share"].iloc[0] == pytest.approx(0.5)
    assert np.isnan(table["share"].iloc[2])
    assert table["threshold_met"].tolist() == [False, False, None]


def test_without_district_the_parcel_is_not_clipped(district_layers):
    residential, parks, _ = district_layers
    report = park_coverage(residential, parks)
    # R1 whole: [-200, 200] x [0, 100], covered x <= 100 -> 30 000 of 40 000.
    assert report.residential_m2 == pytest.approx(60_000.0)
    assert report.covered_m2 == pytest.approx(40_000.0)


def test_tiered_rule_counts_parks_by_size():
    """城市体检: 1999 m² not counted, 2000 m² serves 300 m, 5000 m² serves 500 m."""
    parks = gdf([box(0, 0, 40, 49.975), box(0, 1000, 40, 1050), box(0, 3000, 50, 3100)],
                id=["small", "mid", "big"], park_class=["G14", "G12", "G11"])
    residential = gdf([box(0, 49.975 + 100, 40, 49.975 + 110),   # 100 m from "small"
                       box(0, 1050 + 299, 40, 1050 + 310),        # 299 m from "mid"
                       box(0, 3100 + 499, 40, 3100 + 510)],       # 499 m from "big"
                      id=["a", "b", "c"])
    report = park_coverage(residential, parks, rule="chengshi_tijian_2021")
    assert report.parks["counted"].tolist() == [False, True, True]
    assert report.parks["radius_m"].to_numpy()[1:].tolist() == [300.0, 500.0]
    # a: 0; b: 1 m of 11 m; c: 1 m of 11 m.
    assert report.covered_m2 == pytest.approx(2 * 40.0, abs=1e-6)
    # GB/T 51346 counts all three at 500 m: a and b whole (400 + 440 m²), c 1 m (40 m²).
    gbt = park_coverage(residential, parks, rule="gbt51346_2019")
    assert gbt.covered_m2 == pytest.approx(880.0, abs=1e-6)


def test_historic_tier_of_yuanlin():
    """A 1500 m² park counts (300 m) for historic residential land only."""
    parks = gdf([box(0, 0, 30, 50)], id=["P"], park_class=["G14"])
    residential = gdf([box(0, 100, 30, 110), box(100, 0, 110, 10)],
                      id=["hist", "old"], area_type=["historic", "old_city"])
    report = park_coverage(residential, parks, rule="yuanlin_2016")
    rows = report.by_area_type.set_index("area_type")
    assert rows.loc["historic", "covered_m2"] == pytest.approx(300.0)
    assert rows.loc["old_city", "covered_m2"] == 0.0
    assert report.share == pytest.approx(300.0 / 400.0)


def test_radius_override(district_layers):
    residential, parks, _ = district_layers
    report = park_coverage(residential, parks, district=DISTRICT, radius_m=450.0)
    # P1 now serves x <= 50, P2 x >= 450: 5000 + 5000 m².
    assert report.covered_m2 == pytest.approx(10_000.0)


def test_squares_count_only_where_the_rule_says(district_layers):
    residential, parks, _ = district_layers
    gbt = park_coverage(residential, parks, rule="gbt51346_2019")
    tijian = park_coverage(residential, parks, rule="chengshi_tijian_2021")
    assert gbt.parks.set_index("park_id").loc["P4", "counted"]
    assert not tijian.parks.set_index("park_id").loc["P4", "counted"]
    # P3 is 100 m² < 2000 m²: not counted by 城市体检 either.
    assert not tijian.parks.set_index("park_id").loc["P3", "counted"]


def test_empty_residential_gives_no_share(district_layers):
    _, parks, _ = district_layers
    report = park_coverage(gdf([], id=[]), parks)
    assert (report.share, report.residential_m2, report.threshold_met) == (None, 0.0, None)
    assert len(report.gaps) == 0


def test_park_coverage_errors(district_layers):
    residential, parks, _ = district_layers
    with pytest.raises(CoverageRuleError, match=r"unknown coverage rule 'gbt'"):
        park_coverage(residential, parks, rule="gbt")
    with pytest.raises(CoverageRuleError, match=r"no threshold for area type 'historic'"):
        park_coverage(residential, parks, area_type="historic")
    with pytest.raises(ValueError, match=r"parks have no 'park_class' column"):
        park_coverage(residential, parks.drop(columns="park_class"))
    with pytest.raises(ValueError, match=r"radius_m override must be > 0 metres"):
        park_coverage(residential, parks, radius_m=0.0)


# --- facility coverage --------------------------------------------------------------------------

def test_facility_coverage_land_and_zone():
    stops = gs(Point(0, 0))
    land = gs(box(0, 0, 10, 10), box(1000, 0, 1010, 10))
    assert facility_coverage(land, stops, 500.0).share == 0.5
    zone = box(-1000, -1000, 1000, 1000)
    res = facility_coverage(None, stops, 500.0, zone=zone)
    assert res.total_m2 == 4_000_000.0
    assert 0 <= math.pi * 500**2 - res.covered_m2 <= res.area_error_bound_m2
    with pytest.raises(ValueError, match=r"needs targets \(land polygons\) or a zone polygon"):
        facility_coverage(None, stops, 500.0)


# --- metric definitions -------------------------------------------------------------------------

def _ctx(units=None):
    return MetricContext(adcode="120101", district=DISTRICT, planning_epsg=CRS, audit_year=2025,
                         units=units or {})


def test_park_coverage_metric(district_layers):
    residential, parks, buildings = district_layers
    mdef = {d.name: d for d in METRIC_DEFS}["park_coverage"]
    assert mdef.margin_m == 500.0
    units = {"community": gdf([DISTRICT], id=["C1"], name=["一社区"])}
    frames = {"residential_land": residential, "park": parks, "building": buildings}
    result = mdef.compute(frames, params_from_mapping(ParkCoverageParams, {}), _ctx(units))
    assert result.value == pytest.approx(0.5)
    assert result.rule == "GB/T 51346-2019 cl. 4.3.4 (tanmap rule v1)"
    assert result.params["rule"] == "gbt51346_2019"
    assert result.details["covered_m2"] == pytest.approx(20_000.0)
    assert set(result.layers) == {"gaps", "service_areas"}
    assert result.per_unit["unit_kind"].tolist() == ["community"]
    assert json.loads(json.dumps(result.details))["threshold_met"] is False
    by_buildings = mdef.compute(frames, ParkCoverageParams(weight="buildings"), _ctx())
    assert by_buildings.value == 0.5
    no_buildings = mdef.compute({"residential_land": residential, "park": parks},
                                ParkCoverageParams(weight="buildings"), _ctx())
    assert (no_buildings.value, no_buildings.missing) == (None, ("building",))


def test_park_coverage_params_validation():
    params = params_from_mapping(ParkCoverageParams, {"radius_m": "300", "weight": "population"})
    assert (params.radius_m, params.weight) == (300.0, "population")
    with pytest.raises(ValueError, match=r"rule 'nope' is not one of"):
        ParkCoverageParams(rule="nope")
    with pytest.raises(ValueError, match=r"area_type 'downtown' is not one of"):
        ParkCoverageParams(area_type="downtown")
    with pytest.raises(ValueError, match=r"pocket_radius_m must be > 0 metres"):
        ParkCoverageParams(pocket_radius_m=0)


def test_facility_coverage_metric_filters_status():
    mdef = {d.name: d for d in METRIC_DEFS}["facility_coverage"]
    stops = gdf([Point(0, 0), Point(1000, 0)], id=["a", "b"], status=["existing", "planned"])
    land = gdf([box(0, 0, 10, 10), box(900, 0, 910, 10)], id=["r1", "r2"])
    frames = {"bus_stop": stops, "residential_land": land}
    result = mdef.compute(frames, FacilityCoverageParams(), _ctx())
    assert result.value == 0.5
    assert result.details["facilities"] == 1
    assert mdef.required_inputs(FacilityCoverageParams(kind="recycling_point")) == (
        "recycling_point",)
    missing = mdef.compute({"residential_land": land}, FacilityCoverageParams(), _ctx())
    assert (missing.value, missing.missing) == (None, ("bus_stop",))
    with pytest.raises(ValueError, match=r"kind 'spaceport' is not one of"):
        FacilityCoverageParams(kind="spaceport")


# --- hypothesis invariants ----------------------------------------------------------------------

coord = st.integers(0, 2000)
size = st.integers(1, 300)
boxes = st.builds(lambda x, y, w, h: box(x, y, x + w, y + h), coord, coord, size, size)
radii = st.integers(0, 800).map(float)


@settings(max_examples=40, deadline=None)
@given(land=st.lists(boxes, min_size=1, max_size=6), parks=st.lists(boxes, max_size=5),
       r=radii, extra=st.integers(1, 400).map(float))
def test_area_share_in_unit_interval_and_monotone_in_radius(land, parks, r, extra):
    a = covered_area(gs(*land), gs(*parks), r, quad_segs=16)
    b = covered_area(gs(*land), gs(*parks), r + extra, quad_segs=16)
    assert 0.0 <= a.share <= 1.0
    assert b.share >= a.share - a.area_error_bound_m2 / a.land_m2.sum() - 1e-12


@settings(max_examples=40, deadline=None)
@given(land=st.lists(boxes, min_size=1, max_size=6), parks=st.lists(boxes, max_size=4),
       more=st.lists(boxes, min_size=1, max_size=3), r=radii)
def test_adding_facilities_never_lowers_coverage(land, parks, more, r):
    base_mask = covered_mask(gs(*land), gs(*parks), r)
    more_mask = covered_mask(gs(*land), gs(*parks, *more), r)
    assert (more_mask >= base_mask).all()
    a = covered_area(gs(*land), gs(*parks), r).covered_m2.sum()
    b = covered_area(gs(*land), gs(*parks, *more), r).covered_m2.sum()
    assert b >= a - 1e-6


@settings(max_examples=40, deadline=None)
@given(land=st.lists(boxes, min_size=1, max_size=6), parks=st.lists(boxes, max_size=5),
       r=radii, extra=st.integers(1, 400).map(float))
def test_mask_monotone_in_radius(land, parks, r, extra):
    a = covered_mask(gs(*land), gs(*parks), r)
    b = covered_mask(gs(*land), gs(*parks), r + extra)
    assert (b >= a).all()


@settings(max_examples=30, deadline=None)
@given(land=st.lists(boxes, min_size=1, max_size=6), parks=st.lists(boxes, max_size=5),
       r=radii, dx=st.integers(-100_000, 100_000), dy=st.integers(-100_000, 100_000))
def test_translation_invariance(land, parks, r, dx, dy):
    moved = [shapely.transform(g, lambda c: c + np.array([dx, dy])) for g in land]
    moved_parks = [shapely.transform(g, lambda c: c + np.array([dx, dy])) for g in parks]
    assert (covered_mask(gs(*land), gs(*parks), r)
            == covered_mask(gs(*moved), gs(*moved_parks), r)).all()
    a = covered_area(gs(*land), gs(*parks), r)
    b = covered_area(gs(*moved), gs(*moved_parks), r)
    np.testing.assert_allclose(b.covered_m2, a.covered_m2, rtol=1e-7, atol=1e-4)


@settings(max_examples=30, deadline=None)
@given(land=st.lists(boxes, min_size=1, max_size=6), parks=st.lists(boxes, max_size=5),
       r=radii, data=st.data())
def test_row_order_does_not_matter(land, parks, r, data):
    perm_l = data.draw(st.permutations(range(len(land))))
    perm_p = data.draw(st.permutations(range(len(parks))))
    mask = covered_mask(gs(*land), gs(*parks), r)
    mask_p = covered_mask(gs(*[land[i] for i in perm_l]), gs(*[parks[i] for i in perm_p]), r)
    assert (mask_p == mask[list(perm_l)]).all()
    a = covered_area(gs(*land), gs(*parks), r)
    b = covered_area(gs(*[land[i] for i in perm_l]), gs(*[parks[i] for i in perm_p]), r)
    np.testing.assert_allclose(b.covered_m2, a.covered_m2[list(perm_l)], rtol=1e-9, atol=1e-6)


# --- agreement with the slow reference on randomised cities -------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_fast_mask_agrees_with_reference(seed, mask_path):
    land, parks, radii_m = random_city(seed)
    rng = np.random.default_rng(seed)
    points = list(shapely.points(rng.uniform(-500, 3500, (200, 2))))
    targets = land + points
    got = covered_mask(gs(*targets), gs(*parks), radii_m)
    np.testing.assert_array_equal(got, ref_covered_mask(targets, parks, radii_m))


@pytest.mark.parametrize("seed", range(6))
def test_fast_area_agrees_with_reference(seed):
    land, parks, radii_m = random_city(seed)
    got = covered_area(gs(*land), gs(*parks), radii_m, quad_segs=16)
    want = ref_covered_area(land, parks, radii_m, quad_segs=16)
    # The reference is the inscribed union at 16 segments: a lower bound. The fast path counts
    # wholly served parts exactly, so it may exceed the reference, by at most its stated bound,
    # and never exceeds a much finer reference (256 segments, sagitta < 1 mm) by more than that
    # reference's own error.
    assert (got.covered_m2 >= want - 1e-6).all()
    assert got.covered_m2.sum() - want.sum() <= got.area_error_bound_m2 + 1e-6
    fine = ref_covered_area(land, parks, radii_m, quad_segs=256)
    assert (got.covered_m2 <= fine + 1e-3 * np.maximum(1.0, fine / 1e4)).all()
    marg = marginal_area(gs(*land), gs(*parks), radii_m, quad_segs=16)
    np.testing.assert_allclose(marg, ref_marginal_area(land, parks, radii_m, quad_segs=16),
                               rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_nearest_agrees_with_reference(seed):
    land, parks, _ = random_city(seed)
    np.testing.assert_allclose(nearest_distance_m(gs(*land), gs(*parks)),
                               ref_nearest_distance(land, parks), rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 2, 8])
def test_nearest_kd_tree_path_agrees_with_reference(seed, k, monkeypatch):
    """Polygons and points to point stations through the k-d tree (few neighbours force the
    STRtree fallback for some targets)."""
    monkeypatch.setattr(cov, "KD_MIN_TARGETS", 0)
    monkeypatch.setattr(cov, "KD_NEIGHBOURS", k)
    land, _, _ = random_city(seed, n_land=30)
    rng = np.random.default_rng(seed)
    stations = list(shapely.points(rng.uniform(-200, 3200, (25, 2))))
    targets = land + list(shapely.points(rng.uniform(0, 3000, (20, 2))))
    np.testing.assert_allclose(nearest_distance_m(gs(*targets), gs(*stations)),
                               ref_nearest_distance(targets, stations), rtol=0, atol=1e-9)


# --- the benchmark's synthetic city is deterministic --------------------------------------------

def _synth():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "synth.py"
    spec = importlib.util.spec_from_file_location("tanmap_bench_synth", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_synthetic_city_is_deterministic():
    synth = _synth()
    a, b, c = synth.make_city("tiny"), synth.make_city("tiny"), synth.make_city("tiny", seed=1)
    assert synth.city_digest(a) == synth.city_digest(b) != synth.city_digest(c)
    assert (len(a.buildings), len(a.parks), len(a.stations)) == (2_000, 20, 40)
    assert a.parks.is_valid.all()
    assert a.buildings.crs.to_epsg() == 4548
    assert set(a.residential["area_type"]) <= {"old_city", "new_area"}



def test_benchmark_footprints_and_parks_are_irregular_valid_and_stay_in_their_cells():
    synth = _synth()
    rng = np.random.default_rng(5)
    x, y = np.arange(200) * 20.0, np.zeros(200)
    feet = synth.concave_footprints(rng, x, y, 10.0, courtyard_share=0.2)
    assert shapely.is_valid(feet).all()
    # inside its own 10 m cell, and never a filled rectangle: an L (notch) or a courtyard (hole)
    b = shapely.bounds(feet)
    assert (b[:, 0] >= x - 1e-9).all()
    assert (b[:, 2] <= x + 10 + 1e-9).all()
    assert (b[:, 1] >= -1e-9).all()
    assert (b[:, 3] <= 10 + 1e-9).all()
    hull = shapely.area(shapely.convex_hull(feet))
    holed = shapely.get_num_interior_rings(feet) > 0
    assert 0 < holed.sum() < feet.size
    assert (shapely.area(feet)[~holed] < hull[~holed] * 0.99).all()  # concave L shapes
    parks = synth.star_parks(rng, np.column_stack([x, y]), np.full(200, 25.0), lake_share=0.2)
    assert shapely.is_valid(parks).all()
    concave = shapely.area(parks) < shapely.area(shapely.convex_hull(parks)) * 0.99
    assert concave.mean() > 0.9


# --- irregular parks: holes, two parts, curved shores, a strip cut into pieces, a line --------

@pytest.mark.parametrize("seed", range(5))
def test_mask_on_irregular_parks_agrees_with_reference(seed, mask_path):
    land, parks, radii_m = irregular_city(seed)
    rng = np.random.default_rng(seed)
    targets = land + list(shapely.points(rng.uniform(-500, 3500, (300, 2))))
    got = covered_mask(gs(*targets), gs(*parks), radii_m)
    np.testing.assert_array_equal(got, ref_covered_mask(targets, parks, radii_m))


@pytest.mark.parametrize("seed", range(5))
def test_area_on_irregular_parks_agrees_with_reference(seed):
    """Against one global union of the parks and a capsule per boundary segment (exact for
    any shape): both are inscribed lower bounds, so they agree within the stated bound, and
    neither exceeds the truth (a 256-segment reference plus its own tiny error)."""
    land, parks, radii_m = irregular_city(seed)
    got = covered_area(gs(*land), gs(*parks), radii_m, quad_segs=16)
    want = ref_covered_area_capsules(land, parks, radii_m, quad_segs=16)
    assert got.covered_m2.sum() > 0
    assert abs(got.covered_m2.sum() - want.sum()) <= got.area_error_bound_m2 + 1e-6
    fine = ref_covered_area_capsules(land, parks, radii_m, quad_segs=256)
    assert (got.covered_m2 <= fine + 1e-3 * np.maximum(1.0, fine / 1e3)).all()
    # The covered and gap geometries (dissolved from the parts of split parcels) tile the land.
    covered, gaps = np.asarray(got.covered, dtype=object), np.asarray(got.gaps, dtype=object)
    np.testing.assert_allclose(shapely.area(covered), got.covered_m2, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(shapely.area(covered) + shapely.area(gaps), got.land_m2,
                               rtol=1e-9, atol=1e-6)
    assert (shapely.area(shapely.intersection(covered, gaps)) < 1e-6).all()
    # Wholly served or untouched land counts exactly.
    full = np.isclose(fine, got.land_m2, rtol=0, atol=1e-9)
    assert (got.covered_m2[full] == got.land_m2[full]).all()
    assert (got.covered_m2[fine == 0] == 0).all()


@pytest.mark.parametrize("seed", range(3))
def test_nearest_on_irregular_parks_agrees_with_reference(seed):
    land, parks, _ = irregular_city(seed)
    np.testing.assert_allclose(nearest_distance_m(gs(*land), gs(*parks)),
                               ref_nearest_distance(land, parks), rtol=0, atol=1e-9)


def test_one_worker_equals_two_workers(monkeypatch):
    """Many small tiles, so the two threads really share the work: identical bits."""
    monkeypatch.setattr(cov, "MIN_FEATURES_PER_TILE", 50)
    monkeypatch.setattr(cov, "AREA_TILE_MIN", 20)
    land, parks, radii_m = irregular_city(7, n_land=600, extent_m=4000.0)
    targets, facilities = gs(*land), gs(*parks)
    one = covered_area(targets, facilities, radii_m, workers=1)
    two = covered_area(targets, facilities, radii_m, workers=2)
    np.testing.assert_array_equal(one.covered_m2, two.covered_m2)
    assert one.area_error_bound_m2 == two.area_error_bound_m2
    assert all(a.equals_exact(b, 0) for a, b in zip(one.gaps, two.gaps, strict=True))
    np.testing.assert_array_equal(covered_mask(targets, facilities, radii_m, workers=1),
                                  covered_mask(targets, facilities, radii_m, workers=2))
    np.testing.assert_array_equal(nearest_distance_m(targets, facilities, workers=1),
                                  nearest_distance_m(targets, facilities, workers=2))
    with pytest.raises(ValueError, match="workers must be >= 1"):
        covered_mask(targets, facilities, radii_m, workers=0)


def test_strip_park_is_indexed_in_pieces():
    """A 3 km strip of ~600 vertices: the index holds pieces of <= 64 vertices, and a home
    exactly 300 m from the strip's edge is covered (inclusive) while one 1 mm farther is not."""
    strip = shapely.segmentize(shapely.box(0, -10, 3000, 10), 10.0)
    assert shapely.get_num_coordinates(strip) > 600
    index = cov._PieceIndex.build(np.array([strip]), np.array([300.0]))
    assert bool(index.cut[0])
    assert (shapely.get_num_coordinates(index.groups[0].pieces) <= 64).all()
    homes = gs(Point(1234.5, 310.0), Point(1234.5, 310.001))
    assert covered_mask(homes, gs(strip), 300.0).tolist() == [True, False]
    assert nearest_distance_m(homes, gs(strip)).tolist() == pytest.approx([300.0, 300.001],
                                                                          abs=1e-9)


def test_unit_within_its_error_bound_is_not_a_bare_failure():
    """A 街道 whose residential land is exactly the 100 m disk around a point park: the
    inscribed polygon misses a sliver (under 0.1 %), so the bare share is below a 100 %
    threshold, but the share plus the unit's bound reaches it: met within the error bound."""
    land = gs(Point(0, 0).buffer(100.0, quad_segs=256))
    unit = gpd.GeoDataFrame({"id": ["S1"], "name": ["甲街道"]},
                            geometry=[box(-200, -200, 200, 200)], crs=4548)
    res = covered_area(land, gs(Point(0, 0)), 100.0)
    assert res.bound_m2 is not None
    assert res.bound_m2.sum() == pytest.approx(res.area_error_bound_m2)
    table = cov._unit_table(unit, np.asarray(land.array), np.asarray(res.covered, dtype=object),
                            lambda s: s >= 1.0, res.bound_m2)
    row = table.iloc[0]
    assert row["share"] < 1.0
    assert row["threshold_met"] is False or not row["threshold_met"]
    assert row["error_bound_m2"] == pytest.approx(res.area_error_bound_m2)
    assert bool(row["met_within_error_bound"])
    # Far from the threshold: a plain failure, not within the bound.
    table = cov._unit_table(unit, np.asarray(land.array), np.asarray(res.covered, dtype=object),
                            lambda s: s >= 1.5, res.bound_m2)
    assert not bool(table.iloc[0]["met_within_error_bound"])


@pytest.mark.parametrize(("parks", "expected_zero"), [
    ([Point(5, 5), Point(6, 5)], [True, True]),      # both serve the whole parcel: nobody's own
    ([Point(5, 5), Point(5, 105)], [False, True]),   # one serves it wholly, the other partly
    ([Point(5, -93), Point(5, 103)], [False, False]),  # neither wholly: each has its own part
])
def test_marginal_area_shortcuts_agree_with_reference(parks, expected_zero):
    land = [box(0, 0, 10, 10), box(500, 500, 520, 520)]
    got = marginal_area(gs(*land), gs(*parks), 100.0, quad_segs=64)
    want = ref_marginal_area(land, parks, np.full(len(parks), 100.0), quad_segs=64)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    assert ((got == 0) == np.array(expected_zero)).all()

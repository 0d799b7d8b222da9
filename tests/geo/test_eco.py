"""Ecological zones: 蓝绿空间占比 and 森林覆盖率 on a 1 m grid (EPSG:4548)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import affinity
from shapely.geometry import box

from tanmap.geo.eco import (
    METRIC_DEFS,
    blue_green_classes,
    class_areas_m2,
    class_share,
    forest_area_m2,
)
from tanmap.geo.errors import GeographicCRSError, MetricParameterError
from tanmap.geo.metric import MetricContext, params_from_mapping

CRS = 4548
DEFS = {d.name: d for d in METRIC_DEFS}
BG, FOREST = DEFS["blue_green_share"], DEFS["forest_cover"]


@pytest.fixture
def eco() -> gpd.GeoDataFrame:
    """一级 zone [0,4]x[0,4] and 二级 zone [4,8]x[0,4] (16 m² each)."""
    return gpd.GeoDataFrame({"id": ["z1", "z2"], "control_level": [1, 2]},
                            geometry=[box(0, 0, 4, 4), box(4, 0, 8, 4)], crs=CRS)


@pytest.fixture
def land_cover() -> gpd.GeoDataFrame:
    """A partition of [0,8]x[0,4].

    Zone 1: water 4 m², forest 3 m² (closure 0.5, 30 m³) + 3 m² (closure 0.1, 10 m³),
    farmland 6 m². Zone 2: grass 8 m², built 8 m².
    """
    return gpd.GeoDataFrame(
        {
            "cover_class": ["water", "forest", "forest", "farmland", "grass", "built"],
            "canopy_closure": [None, 0.5, 0.1, None, None, None],
            "stock_m3": [None, 30.0, 10.0, None, None, None],
        },
        geometry=[box(0, 0, 1, 4), box(1, 0, 4, 1), box(1, 1, 4, 2), box(1, 2, 4, 4),
                  box(4, 0, 8, 2), box(4, 2, 8, 4)],
        crs=CRS,
    )


def ctx(district=None) -> MetricContext:
    return MetricContext(adcode="120110", district=district or box(0, 0, 10, 10),
                         planning_epsg=CRS, audit_year=2025)


def test_class_areas_per_zone(eco, land_cover):
    areas = class_areas_m2(eco.geometry, land_cover)
    assert areas.to_dict("records") == [
        {"built": 0.0, "farmland": 6.0, "forest": 6.0, "grass": 0.0, "water": 4.0},
        {"built": 8.0, "farmland": 0.0, "forest": 0.0, "grass": 8.0, "water": 0.0},
    ]


def test_class_share_literals():
    assert class_share({"water": 4.0, "forest": 6.0}, 16.0, blue_green_classes()) == 0.625
    assert class_share({"water": 4.0}, 0.0, ("water",)) is None


def test_farmland_is_an_explicit_choice():
    assert "farmland" not in blue_green_classes()
    assert "farmland" in blue_green_classes(count_farmland=True)


@pytest.mark.parametrize(("values", "share"), [
    ({}, 18 / 32),
    ({"control_level": 1}, 10 / 16),
    ({"control_level": 1, "count_farmland": True}, 1.0),
    ({"control_level": 2}, 0.5),
    ({"control_level": 3}, None),
    ({"classes": "water"}, 4 / 32),
], ids=["all-zones", "level-1", "level-1-with-farmland", "level-2", "level-3-absent",
        "custom-classes"])
def test_blue_green_share(eco, land_cover, values, share):
    res = BG.compute({"eco_zone": eco, "land_cover": land_cover},
                     params_from_mapping(BG.params, values), ctx())
    assert res.value == (pytest.approx(share) if share is not None else None)


def test_blue_green_details_and_overlapping_zones(eco, land_cover):
    """A duplicated 一级 zone is dissolved: the share does not change."""
    doubled = pd.concat([eco, eco.iloc[[0]]], ignore_index=True)
    res = BG.compute({"eco_zone": doubled, "land_cover": land_cover}, BG.params(), ctx())
    assert res.value == pytest.approx(18 / 32)
    assert res.details["share_by_level"] == {"all": 0.5625, "level_1": 0.625, "level_2": 0.5,
                                             "level_3": None}
    assert res.details["zone_area_m2"] == 32.0


def test_zones_are_clipped_to_the_district(eco, land_cover):
    """District [0,6]x[0,4]: zone 2 keeps [4,6]x[0,4], half grass."""
    res = BG.compute({"eco_zone": eco, "land_cover": land_cover},
                     params_from_mapping(BG.params, {"control_level": 2}), ctx(box(0, 0, 6, 4)))
    assert res.value == 0.5
    assert res.details["zone_area_m2"] == 8.0


def test_blue_green_missing_layers(eco):
    res = BG.compute({"eco_zone": eco}, BG.params(), ctx())
    assert (res.value, res.missing) == (None, ("land_cover",))


def test_forest_area_uses_canopy_closure(land_cover):
    assert forest_area_m2(box(0, 0, 4, 4), land_cover) == (3.0, 30.0)
    assert forest_area_m2(box(0, 0, 4, 4), land_cover, min_canopy_closure=0.0) == (6.0, 40.0)
    assert forest_area_m2(box(0, 0, 2.5, 4), land_cover) == (1.5, 15.0)  # stock pro rata


@pytest.mark.parametrize(("values", "share"), [
    ({"control_level": 1}, 3 / 16),
    ({}, 3 / 100),
    ({"control_level": 1, "min_canopy_closure": 0}, 6 / 16),
    ({"control_level": 2}, 0.0),
], ids=["level-1", "district", "any-closure", "level-2-no-forest"])
def test_forest_cover(eco, land_cover, values, share):
    res = FOREST.compute({"eco_zone": eco, "land_cover": land_cover},
                         params_from_mapping(FOREST.params, values), ctx())
    assert res.value == pytest.approx(share)


def test_forest_cover_details_and_missing(eco, land_cover):
    res = FOREST.compute({"eco_zone": eco, "land_cover": land_cover},
                         FOREST.params(control_level=1), ctx())
    assert res.details == {"forest_area_m2": 3.0, "land_area_m2": 16.0, "growing_stock_m3": 30.0,
                           "land_cover_source": "vector land_cover layer (土地覆盖矢量图层)"}
    no_zones = FOREST.compute({"land_cover": land_cover}, FOREST.params(control_level=1), ctx())
    assert (no_zones.value, no_zones.missing) == (None, ("eco_zone",))
    district_only = FOREST.compute({"land_cover": land_cover}, FOREST.params(), ctx())
    assert district_only.value == pytest.approx(0.03)


@pytest.mark.parametrize(("metric", "values", "match"), [
    (BG, {"control_level": 4}, r"control_level must be one of \[1, 2, 3\]"),
    (FOREST, {"min_canopy_closure": 2}, r"min_canopy_closure must be in \[0, 1\]"),
], ids=["level-4", "closure-2"])
def test_params_are_checked(metric, values, match):
    with pytest.raises(MetricParameterError, match=match):
        params_from_mapping(metric.params, values)


def test_degrees_are_rejected(land_cover):
    with pytest.raises(GeographicCRSError, match="degrees"):
        class_areas_m2(gpd.GeoSeries([box(0, 0, 1, 1)], crs=4326), land_cover)


# ------------------------------------------------------------------ properties

CLASSES = ["water", "wetland", "forest", "grass", "farmland", "built"]
cells = st.tuples(st.integers(0, 9), st.integers(0, 9), st.sampled_from(CLASSES))


def _cover(cell_list) -> gpd.GeoDataFrame:
    """Unique 1 m cells (later duplicates dropped) with a class each."""
    seen = {}
    for x, y, cls in cell_list:
        seen.setdefault((x, y), cls)
    return gpd.GeoDataFrame({"cover_class": list(seen.values())},
                            geometry=[box(x, y, x + 1, y + 1) for x, y in seen], crs=CRS)


def _reference_areas(zone, cover) -> dict[str, float]:
    """Obvious loop: intersect every polygon with the zone."""
    out: dict[str, float] = {}
    for cls, geom in zip(cover["cover_class"], cover.geometry, strict=True):
        out[cls] = out.get(cls, 0.0) + geom.intersection(zone).area
    return out


zones_st = st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(1, 5),
                     st.integers(1, 5)).map(lambda t: box(t[0] + 0.5, t[1], t[0] + t[2],
                                                          t[1] + t[3] + 0.25))


@settings(max_examples=40, deadline=None)
@given(cell_list=st.lists(cells, min_size=1, max_size=40), zone=zones_st,
       dx=st.integers(-10_000, 10_000), seed=st.randoms())
def test_eco_invariants(cell_list, zone, dx, seed):
    cover = _cover(cell_list)
    areas = class_areas_m2(gpd.GeoSeries([zone], crs=CRS), cover).iloc[0].to_dict()
    ref = _reference_areas(zone, cover)
    assert areas == pytest.approx({k: ref.get(k, 0.0) for k in areas})
    share = class_share(areas, zone.area, blue_green_classes())
    with_farmland = class_share(areas, zone.area, blue_green_classes(count_farmland=True))
    assert 0.0 <= share <= with_farmland <= 1.0
    moved = cover.set_geometry(cover.geometry.translate(dx, -dx))
    areas_moved = class_areas_m2(
        gpd.GeoSeries([affinity.translate(zone, dx, -dx)], crs=CRS), moved).iloc[0].to_dict()
    assert areas_moved == pytest.approx(areas)
    order = list(range(len(cover)))
    seed.shuffle(order)
    shuffled = class_areas_m2(gpd.GeoSeries([zone], crs=CRS), cover.iloc[order]).iloc[0]
    assert shuffled.to_dict() == pytest.approx(areas)

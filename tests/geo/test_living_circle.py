"""Living circles: required facility types reached on foot (tanmap.geo.living_circle)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, Point, box

from tanmap.geo.living_circle import (
    LIVING_CIRCLE_RULES,
    LivingCircleParams,
    living_circle_reach,
)
from tanmap.geo.metric import MetricContext
from tanmap.geo.registry import METRICS

CRS = 4548
X, Y = 500_000.0, 4_300_000.0


def _town():
    edges = gpd.GeoDataFrame(geometry=[LineString([(X, Y), (X + 1000, Y)]),
                                       LineString([(X, Y + 300), (X + 50, Y + 300)])], crs=CRS)
    homes = gpd.GeoDataFrame(
        {"id": ["H1", "H2"], "use_category": ["residential", "residential"]},
        geometry=[box(X - 5, Y - 15, X + 5, Y - 5),          # 5 m below the street at x = 0
                  box(X + 990, Y + 5, X + 1000, Y + 15)],    # 5 m above it at x = 995
        crs=CRS)
    facilities = gpd.GeoDataFrame(
        {"facility_type": ["school", "market", "sports_ground"]},
        geometry=[Point(X + 400, Y + 10), Point(X + 600, Y), Point(X + 20, Y + 310)], crs=CRS)
    return edges, homes, facilities


def test_ten_minute_circle_by_hand() -> None:
    edges, homes, facilities = _town()
    level = LIVING_CIRCLE_RULES["gb50180_2018"].levels[10]
    assert (level.walk_m, level.facility_types) == (500.0, ("school", "market", "sports_ground"))
    r = living_circle_reach(homes, facilities, edges, level)
    b = r.buildings.set_index("id")
    # H1: school 5 + 400 + 10 = 415 m; market 605 m (> 500); the sports ground is on a path
    # the street does not reach.  H2: school 5 + 595 + 10 = 610 m; market 5 + 395 = 400 m.
    assert b.loc["H1", "walk_school_m"] == pytest.approx(415.0)
    assert np.isnan(b.loc["H1", "walk_market_m"])
    assert b.loc["H2", "walk_market_m"] == pytest.approx(400.0)
    assert b["missing"].to_dict() == {"H1": "market,sports_ground", "H2": "school,sports_ground"}
    assert b.loc["H1", "missing_zh"] == "菜市场或生鲜超市、多功能运动场地"
    assert r.share_all == 0.0
    assert r.share_by_type == {"school": 0.5, "market": 0.5, "sports_ground": 0.0}


def test_distance_override_is_inclusive() -> None:
    edges, homes, facilities = _town()
    params = LivingCircleParams(level=10, walk_m=610.0, facility_types=("school", "market"))
    r = living_circle_reach(homes, facilities, edges, params.level_def())
    assert r.buildings["reached_all"].tolist() == [True, True]
    params = LivingCircleParams(level=10, walk_m=609.99, facility_types=("school", "market"))
    r = living_circle_reach(homes, facilities, edges, params.level_def())
    assert r.buildings["reached_all"].tolist() == [True, False]


def test_metric_runs_with_units_and_missing_layer() -> None:
    edges, homes, facilities = _town()
    units = {"community": gpd.GeoDataFrame({"id": ["W", "E"], "name": ["西社区", "东社区"]},
                                           geometry=[box(X - 100, Y - 100, X + 500, Y + 100),
                                                     box(X + 500, Y - 100, X + 1100, Y + 100)],
                                           crs=CRS)}
    ctx = MetricContext("990001", box(X - 2000, Y - 2000, X + 2000, Y + 2000), CRS, 2025, units)
    res = METRICS["living_circle"].compute(
        {"building": homes, "living_circle_facility": facilities, "walk_network": edges},
        LivingCircleParams(level=10, facility_types=("market",)), ctx)
    assert res.value == 0.5
    assert res.layers["missing_facilities"]["id"].tolist() == ["H1"]
    table = res.per_unit.set_index("unit_id")
    assert (table.loc["W", "share"], table.loc["E", "share"]) == (0.0, 1.0)
    assert "GB 50180-2018" in res.rule


def test_no_facilities_of_a_type_reaches_nothing() -> None:
    edges, homes, facilities = _town()
    r = living_circle_reach(homes, facilities.iloc[:0], edges,
                            LivingCircleParams(level=5).level_def())
    assert r.share_all == 0.0
    assert set(r.share_by_type.values()) == {0.0}


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="level 7"):
        LivingCircleParams(level=7)
    with pytest.raises(ValueError, match="facility_types"):
        LivingCircleParams(facility_types=("cinema",))
    with pytest.raises(ValueError, match="walk_m"):
        LivingCircleParams(walk_m=float("inf"))

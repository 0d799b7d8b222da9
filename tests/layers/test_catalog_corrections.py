"""Each catalog correction of issue 10, checked on hand-built layers where the old entry errs.

Every test runs the *bundled catalog entry's* metric and parameters on small layers in
EPSG:4548 (metres) built so that the entry before the correction gives another answer; the
old answer is stated in each docstring. The district is [0, 2000] × [0, 1000] m unless said.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from tanmap.geo.audit import error_bound_of, judge
from tanmap.geo.metric import MetricContext, MetricResult, params_from_mapping
from tanmap.geo.registry import METRICS
from tanmap.layers.catalog import load_catalog

EPSG = 4548
DISTRICT = box(0, 0, 2000, 1000)


def gdf(rows: list[dict[str, Any]], geoms: list[Any]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=EPSG)


def run(target_id: str, frames: dict[str, gpd.GeoDataFrame], *,
        units: dict[str, gpd.GeoDataFrame] | None = None,
        params: dict[str, Any] | None = None, district: Any = DISTRICT) -> MetricResult:
    """Run the bundled entry's metric (or the same metric with ``params``) on ``frames``."""
    target = load_catalog(target_id[:6]).get(target_id)
    mdef = METRICS[target.metric]
    p = params_from_mapping(mdef.params, target.params if params is None else params)
    context = MetricContext(target_id[:6], district, EPSG, 2026, units or {})
    return mdef.compute(frames, p, context)


def old(target_id: str, **changes: Any) -> dict[str, Any]:
    """The entry's parameters before the correction: the bundled ones minus/with ``changes``."""
    params = dict(load_catalog(target_id[:6]).get(target_id).params)
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
        else:
            params[k] = v
    return params


# --------------------------------------------------------------------- zones (中心城区/城区核心区)

ZONES = gdf([{"id": "z1", "zone_type": "central_urban"}, {"id": "z2", "zone_type": "core_area"}],
            [box(0, 0, 1000, 1000), box(0, 0, 1000, 1000)])


def test_dongli_t01_bus_coverage_is_measured_in_the_central_urban_area() -> None:
    """Stops at the corners and centre of the west 1 km² (the 中心城区) cover it all within
    500 m; the east half has only the quarter discs of the two east corner stops. Old entry
    (whole district): (1 + π/8) / 2 ≈ 0.696 → 未达标; now 1.0 → 达标."""
    stops = gdf([{"id": f"b{i}"} for i in range(5)],
                [Point(0, 0), Point(1000, 0), Point(0, 1000), Point(1000, 1000),
                 Point(500, 500)])
    frames = {"bus_stop": stops, "planning_zone": ZONES}
    new = run("120110-T01", frames)
    verdict = judge(0.9, ">=", new.value, bound=error_bound_of(
        new.name, new.unit, new.params, new.details))
    assert new.value == pytest.approx(1.0, abs=1e-3)
    assert verdict.status.value == "met"
    before = run("120110-T01", frames, params=old("120110-T01", zone_type=None))
    assert before.value == pytest.approx((1 + 3.141592653589793 / 8) / 2, abs=1e-3)


def test_zone_kind_missing_is_no_data_naming_the_zone() -> None:
    stops = gdf([{"id": "b1"}], [Point(500, 500)])
    result = run("120110-T01", {"bus_stop": stops})
    assert result.value is None
    assert result.missing == ("planning_zone.zone_type=central_urban",)


def test_jinshi_t03_charging_radius_is_measured_in_the_core_area() -> None:
    """One public station at the centre of the 1 km² core area serves it all within 2 km; the
    district (now 10 km wide) is mostly beyond. Old entry: the whole district (< 0.5)."""
    wide = box(0, 0, 10_000, 1000)
    stations = gdf([{"id": "c1", "access": "public", "fast_piles": 2, "slow_piles": 2}],
                   [Point(500, 500)])
    frames = {"charging_station": stations, "planning_zone": ZONES}
    assert run("430781-T03", frames, district=wide).value == pytest.approx(1.0)
    before = run("430781-T03", frames, params=old("430781-T03", zone_type=None),
                 district=wide)
    assert before.value is not None
    assert before.value < 0.5


# --------------------------------------------------------------------- PV by panel area, classes

def _buildings(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    geoms = [box(200 * i, 0, 200 * i + 10, 10) for i in range(len(rows))]  # 100 m² roofs
    return gdf([{"id": f"B{i}", "roof_area_m2": 100.0, **r} for i, r in enumerate(rows)], geoms)


def _panels(building_ids: list[str], panel_m2: list[float]) -> gpd.GeoDataFrame:
    return gdf([{"id": f"pv{i}", "building_id": b, "capacity_kwp": a * 0.2, "panel_area_m2": a}
                for i, (b, a) in enumerate(zip(building_ids, panel_m2, strict=True))],
               [Point(0, 0)] * len(building_ids))


def test_huangpu_p06_other_public_buildings_by_panel_area_without_institutions() -> None:
    """B0: new public building (not an institution) with 30 m² of panels on its 100 m² roof;
    B1: new public-institution building fully covered. Old entry: roof area of buildings with
    PV, institutions included = 200/200 = 1.0; now 30/100 = 0.3."""
    buildings = _buildings([
        {"use_category": "public", "is_new": True, "public_institution": False},
        {"use_category": "public", "is_new": True, "public_institution": True},
    ])
    frames = {"building": buildings, "pv_rooftop": _panels(["B0", "B1"], [30.0, 100.0])}
    assert run("310101-P06", frames).value == pytest.approx(0.3)
    before = run("310101-P06", frames, params=old(
        "310101-P06", exclude_public_institutions=None, by="area"))
    assert before.value == pytest.approx(1.0)


@pytest.mark.parametrize("target_id", ["120110-P03", "120110-P04", "120110-P05"])
def test_dongli_pilot_ratios_are_panel_area_over_roof_area(target_id: str) -> None:
    """One building of the entry's class with 20 m² of panels on a 100 m² roof: 0.2 (the old
    entry counted the whole roof of any building with PV: 1.0)."""
    category = load_catalog("120110").get(target_id).params["categories"][0]
    frames = {"building": _buildings([{"use_category": category, "is_new": False}]),
              "pv_rooftop": _panels(["B0"], [20.0])}
    assert run(target_id, frames).value == pytest.approx(0.2)
    assert run(target_id, frames, params=old(target_id, by="area")).value == pytest.approx(1.0)


def test_dongli_p06_rural_homes_only_in_villages() -> None:
    """B0 (in a village) has 25 m² of panels; B1 (in an urban 社区) none. Old entry (all
    residential roofs, by roof area) = 100/200 = 0.5; now 25/100 = 0.25."""
    buildings = _buildings([{"use_category": "residential", "is_new": False},
                            {"use_category": "residential", "is_new": False}])
    communities = gdf([{"id": "v", "name": "村", "community_type": "village"},
                       {"id": "c", "name": "社区", "community_type": "community"}],
                      [box(-10, -10, 100, 100), box(100, -10, 400, 100)])
    frames = {"building": buildings, "pv_rooftop": _panels(["B0"], [25.0])}
    result = run("120110-P06", frames, units={"community": communities})
    assert result.value == pytest.approx(0.25)
    before = run("120110-P06", frames, units={"community": communities},
                 params=old("120110-P06", villages_only=None, by="area"))
    assert before.value == pytest.approx(0.5)


def test_villages_only_without_community_types_is_no_data() -> None:
    frames = {"building": _buildings([{"use_category": "residential", "is_new": False}]),
              "pv_rooftop": _panels(["B0"], [25.0])}
    communities = gdf([{"id": "v", "name": "村"}], [box(-10, -10, 100, 100)])
    result = run("120110-P06", frames, units={"community": communities})
    assert (result.value, result.missing) == (None, ("community.community_type",))


# --------------------------------------------------------------------- transfer-station subtypes

STATIONS = gdf(
    [{"id": "t1", "name": "再生资源回收中转站", "station_type": "recyclables",
      "status": "completed", "completion_year": 2024},
     {"id": "t2", "name": "生活垃圾转运站", "station_type": "household_waste",
      "status": "completed", "completion_year": 2022}],
    [Point(100, 100), Point(1500, 500)],
)
SUBDISTRICTS = gdf([{"id": "w", "name": "西街道"}, {"id": "e", "name": "东街道"}],
                   [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)])


def test_heping_r10_counts_household_waste_stations_only() -> None:
    """新建生活垃圾转运站 since 2023: t1 (recyclables, 2024) must not count, t2 (household waste)
    is older. Old entry (any transfer station since 2023) = 1; now 0."""
    assert run("120101-R10", {"transfer_station": STATIONS}).value == 0
    before = run("120101-R10", {"transfer_station": STATIONS},
                 params=old("120101-R10", field=None, values=None))
    assert before.value == 1


def test_heping_r02_counts_recyclables_stations_per_subdistrict() -> None:
    """每个街道设立1座(废旧物资回收)中转站: the east 街道 has only a household-waste station.
    Old entry: both 街道 pass (1.0); now the east fails (0.5)."""
    result = run("120101-R02", {"transfer_station": STATIONS},
                 units={"subdistrict": SUBDISTRICTS})
    assert result.value == 0.5
    assert result.details["failing_units"] == ["东街道"]
    before = run("120101-R02", {"transfer_station": STATIONS}, units={"subdistrict": SUBDISTRICTS},
                 params=old("120101-R02", field=None, values=None))
    assert before.value == 1.0


# --------------------------------------------------------------------- greenways (黄浦 G05/G06)

GREENWAYS = gdf(
    [{"id": "r", "greenway_type": "riverside", "connected": True, "completion_year": 2022},
     {"id": "u", "greenway_type": "urban", "connected": True, "completion_year": 2022}],
    [LineString([(0, 100), (1500, 100)]), LineString([(0, 500), (500, 500)])],
)


def test_huangpu_g05_new_greenways_leave_out_the_riverside_g06_measures() -> None:
    """1.5 km riverside + 0.5 km urban greenway, both new: G05 = 0.5 km (old: 2.0 km, the
    riverside counted again by G06); G06 = 1.5 km (old: every connected greenway, 2.0 km)."""
    assert run("310101-G05", {"greenway": GREENWAYS}).value == pytest.approx(0.5)
    assert run("310101-G05", {"greenway": GREENWAYS},
               params=old("310101-G05", exclude=None)).value == pytest.approx(2.0)
    assert run("310101-G06", {"greenway": GREENWAYS}).value == pytest.approx(1.5)
    assert run("310101-G06", {"greenway": GREENWAYS},
               params=old("310101-G06", where=None)).value == pytest.approx(2.0)


# ------------------------------------------------------------ named projects (东丽 G05/G06)

PARKS = gdf(
    [{"id": "p1", "name": "程林公园", "park_class": "G11", "status": "completed",
      "completion_year": 2024},
     {"id": "p2", "name": "某社区公园", "park_class": "G12", "status": "completed",
      "completion_year": 2024},
     {"id": "p3", "name": "金隅公园", "park_class": "G11", "status": "renewed"},
     {"id": "p4", "name": "另一公园", "park_class": "G12", "status": "renewed"}],
    [box(0, 0, 50, 50), box(100, 0, 150, 50), box(200, 0, 250, 50), box(300, 0, 350, 50)],
)


def test_dongli_g05_g06_count_the_named_parks_only() -> None:
    """G05 新建程林公园、程盛公园: p1 counts, p2 (another new park) does not: 1 (old: 2).
    G06 提升改造金隅公园、花柏园、绿岛公园: p3 counts, p4 does not: 1 (old: 2)."""
    assert run("120110-G05", {"park": PARKS}).value == 1
    assert run("120110-G05", {"park": PARKS},
               params=old("120110-G05", name_contains=None)).value == 2
    assert run("120110-G06", {"park": PARKS}).value == 1
    assert run("120110-G06", {"park": PARKS},
               params=old("120110-G06", name_contains=None)).value == 2


# --------------------------------------------------------------------- villages only (东丽 T09)

def test_dongli_t09_charging_in_every_village_not_every_urban_community() -> None:
    """村村通: the village has a public station, the urban 社区 has none. Old entry (every 社区
    and 村) = 0.5 → 未达标; now 1.0."""
    communities = gdf([{"id": "v", "name": "某村", "community_type": "village"},
                       {"id": "c", "name": "某社区", "community_type": "community"}],
                      [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)])
    stations = gdf([{"id": "c1", "access": "public"}], [Point(500, 500)])
    units = {"community": communities}
    assert run("120110-T09", {"charging_station": stations}, units=units).value == 1.0
    assert run("120110-T09", {"charging_station": stations}, units=units,
               params=old("120110-T09", unit_field=None, unit_values=None)).value == 0.5


def test_dongli_t09_counts_public_stations_only() -> None:
    communities = gdf([{"id": "v", "name": "某村", "community_type": "village"}],
                      [box(0, 0, 1000, 1000)])
    private = gdf([{"id": "c1", "access": "private"}], [Point(500, 500)])
    assert run("120110-T09", {"charging_station": private},
               units={"community": communities}).value == 0.0


# --------------------------------------------------------------------- 津市 trunk-road charging

def test_jinshi_t06_trunk_road_charging_is_audited() -> None:
    """A 10 km trunk road with public stations at 1, 5 and 9 km: gaps 1, 4, 4, 1 km, so the
    largest is 4 km and the target (≤ 4 km) is met; an expressway is not this target's road."""
    road = gdf([{"id": "r1", "route_class": "trunk"}, {"id": "r2", "route_class": "expressway"}],
               [LineString([(0, 500), (10_000, 500)]), LineString([(0, 900), (10_000, 900)])])
    stations = gdf([{"id": f"c{k}", "access": "public"} for k in range(3)],
                   [Point(1000, 500), Point(5000, 500), Point(9000, 500)])
    result = run("430781-T06", {"route": road, "charging_station": stations},
                 district=box(0, 0, 10_000, 1000))
    target = load_catalog("430781").get("430781-T06")
    assert result.value == pytest.approx(4.0)
    assert judge(target.target, target.comparison, result.value).status.value == "met"
    assert "连续覆盖" in target.quote


@pytest.mark.parametrize("target_id", ["120101-R03", "120110-R03"])
def test_two_network_points_per_subdistrict_count_linked_points_only(target_id: str) -> None:
    """每个街道至少1个两网衔接网点: both 街道 have a recycling point, only the west one is a
    two-network point. Old entry (any recycling point) = 1.0; now 0.5, the east failing."""
    points = gdf([{"id": "r1", "two_network": True}, {"id": "r2", "two_network": False}],
                 [Point(500, 500), Point(1500, 500)])
    result = run(target_id, {"recycling_point": points}, units={"subdistrict": SUBDISTRICTS})
    assert result.value == 0.5
    assert result.details["failing_units"] == ["东街道"]
    before = run(target_id, {"recycling_point": points}, units={"subdistrict": SUBDISTRICTS},
                 params=old(target_id, field=None, values=None))
    assert before.value == 1.0

"""Walking on the report card (issue 11 point 6): companion rows and the living-circle targets.

A straight-radius park target gets a walking companion row when the district has a
``walk_network`` (network figure, radius-only gap, not counted in the summary); the 和平
15-minute and 黄浦 10-minute targets of the bundled catalogs are audited by ``living_circle``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pytest
from shapely import LineString, Point, box

from tanmap.layers.audit import WALK_ROW_SUFFIX, audit_district
from tanmap.layers.boundaries import bundled_district
from tanmap.layers.card.report import card_html, card_markdown, row_cells, write_card
from tanmap.layers.catalog import Catalog, load_catalog
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import GeoPackageStore, open_store
from tests.osm_builder import DISTRICT_CODE, EPSG, ORIGIN_X_M, ORIGIN_Y_M, district_row

if TYPE_CHECKING:
    from pathlib import Path

X, Y = ORIGIN_X_M, ORIGIN_Y_M + 500  # a river runs east-west through the district's middle


def _put(store: GeoPackageStore, district: str, kind: LayerKind, crs: int, **cols: Any) -> None:
    geoms = cols.pop("geometry")
    store.write(kind, gpd.GeoDataFrame(cols, geometry=geoms, crs=crs).to_crs(4326),
                district=district)


def _river_store(tmp_path: Path, *, network: bool = True) -> GeoPackageStore:
    """A park north of a river; land N (4,000 m²) beside its street, land S (2,400 m²) across.

    Straight line, both parcels lie within 500 m of the park (S: 400-460 m below it). On foot,
    N is 10-50 m off the north street, 50-150 m along it from the park corner; S is reached only
    over the bridge 400 m east: 400 + 400 + 380 m and more, beyond 500 m.
    """
    store = open_store(tmp_path / "river.gpkg", create=True)
    store.put_district(district_row())
    _put(store, DISTRICT_CODE, LayerKind.PARK, EPSG, id=["P"], park_class=["G12"],
         geometry=[box(X + 50, Y + 200, X + 150, Y + 300)])
    _put(store, DISTRICT_CODE, LayerKind.RESIDENTIAL_LAND, EPSG, id=["N", "S"],
         geometry=[box(X + 150, Y + 150, X + 250, Y + 190),
                   box(X + 80, Y - 260, X + 120, Y - 200)])
    if network:
        lines = [LineString([(X + 100, Y + 200), (X + 500, Y + 200)]),   # north street
                 LineString([(X + 500, Y + 200), (X + 500, Y - 200)]),   # the bridge
                 LineString([(X + 500, Y - 200), (X + 100, Y - 200)])]   # south street
        _put(store, DISTRICT_CODE, LayerKind.WALK_NETWORK, EPSG, id=["n", "b", "s"],
             length_m=[400.0, 400.0, 400.0], geometry=lines)
    return store


def _park_catalog() -> Catalog:
    target = {
        "id": f"{DISTRICT_CODE}-G01", "adcode": DISTRICT_CODE, "category": "green_space",
        "title_zh": "公园绿地500米服务半径覆盖率",
        "title_en": "Park 500 m service-radius coverage of residential land",
        "metric": "park_coverage",
        "params": {"rule": "gbt51346_2019", "radius_m": 500, "area_type": "overall"},
        "comparison": ">=", "target": 0.9, "unit": "share", "deadline": 2025,
        "departments": ["区绿化市容局"], "seed_file": "999_test.txt",
        "quote": "公园绿地500米服务半径基本实现全覆盖", "spatial": True,
    }
    return Catalog.model_validate({
        "adcode": DISTRICT_CODE, "district_zh": "测试区", "district_en": "Test District",
        "plan_title": "测试区碳达峰实施方案", "plan_year": 2023, "seed_file": "999_test.txt",
        "targets": [target],
    })


def test_walking_companion_row_beside_the_radius_target(tmp_path: Path) -> None:
    store = _river_store(tmp_path)
    card = audit_district(store, DISTRICT_CODE, year=2026, catalog=_park_catalog())
    main_id = f"{DISTRICT_CODE}-G01"
    assert [r.target_id for r in card.rows] == [main_id, main_id + WALK_ROW_SUFFIX]
    main, walk = card.rows
    assert (main.metric, main.measured, main.status.value) == ("park_coverage", 1.0, "met")
    assert walk.metric == "park_walk_coverage"
    assert walk.companion_of == main_id
    assert walk.params["radius_m"] == 500
    # Walking: land N only (4,000 of 6,400 m²); the radius-only gap is land S (2,400 m²).
    assert walk.measured == pytest.approx(4000 / 6400, abs=1e-9)
    assert walk.details["radius_share"] == pytest.approx(1.0)
    assert walk.details["radius_only_m2"] == pytest.approx(2400.0, abs=1e-6)
    assert (walk.status.value, walk.gap) == ("not_met", pytest.approx(0.9 - 0.625))
    assert "walked on the street network" in walk.rule
    # The summary counts targets: the companion stands beside its target, not as a second one.
    assert card.counts == {"not_met": 0, "no_data": 0, "on_track": 0, "met": 1}

    zh, en = row_cells(walk, "zh"), row_cells(walk, "en")
    assert zh["title"] == "公园绿地500米服务半径覆盖率（步行网络口径）"
    assert zh["measured"] == "62.5%"
    assert ("直线半径口径 100.0%，步行口径 62.5%；半径覆盖而步行不可达的居住用地 2,400平方米"
            "（相差 37.5 个百分点）") in zh["note"]
    assert en["title"].endswith("(walked on the street network)")
    assert "radius-only gap 2,400 m² of residential land (37.5 points)" in en["note"]
    md = card_markdown(card)
    assert md.index(f"| {main_id} |") < md.index(f"| {main_id}{WALK_ROW_SUFFIX} |")
    assert "达标 1" in md
    assert "未达标 0" in md
    assert "步行网络口径" in card_html(card)
    assert "walked on the street network" in card_markdown(card, "en")
    paths = write_card(card, tmp_path / "out", formats=["json", "xlsx"])
    assert {p.suffix for p in paths} == {".json", ".xlsx"}


def test_no_companion_row_without_a_walk_network(tmp_path: Path) -> None:
    store = _river_store(tmp_path, network=False)
    card = audit_district(store, DISTRICT_CODE, year=2026, catalog=_park_catalog())
    assert [r.target_id for r in card.rows] == [f"{DISTRICT_CODE}-G01"]


# --------------------------------------------------------------------------- living circles


def _living_circle_store(tmp_path: Path, adcode: str, level: int) -> GeoPackageStore:
    """The bundled district with a street, two homes and the level's facilities by hand.

    Home H1 is 5 m below the street at x = 0; every facility the level requires stands on the
    street at most 200 m from it (walk <= 205 m). Home H2 is 5 m below a separate path 60 m
    north that no street reaches, so it reaches nothing: share 1/2.
    """
    from tanmap.geo.living_circle import LIVING_CIRCLE_RULES

    store = open_store(tmp_path / f"{adcode}.gpkg", create=True)
    row = bundled_district(adcode)
    store.put_district(row)
    epsg = int(row["planning_epsg"].iloc[0])
    centre = row.to_crs(epsg).geometry.iloc[0].representative_point()
    x, y = centre.x, centre.y
    _put(store, adcode, LayerKind.WALK_NETWORK, epsg, id=["street", "path"],
         length_m=[400.0, 40.0],
         geometry=[LineString([(x - 200, y), (x + 200, y)]),
                   LineString([(x - 20, y + 60), (x + 20, y + 60)])])
    _put(store, adcode, LayerKind.BUILDING, epsg, id=["H1", "H2"],
         use_category=["residential", "residential"],
         geometry=[box(x - 5, y - 15, x + 5, y - 5), box(x - 5, y + 45, x + 5, y + 55)])
    types = LIVING_CIRCLE_RULES["gb50180_2018"].levels[level].facility_types
    _put(store, adcode, LayerKind.LIVING_CIRCLE_FACILITY, epsg,
         id=[f"F{k}" for k in range(len(types))], facility_type=list(types),
         geometry=[Point(x - 200 + 100 * k, y) for k in range(len(types))])
    return store


@pytest.mark.parametrize(("adcode", "level", "walk_m"),
                         [("120101", 15, 1000.0), ("310101", 10, 500.0)])
def test_plan_living_circle_targets_are_audited_with_the_living_circle_rules(
    tmp_path: Path, adcode: str, level: int, walk_m: float
) -> None:
    catalog = load_catalog(adcode)
    target = next(t for t in catalog.targets if t.id == f"{adcode}-V01")
    assert (target.metric, target.params) == ("living_circle", {"level": level})
    store = _living_circle_store(tmp_path, adcode, level)
    card = audit_district(store, adcode, year=2026,
                          catalog=catalog.model_copy(update={"targets": [target]}))
    (row,) = card.rows
    assert row.metric == "living_circle"
    assert "GB 50180-2018" in (row.rule or "")
    assert row.params["level"] == level
    assert row.measured == 0.5  # H1 reaches every required type, H2 none
    assert (row.status.value, row.gap) == ("not_met", 0.5)
    assert row.details["share_by_type"] == dict.fromkeys(row.details["share_by_type"], 0.5)
    assert row.missing == ()
    assert {e["kind"] for e in row.lineage} >= {"building", "living_circle_facility",
                                                "walk_network"}
    md = card_markdown(card)
    assert f"| 未达标 | {adcode}-V01 |" in md
    assert "50.0%" in md
    assert str(int(walk_m)) in target.title_zh.replace(",", "")

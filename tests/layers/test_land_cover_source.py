"""The land-cover raster path of ``forest_cover`` and ``blue_green_share`` through the runner
and the audit (``land_cover_source``: auto / vector / raster).

The district 120199 is the square [0, 40] x [0, 40] m (EPSG:4548, local metres from (X0, Y0)),
1,600 m². Eco zones: Z = [15, 25] x [0, 10] (level 1, 100 m²) and Y = [0, 20] x [20, 40]
(level 2, 400 m²). The land-cover raster (tests/layers/test_rasters.py) has 10 m cells, codes
by row from the north:
    10 10 80 80        forest  forest  water  water
    10 10 80 80
    40 40 50 50        farmland        built
    40 40 50 50
so, by hand: forest 400 m² / 1,600 = 25 % 森林覆盖率; zone Y is all forest (level 2: 100 %);
zone Z is 50 m² farmland + 50 m² built (level 1: 0 % blue-green, 50 % with farmland); all eco
zones: 400 of 500 m² = 80 % (450 of 500 = 90 % with farmland).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyproj
import pytest
from shapely.geometry import box

from tanmap.geo.audit import Status
from tanmap.layers.audit import audit_district
from tanmap.layers.card.card_text import missing_text, note_text
from tanmap.layers.raster.rasters import delete_raster, import_raster, land_cover_areas
from tanmap.layers.runner import run_metric
from tanmap.layers.store import GeoPackageStore, open_store
from tests.layers.test_audit import _target, hand_catalog
from tests.layers.test_rasters import CODES, _tif, from_origin
from tests.layers.test_runner import ADCODE, EPSG, X0, Y0, metre_frame

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    """The 40 m district and its two eco zones (module docstring), no land cover yet."""
    store = open_store(tmp_path / "lc.gpkg", create=True)
    store.put_district(metre_frame(
        [{"adcode": ADCODE, "name": "测试区", "planning_epsg": EPSG}], [box(0, 0, 40, 40)]))
    store.write("eco_zone", metre_frame(
        [{"id": "Z", "name": "一级区", "control_level": 1},
         {"id": "Y", "name": "二级区", "control_level": 2}],
        [box(15, 0, 25, 10), box(0, 20, 20, 40)]), district=ADCODE, source="test")
    return store


@pytest.fixture
def with_raster(store: GeoPackageStore, tmp_path: Path) -> GeoPackageStore:
    path = _tif(tmp_path / "lc.tif", CODES, crs=f"EPSG:{EPSG}",
                transform=from_origin(X0, Y0 + 40, 10, 10))
    import_raster(store, "land_cover", ADCODE, path, source="手绘 WorldCover 样例")
    return store


def _vector_water(store: GeoPackageStore) -> None:
    """A survey layer saying the whole district is water: no forest, all blue-green."""
    store.write("land_cover", metre_frame([{"id": "L1", "cover_class": "water"}],
                                          [box(0, 0, 40, 40)]), district=ADCODE, source="三调")


@pytest.mark.parametrize(("metric", "params", "share"), [
    ("forest_cover", {}, 0.25),
    ("forest_cover", {"control_level": 2}, 1.0),
    ("forest_cover", {"control_level": 1}, 0.0),
    ("blue_green_share", {}, 0.8),
    ("blue_green_share", {"count_farmland": True}, 0.9),
    ("blue_green_share", {"control_level": 1}, 0.0),
    ("blue_green_share", {"control_level": 1, "count_farmland": True}, 0.5),
    ("blue_green_share", {"control_level": 2}, 1.0),
])
def test_raster_path_gives_the_hand_counted_shares(with_raster: GeoPackageStore, metric: str,
                                                   params: dict[str, object],
                                                   share: float) -> None:
    out = run_metric(with_raster, metric, ADCODE, params, year=2024)
    assert out.result.value == pytest.approx(share, abs=1e-9)
    assert out.result.details["land_cover_source"].startswith("land-cover raster 土地覆盖栅格 v1")
    assert "手绘 WorldCover 样例" in out.result.details["land_cover_source"]
    raster = [e for e in out.lineage if e["kind"] == "raster:land_cover"]
    assert [(e["version"], e["source"]) for e in raster] == [(1, "手绘 WorldCover 样例")]
    assert all(e["kind"] != "land_cover" for e in out.lineage)


def test_raster_details_name_areas_coverage_and_the_canopy_rule(
        with_raster: GeoPackageStore) -> None:
    d = run_metric(with_raster, "forest_cover", ADCODE, year=2024).result.details
    assert d["forest_area_m2"] == pytest.approx(400.0)
    assert d["land_area_m2"] == pytest.approx(1600.0)
    assert d["raster_covered_share"] == pytest.approx(1.0)
    assert {k: round(v, 6) for k, v in d["class_areas_m2"].items()} == {
        "farmland": 400.0, "built": 400.0, "forest": 400.0, "water": 400.0}
    assert d["growing_stock_m3"] is None
    assert "no 郁闭度" in d["canopy_closure_rule"]
    bg = run_metric(with_raster, "blue_green_share", ADCODE, year=2024).result.details
    assert bg["zone_area_m2"] == pytest.approx(500.0)
    assert bg["share_by_level"] == pytest.approx(
        {"all": 0.8, "level_1": 0.0, "level_2": 1.0, "level_3": None})


def test_auto_prefers_a_vector_layer_with_features(with_raster: GeoPackageStore) -> None:
    """The rule: auto reads the vector layer when it has features; raster/vector force one."""
    _vector_water(with_raster)
    auto = run_metric(with_raster, "forest_cover", ADCODE, year=2024)
    assert auto.result.value == 0.0
    assert auto.result.details["land_cover_source"].startswith("vector land_cover layer")
    assert [e["kind"] for e in auto.lineage] == ["land_cover", "eco_zone"]
    forced = run_metric(with_raster, "forest_cover", ADCODE, {"land_cover_source": "raster"},
                        year=2024)
    assert forced.result.value == pytest.approx(0.25)
    vector = run_metric(with_raster, "blue_green_share", ADCODE,
                        {"land_cover_source": "vector"}, year=2024)
    assert vector.result.value == pytest.approx(1.0)


def test_auto_uses_the_raster_over_a_known_empty_vector_layer(
        with_raster: GeoPackageStore) -> None:
    with_raster.write_empty("land_cover", district=ADCODE, source="none surveyed")
    assert run_metric(with_raster, "forest_cover", ADCODE, year=2024).result.value == (
        pytest.approx(0.25))
    vector = run_metric(with_raster, "forest_cover", ADCODE, {"land_cover_source": "vector"},
                        year=2024)
    assert (vector.result.value, vector.result.missing) == (0.0, ())


def test_missing_sources_are_reported_not_guessed(store: GeoPackageStore) -> None:
    auto = run_metric(store, "forest_cover", ADCODE, year=2024)
    assert (auto.result.value, auto.result.missing) == (None, ("land_cover",))
    forced = run_metric(store, "blue_green_share", ADCODE, {"land_cover_source": "raster"},
                        year=2024)
    assert (forced.result.value, forced.result.missing) == (None, ("raster:land_cover",))
    assert missing_text(forced.result.missing) == "土地覆盖栅格图层"
    assert missing_text(forced.result.missing, "en") == "Land-cover raster layer"


def test_a_deleted_raster_is_not_read(with_raster: GeoPackageStore) -> None:
    delete_raster(with_raster, "land_cover", ADCODE)
    out = run_metric(with_raster, "forest_cover", ADCODE, year=2024)
    assert out.result.missing == ("land_cover",)


def test_bad_source_is_refused(with_raster: GeoPackageStore) -> None:
    from tanmap.geo.errors import MetricParameterError

    with pytest.raises(MetricParameterError, match=r"land_cover_source.*not one of"):
        run_metric(with_raster, "forest_cover", ADCODE, {"land_cover_source": "satellite"})


def test_raster_in_another_projected_crs_is_measured_in_the_planning_crs(
        store: GeoPackageStore, tmp_path: Path) -> None:
    """A uniform forest raster in UTM 50N (k0 = 0.9996) over the district: the class area
    equals the district's area in the planning CRS (GK, k = 1), not 0.9996² of it."""
    to_utm = pyproj.Transformer.from_crs(EPSG, 32650, always_xy=True)
    x, y = to_utm.transform(X0 - 20, Y0 + 60)
    forest = np.full((10, 10), 10, dtype=np.uint8)
    path = _tif(tmp_path / "utm.tif", forest, crs="EPSG:32650",
                transform=from_origin(round(x), round(y), 10, 10))
    import_raster(store, "land_cover", ADCODE, path)
    source = land_cover_areas(store, ADCODE)
    assert source is not None
    import geopandas as gpd

    zone = gpd.GeoSeries([box(X0, Y0, X0 + 40, Y0 + 40), box(X0, Y0, X0, Y0)], crs=EPSG)
    areas = source(zone)
    assert areas.loc[0, "forest"] == pytest.approx(1600.0, rel=1e-7)  # unscaled: -8e-4
    assert areas.loc[1].sum() == 0.0  # an empty zone has no area, and no error
    assert run_metric(store, "forest_cover", ADCODE, year=2024).result.value == (
        pytest.approx(1.0, rel=1e-7))


def test_raster_in_degrees_is_warped_to_the_planning_crs(store: GeoPackageStore,
                                                         tmp_path: Path) -> None:
    """An EPSG:4326 raster, forest north of the district's middle latitude and water south of
    it (0.0001° cells, ~9 x 11 m): about half the district is forest, within a cell row."""
    to_ll = pyproj.Transformer.from_crs(EPSG, 4326, always_xy=True)
    west, south = to_ll.transform(X0 - 50, Y0 - 50)
    _, mid = to_ll.transform(X0 + 20, Y0 + 20)
    north = mid + 0.0010
    rows = round((north - (south - 0.0002)) / 0.0001)
    codes = np.where(np.arange(rows)[:, None] < 10, 10, 80).astype(np.uint8).repeat(15, 1)
    path = _tif(tmp_path / "ll.tif", codes, crs="EPSG:4326",
                transform=from_origin(west, north, 0.0001, 0.0001))
    import_raster(store, "land_cover", ADCODE, path)
    out = run_metric(store, "forest_cover", ADCODE, year=2024)
    assert out.result.value == pytest.approx(0.5, abs=12 / 40)  # one 11 m row of 40 m
    assert out.result.details["raster_covered_share"] == pytest.approx(1.0)
    bg = run_metric(store, "blue_green_share", ADCODE, year=2024)
    assert bg.result.value == pytest.approx(1.0)  # forest and water are both blue-green


def test_audit_card_uses_the_raster_and_says_so(with_raster: GeoPackageStore) -> None:
    catalog = hand_catalog(
        _target("E01", "forest_cover", {}, 0.3, 2025, unit="share", category="ecology"),
        _target("E02", "blue_green_share", {"control_level": 2}, 0.85, 2025, unit="share",
                category="ecology"))
    card = audit_district(with_raster, ADCODE, year=2024, catalog=catalog)
    e01, e02 = card.row(f"{ADCODE}-E01"), card.row(f"{ADCODE}-E02")
    assert (e01.status, e01.measured) == (Status.NOT_MET, pytest.approx(0.25))
    assert (e02.status, e02.measured) == (Status.MET, pytest.approx(1.0))
    assert any(e["kind"] == "raster:land_cover" for e in e01.lineage)
    zh, en = note_text(e01, "zh"), note_text(e01, "en")
    for part in ("按土地覆盖栅格计算", "栅格覆盖面积 100.0%", "未判郁闭度"):
        assert part in zh
    for part in ("from the land-cover raster", "no canopy-closure test"):
        assert part in en


def test_nodata_cells_count_as_unknown_not_as_forest(store: GeoPackageStore,
                                                     tmp_path: Path) -> None:
    """The east half of the raster is nodata (255): forest stays 400 of 1,600 m² (25 %), the
    result says the raster covers half the district, and the card note repeats it."""
    codes = CODES.copy()
    codes[:, 2:] = 255
    path = _tif(tmp_path / "half.tif", codes, crs=f"EPSG:{EPSG}",
                transform=from_origin(X0, Y0 + 40, 10, 10), nodata=255)
    import_raster(store, "land_cover", ADCODE, path, source="半幅")
    out = run_metric(store, "forest_cover", ADCODE, year=2024)
    assert out.result.value == pytest.approx(0.25)
    assert out.result.details["raster_covered_share"] == pytest.approx(0.5)
    assert "water" not in out.result.details["class_areas_m2"]
    card = audit_district(store, ADCODE, year=2024, catalog=hand_catalog(
        _target("E01", "forest_cover", {}, 0.3, 2025, unit="share", category="ecology")))
    assert "栅格覆盖面积 50.0%" in note_text(card.row(f"{ADCODE}-E01"), "zh")


def test_a_raster_source_with_markup_is_escaped_on_the_html_card(store: GeoPackageStore,
                                                                  tmp_path: Path) -> None:
    from tanmap.layers.card.report import write_card

    path = _tif(tmp_path / "lc.tif", CODES, crs=f"EPSG:{EPSG}",
                transform=from_origin(X0, Y0 + 40, 10, 10))
    import_raster(store, "land_cover", ADCODE, path, source="<script>alert(1)</script>")
    card = audit_district(store, ADCODE, year=2024, catalog=hand_catalog(
        _target("E01", "forest_cover", {}, 0.3, 2025, unit="share", category="ecology")))
    (html,) = write_card(card, tmp_path / "card", formats=("html",))
    text = html.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<td>土地覆盖栅格</td>" in text  # the lineage row names the raster by its label


def test_raster_eco_command_figures_equal_the_metrics(with_raster: GeoPackageStore) -> None:
    """`tanmap raster eco` / the API eco route and the metrics share one class-area source:
    the same shares, eco zones clipped to the district."""
    from tanmap.layers.raster.rasters import eco_shares

    table = eco_shares(with_raster, ADCODE)
    assert table.loc["district", "forest_share"] == pytest.approx(
        run_metric(with_raster, "forest_cover", ADCODE, year=2024).result.value)
    bg = run_metric(with_raster, "blue_green_share", ADCODE, year=2024).result
    for name, share in bg.details["share_by_level"].items():
        if share is not None:
            assert table.loc[name, "blue_green_share"] == pytest.approx(share)
    assert list(table.index) == ["district", "all", "level_1", "level_2"]

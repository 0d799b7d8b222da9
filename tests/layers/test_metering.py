"""Metering files (能耗计量数据): units, GBK, joins by id and address, the store round trip.

The store: district 120199 测试区 (Tianjin, EPSG:4548, cold zone, national grid factor
0.5703 tCO₂/MWh) with three 10 m x 10 m buildings:
a (commercial, 2,000 m², metered), b (government office, 1,000 m², not metered),
c (residential, no floor area).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pytest
from shapely.geometry import box

from tanmap.geo.errors import DataFormatError, LayerNotFoundError, UnitError
from tanmap.layers.metering import import_metering, join_metering, parse_metering, read_metering
from tanmap.layers.runner import run_metric
from tanmap.layers.store import GeoPackageStore, open_store
from tests.layers.test_runner import ADCODE, EPSG, metre_frame

if TYPE_CHECKING:
    from pathlib import Path

GBK_CSV = (
    "建筑编号,年份,用电量（万kWh）,用气量（万立方米）,用热量（GJ）\n"
    "a,2023年,10,0.1,\n"
    "a,2022,99,,\n"
    "x,2023,5,,\n"
)


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    """The test district with the three buildings of the module docstring."""
    store = open_store(tmp_path / "t.gpkg", create=True)
    store.put_district(metre_frame(
        [{"adcode": ADCODE, "name": "测试区", "planning_epsg": EPSG}], [box(0, 0, 1000, 1000)]))
    store.write("building", metre_frame(
        [{"id": "a", "use_category": "commercial_industrial", "floor_area_m2": 2000.0,
          "address": "南京路１号"},
         {"id": "b", "use_category": "party_gov", "floor_area_m2": 1000.0,
          "address": "南京路 2号"},
         {"id": "c", "use_category": "residential", "address": "南京路3号"}],
        [box(10, 10, 20, 20), box(30, 10, 40, 20), box(50, 10, 60, 20)],
    ), district=ADCODE, source="test")
    return store


def test_gbk_file_round_trip_and_emissions(store: GeoPackageStore, tmp_path: Path) -> None:
    path = tmp_path / "能耗.csv"
    path.write_bytes(GBK_CSV.encode("gbk"))
    joined, version = import_metering(store, path, ADCODE)
    assert version is not None
    assert (version.version, version.source) == (2, "metering 能耗.csv (2023)")
    assert (joined.matched, joined.unmatched_keys) == (1, ("x",))
    assert any("other years" in n for n in joined.notes)
    b = store.read("building", district=ADCODE).set_index("id")
    assert b.loc["a", "electricity_kwh"] == 100_000.0   # 10 万kWh
    assert b.loc["a", "gas_m3"] == 1000.0               # 0.1 万立方米
    assert b.loc["a", "energy_year"] == 2023
    assert pd.isna(b.loc["b", "electricity_kwh"])

    outcome = run_metric(store, "building_emissions", ADCODE, year=2025)
    res = outcome.result
    # a: 100,000 kWh x 0.0005703 + 1,000 m³ x 0.00216218881 = 59.19218881 tCO₂
    # b: 1,000 m² x 70 kWh x 0.0005703 + 1,000 m² x 0.30 GJ x 0.11 = 72.921 tCO₂; c: no figure
    assert res.value == pytest.approx(59.19218881 + 72.921, abs=1e-6)
    assert res.details["n_measured"] == 1
    assert res.details["n_estimated"] == 1
    assert res.details["no_data_reasons"] == {"no_floor_area": 1}
    assert res.details["energy_years"] == [2023]
    assert res.details["climate_zone"] == "cold"


def test_join_by_address_folds_width_and_spaces(store: GeoPackageStore) -> None:
    table = pd.DataFrame({"地址": ["南京路1号", "南京路2号"],
                          "用热量（百万千焦）": ["1,500", "20"]})
    metering = parse_metering(table, name="heat.xlsx", by="address")
    joined = join_metering(store.read("building", district=ADCODE), metering)
    assert joined.matched == 2
    got = joined.buildings.set_index("id")["heat_gj"]
    assert (got["a"], got["b"]) == (1500.0, 20.0)


def test_shared_address_is_not_guessed(store: GeoPackageStore) -> None:
    b = store.read("building", district=ADCODE)
    b.loc[b["id"] == "c", "address"] = "南京路1号"
    joined = join_metering(b, parse_metering(
        pd.DataFrame({"address": ["南京路1号"], "electricity_kwh": [5.0]}), name="m.csv",
        by="address"))
    assert joined.matched == 0
    assert joined.ambiguous_keys == ("南京路1号",)


def test_unit_defaults_are_noted() -> None:
    m = parse_metering(pd.DataFrame({"id": ["a"], "用电量": ["12"]}), name="m.csv")
    assert m.frame["electricity_kwh"].tolist() == [12.0]
    assert "gives no unit: read as kWh" in m.notes[0]
    forced = parse_metering(pd.DataFrame({"id": ["a"], "用电量": ["12"]}), name="m.csv",
                            units={"electricity": "MWh"})
    assert forced.frame["electricity_kwh"].tolist() == [12_000.0]


@pytest.mark.parametrize(
    ("table", "error", "match"),
    [
        ({"名称": ["a"], "用电量": ["1"]}, DataFormatError, "no building id column"),
        ({"id": ["a"], "面积": ["1"]}, DataFormatError, "no energy column"),
        ({"id": ["a", "b"], "用电量(kWh)": ["1", "abc"]}, DataFormatError,
         r"m.csv row 3 column '用电量\(kWh\)': 'abc' is not a number"),
        ({"id": ["a"], "用电量(kWh)": ["-5"]}, DataFormatError, "is negative"),
        ({"id": ["a"], "用气量(kWh)": ["5"]}, UnitError, "not a unit of gas"),
    ],
    ids=["no-key", "no-energy", "text-value", "negative", "gas-in-kwh"],
)
def test_bad_files_are_refused_with_the_row(table: dict[str, list[str]], error: type,
                                            match: str) -> None:
    with pytest.raises(error, match=match):
        parse_metering(pd.DataFrame(table), name="m.csv")


def test_store_untouched_when_nothing_matches(store: GeoPackageStore, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("id,用电量(kWh)\nzzz,5\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="no row matches a building id"):
        import_metering(store, path, ADCODE)
    assert store.version("building", ADCODE).version == 1
    with pytest.raises(DataFormatError, match=r"must be \.csv or \.xlsx"):
        read_metering(tmp_path / "t.gpkg")
    store2 = open_store(tmp_path / "u.gpkg", create=True)
    store2.put_district(metre_frame(
        [{"adcode": ADCODE, "name": "测试区", "planning_epsg": EPSG}], [box(0, 0, 1000, 1000)]))
    with pytest.raises(LayerNotFoundError, match="no building layer"):
        import_metering(store2, path, ADCODE)


def test_card_row_names_the_metered_share(store: GeoPackageStore, tmp_path: Path) -> None:
    """The 碳排放量地图 target: 2 of 3 buildings have a figure; the card says 1 is metered."""
    from tanmap.layers.audit import audit_district
    from tanmap.layers.card import card_text
    from tanmap.layers.catalog import Catalog
    from tests.layers.test_audit import _target

    path = tmp_path / "m.csv"
    path.write_text("id,用电量(kWh)\na,1000\n", encoding="utf-8")
    import_metering(store, path, ADCODE)
    catalog = Catalog.model_validate({
        "adcode": ADCODE, "district_zh": "测试区", "district_en": "Test District",
        "plan_title": "测试区碳达峰实施方案", "plan_year": 2023, "seed_file": "999_test.txt",
        "targets": [_target("C03", "emission_map_coverage", {"basis": "any"}, 1.0, None,
                            unit="share", category="carbon")],
    })
    card = audit_district(store, ADCODE, year=2025, catalog=catalog)
    row = card.rows[0]
    assert row.measured == pytest.approx(2 / 3)
    assert "实测数据建筑占比 33.3%（实测 1 栋、按GB/T 51161估算 1 栋、无数据 1 栋）" in (
        card_text.note_text(row, "zh"))
    assert "metered share 33.3% (1 metered, 1 estimated" in card_text.note_text(row, "en")


def test_two_columns_for_one_figure_are_refused() -> None:
    table = pd.DataFrame({"id": ["a"], "用电量（kWh）": ["1"], "耗电量(kWh)": ["2"]})
    with pytest.raises(DataFormatError, match=r"several columns for one figure \(electricity: "
                                              r"用电量（kWh）, 耗电量\(kWh\)\)"):
        parse_metering(table, name="m.xlsx")


def test_excel_numbers_match_text_ids() -> None:
    m = parse_metering(pd.DataFrame({"id": [101.0, 102], "electricity_kwh": [1.0, 2.0]}),
                       name="m.xlsx")
    assert m.frame["key"].tolist() == ["101", "102"]

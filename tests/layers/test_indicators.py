"""Safe indicator entry: keys from the catalog, units converted to the target's, ranges checked."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from tanmap.geo.errors import UnitError, UnknownIndicatorError
from tanmap.geo.quantities import parse_unit
from tanmap.layers.catalog import all_catalogs
from tanmap.layers.indicators import (
    IndicatorInfo,
    catalog_indicators,
    enter_indicator,
    known_indicators,
    prepare_indicator,
    suggest_keys,
)
from tanmap.layers.store import open_store

KNOWN = {
    i.key: i
    for i in (
        IndicatorInfo("led_share", "share", ("X-L01",), "LED占比", "LED share"),
        IndicatorInfo("co2_intensity_reduction", "share", ("X-C01",), "碳排放强度下降", "CO2"),
        IndicatorInfo("urban_green_area_m2", "m2", ("X-G01",), "绿地面积", "Green area"),
        IndicatorInfo("wind_capacity_kw", "kW", ("X-E03",), "风电装机", "Wind"),
        IndicatorInfo("farmland_mu", "mu", ("X-A01",), "高标准农田", "Farmland"),
        IndicatorInfo("odd_unit", "boxes/yr", ("X-O01",), "其他", "Other"),
    )
}


@pytest.mark.parametrize(
    ("key", "value", "unit", "stored"),
    [
        ("led_share", 95, "%", 0.95),
        ("led_share", 0.95, "share", 0.95),
        ("led_share", 950, "‰", 0.95),
        ("urban_green_area_m2", 162, "万平方米", 1_620_000.0),
        ("urban_green_area_m2", 3, "公顷", 30_000.0),
        ("wind_capacity_kw", 9, "万千瓦", 90_000.0),
        ("wind_capacity_kw", 90, "MW", 90_000.0),
        ("farmland_mu", 2, "公顷", 30.0),
        ("co2_intensity_reduction", -2, "%", -0.02),  # a rise is a negative reduction
    ],
)
def test_values_are_converted_to_the_target_unit(
    key: str, value: float, unit: str, stored: float
) -> None:
    entry = prepare_indicator(key, value, unit, KNOWN)
    assert (entry.value, entry.unit) == (stored, KNOWN[key].unit)
    assert (entry.entered_value, entry.entered_unit) == (value, unit)


def test_percent_against_share_is_0_95_not_95() -> None:
    assert prepare_indicator("led_share", 95, "%", KNOWN).value == 0.95


def test_m2_against_share_is_refused_naming_the_expected_unit() -> None:
    with pytest.raises(UnitError, match=r"led_share \(LED占比\) is tracked in share \(比例\): "
                                        r"unit m2 .* Give the value in share"):
        prepare_indicator("led_share", 95, "m2", KNOWN)


def test_share_out_of_range_is_refused() -> None:
    with pytest.raises(UnitError, match=r"led_share \(LED占比\) = 95 share is outside 0–100 %"):
        prepare_indicator("led_share", 95, "share", KNOWN)
    with pytest.raises(UnitError, match=r"= 150 % is outside -∞–100 %"):
        prepare_indicator("co2_intensity_reduction", 150, "%", KNOWN)


def test_misspelt_key_is_refused_with_suggestions() -> None:
    with pytest.raises(UnknownIndicatorError,
                       match=r"unknown indicator key 'led_shre' of 和平: did you mean led_share\?"):
        prepare_indicator("led_shre", 0.9, "share", KNOWN, where="和平")


def test_unknown_key_without_close_match_says_where_keys_come_from() -> None:
    with pytest.raises(UnknownIndicatorError, match=r"'zzz': The keys are the params.key .* "
                                                    r"\(6 known; `tanmap indicator keys"):
        prepare_indicator("zzz", 0.9, "share", KNOWN)


def test_suggestions_include_substring_matches() -> None:
    assert suggest_keys("green", KNOWN) == ["urban_green_area_m2"]
    assert suggest_keys("wind_capacity", KNOWN)[0] == "wind_capacity_kw"


def test_a_catalog_unit_tanmap_cannot_convert_needs_the_same_spelling() -> None:
    assert prepare_indicator("odd_unit", 4, "boxes/yr", KNOWN).value == 4.0
    with pytest.raises(UnitError, match="tracked in 'boxes/yr', a unit tanmap cannot convert"):
        prepare_indicator("odd_unit", 4, "count", KNOWN)


def test_every_bundled_catalog_indicator_unit_is_convertible() -> None:
    """Each indicator target's unit parses, so entries in other units convert instead of failing."""
    units = {i.unit for c in all_catalogs().values() for i in catalog_indicators(c).values()}
    assert units, "no indicator targets found"
    for unit in sorted(units):
        parse_unit(unit)


def test_one_key_has_one_unit_in_every_bundled_catalog() -> None:
    seen: dict[str, set[str]] = {}
    for catalog in all_catalogs().values():
        for t in catalog.targets:
            if t.metric == "indicator":
                seen.setdefault(t.params["key"], set()).add(t.unit)
    assert {k: u for k, u in seen.items() if len(u) > 1} == {}


def test_known_indicators_of_a_district_without_catalog_are_all_bundled_keys() -> None:
    heping = known_indicators("120101")
    assert heping["led_share"].unit == "share"
    assert "wind_capacity_kw" not in heping  # a 津市 key
    everyone = known_indicators("110105")  # no bundled catalog for 朝阳区
    assert {"led_share", "wind_capacity_kw"} <= set(everyone)


def test_enter_indicator_stores_the_converted_value(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.gpkg", create=True)
    district = gpd.GeoDataFrame(
        {"adcode": ["120101"], "name": ["和平区"], "name_en": ["Heping"], "province": ["天津市"],
         "city": ["天津市"], "planning_epsg": [4548], "source": ["test"]},
        geometry=[box(117.18, 39.10, 117.23, 39.14)], crs=4326)
    store.put_district(district)
    entry = enter_indicator(store, "120101", "led_share", 2025, 95, "%", "区城管委")
    assert entry.converted
    rows = store.indicators("120101")[["key", "year", "value", "unit", "source"]]
    assert rows.to_dict(orient="records") == [
        {"key": "led_share", "year": 2025, "value": 0.95, "unit": "share", "source": "区城管委"}]
    with pytest.raises(UnitError):
        enter_indicator(store, "120101", "led_share", 2026, 95, "m2")
    assert len(store.indicators("120101")) == 1


# ---------------------------------------------- values stored before units were checked


@pytest.mark.parametrize(
    ("value", "unit", "status", "measured", "error"),
    [
        (0.95, "share", "met", 0.95, None),
        (95.0, "%", "met", 0.95, None),           # the 9500 % of issue 9, read as 0.95
        (75.0, "%", "not_met", 0.75, None),
        (95.0, "share", "no_data", None, "indicator led_share = 95 share is outside 0–100 %"),
        (95.0, "m2", "no_data", None, "cannot be compared with a target in share"),
    ],
    ids=["share", "percent", "percent-not-met", "share-95", "m2"],
)
def test_audit_reads_legacy_values_in_the_target_unit(
    tmp_path: Path, value: float, unit: str, status: str, measured: float | None,
    error: str | None,
) -> None:
    from tanmap.layers.audit import audit_district
    from tests.layers.test_audit import _target, hand_catalog
    from tests.layers.test_runner import ADCODE, build_store

    store = build_store(tmp_path)
    store.put_indicator(ADCODE, "led_share", 2023, value, unit, "legacy entry")
    catalog = hand_catalog(_target("L01", "indicator", {"key": "led_share"}, 0.8, 2023,
                                   unit="share", comparison=">"))
    row = audit_district(store, ADCODE, year=2024, catalog=catalog).row(f"{ADCODE}-L01")
    assert (row.status.value, row.measured) == (status, measured)
    if error is None:
        assert row.error is None
    else:
        assert row.error is not None
        assert error in row.error
        assert "Re-enter it: `tanmap indicator set ADCODE led_share YEAR VALUE --unit share`" \
            in row.error

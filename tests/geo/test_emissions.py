"""Building emissions (建筑碳排放): hand-checked figures, units, per-街道 sums, legend classes."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from tanmap.geo.emissions import (
    building_emissions,
    climate_zone_for,
    convert_carrier,
    emissions_per_unit,
    factors_for,
    intensity_classes,
    top_emitters,
)
from tanmap.geo.errors import GeographicCRSError, MetricParameterError, UnitError
from tanmap.geo.metric import MetricContext
from tanmap.geo.registry import get_metric

#: Shanghai factors: grid 4.2 tCO₂/万kWh; gas 389.31e-4 GJ/m³ x 15.3e-3 tC/GJ x 0.99 x 44/12.
SH_GRID_T_PER_KWH = 0.00042
GAS_T_PER_M3 = 0.00216218881


@pytest.fixture
def three_buildings() -> gpd.GeoDataFrame:
    """Three 10 m x 10 m buildings in Huangpu's planning CRS (EPSG:4549).

    a: metered, 100,000 kWh + 1,000 m³ gas, 2,000 m² -> 42 + 2.16218881 = 44.16218881 tCO₂.
    b: no metering, government office of 1,000 m² -> 1,000 x 85 kWh x 0.00042 = 35.7 tCO₂.
    c: residential, no floor area and no floors -> no figure (reported, not guessed).
    """
    return gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "name": ["甲楼", "乙楼", "丙楼"],
         "use_category": ["commercial_industrial", "party_gov", "residential"],
         "floor_area_m2": [2000.0, 1000.0, None],
         "electricity_kwh": [100_000.0, None, None], "gas_m3": [1000.0, None, None],
         "heat_gj": [None, None, None], "energy_year": [2023, None, None]},
        geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10), box(40, 0, 50, 10)], crs=4549,
    )


def test_three_buildings_by_hand(three_buildings: gpd.GeoDataFrame) -> None:
    r = building_emissions(three_buildings, climate_zone="hscw", factors=factors_for("310101"))
    assert r["basis"].tolist() == ["measured", "estimated", "no_data"]
    assert r["reason"].tolist() == [None, None, "no_floor_area"]
    assert r.loc[0, "tco2"] == pytest.approx(44.16218881, abs=1e-8)
    assert r.loc[0, "tco2_gas"] == pytest.approx(2.16218881, abs=1e-8)
    assert r.loc[0, "tco2_per_m2"] == pytest.approx(0.022081094405, abs=1e-12)
    assert r.loc[1, "tco2"] == pytest.approx(35.7)
    assert r.loc[1, "eui_kwh_per_m2"] == 85.0
    assert "GB/T 51161-2016" in r.loc[1, "eui_source"]
    assert "[verify]" in r.loc[1, "eui_source"]
    assert math.isnan(r.loc[2, "tco2"])
    assert math.isnan(r.loc[0, "eui_kwh_per_m2"])  # measured: no EUI involved


def test_measured_value_overrides_estimate(three_buildings: gpd.GeoDataFrame) -> None:
    b = three_buildings.copy()
    b.loc[1, "electricity_kwh"] = 10_000.0  # the office is metered now: 4.2 tCO₂, not 35.7
    r = building_emissions(b, climate_zone="hscw", factors=factors_for("310101"))
    assert r.loc[1, "basis"] == "measured"
    assert r.loc[1, "tco2"] == pytest.approx(4.2)


def test_eui_override_and_guide_level(three_buildings: gpd.GeoDataFrame) -> None:
    f = factors_for("310101")
    r = building_emissions(three_buildings, climate_zone="hscw", factors=f,
                           eui={"office_gov": 50.0})
    assert r.loc[1, "tco2"] == pytest.approx(21.0)
    assert r.loc[1, "eui_source"] == "user-supplied EUI for office_gov"
    guide = building_emissions(three_buildings, climate_zone="hscw", factors=f,
                               eui_level="guide")
    assert guide.loc[1, "tco2"] == pytest.approx(1000 * 65 * 0.00042)


def test_no_eui_for_schools_is_reported_not_guessed() -> None:
    b = gpd.GeoDataFrame({"use_category": ["public"], "floor_area_m2": [500.0]},
                         geometry=[box(0, 0, 1, 1)], crs=4549)
    r = building_emissions(b, climate_zone="hscw", factors=factors_for("310101"))
    assert (r.loc[0, "basis"], r.loc[0, "reason"]) == ("no_data", "no_eui")
    mapped = building_emissions(b, climate_zone="hscw", factors=factors_for("310101"),
                                use_map={"public": "office_gov"})
    assert mapped.loc[0, "tco2"] == pytest.approx(500 * 85 * 0.00042)


def test_floor_area_from_footprint_and_floors_and_cold_zone_heating() -> None:
    """Tianjin (cold): 10 m x 10 m x 5 floors = 500 m² office: 70 kWh/m² and 0.30 GJ/m² heat."""
    b = gpd.GeoDataFrame({"use_category": ["party_gov"], "floors": [5]},
                         geometry=[box(0, 0, 10, 10)], crs=4548)
    r = building_emissions(b, climate_zone="cold", factors=factors_for("120101"))
    assert r.loc[0, "floor_area_basis"] == "footprint_x_floors"
    expected = 500 * 70 * 0.0005703 + 500 * 0.30 * 0.11
    assert r.loc[0, "tco2"] == pytest.approx(expected)


def test_factors_are_named_and_dated() -> None:
    sh, tj = factors_for("310101"), factors_for("120101")
    assert sh.electricity.tco2_per_unit == pytest.approx(0.00042)
    assert "沪环气〔2022〕34号" in sh.electricity.source
    assert (tj.electricity.data_year, tj.electricity.tco2_per_unit) == (2022, 0.0005703)
    assert sh.heat.tco2_per_unit == 0.11
    user = factors_for("310101", grid_tco2_per_mwh=0.5)
    assert (user.electricity.name, user.electricity.tco2_per_unit) == (
        "user-supplied grid factor", 0.0005)
    with pytest.raises(MetricParameterError, match="grid_tco2_per_mwh must be a number >= 0"):
        factors_for("310101", grid_tco2_per_mwh=-1.0)


@pytest.mark.parametrize(
    ("value", "unit", "carrier", "expected"),
    [
        (12.0, "万kWh", "electricity", 120_000.0),
        (3.0, "MWh", "electricity", 3000.0),
        (800.0, "度", "electricity", 800.0),
        (1.0, "GJ", "electricity", 2500 / 9),
        (2.5, "万m³", "gas", 25_000.0),
        (40.0, "Nm3", "gas", 40.0),
        (7.0, "万立方米", "gas", 70_000.0),
        (1500.0, "MJ", "heat", 1.5),
        (2.0, "GJ", "heat", 2.0),
        (1.0, "万GJ", "heat", 10_000.0),
        (36.0, "kWh", "heat", 0.1296),
    ],
    ids=lambda v: str(v),
)
def test_carrier_units(value: float, unit: str, carrier: str, expected: float) -> None:
    assert convert_carrier(value, unit, carrier) == pytest.approx(expected)


def test_carrier_unit_of_wrong_dimension() -> None:
    with pytest.raises(UnitError, match=r"gas in 'kWh'.*expected m3"):
        convert_carrier(1.0, "kWh", "gas")
    with pytest.raises(UnitError, match="unknown unit 'bananas'"):
        convert_carrier(1.0, "bananas", "heat")


def test_errors_are_actionable(three_buildings: gpd.GeoDataFrame) -> None:
    with pytest.raises(GeographicCRSError):
        building_emissions(three_buildings.to_crs(4326), climate_zone="hscw",
                           factors=factors_for("310101"))
    with pytest.raises(MetricParameterError, match="unknown climate_zone 'tropical'"):
        building_emissions(three_buildings, climate_zone="tropical",
                           factors=factors_for("310101"))
    with pytest.raises(MetricParameterError, match="set the parameter climate_zone"):
        climate_zone_for("990000")


def test_top_emitters_order_and_ties() -> None:
    e = pd.DataFrame({"tco2": [5.0, 9.0, 5.0, np.nan], "basis": ["x"] * 4})
    top = top_emitters(e, pd.Series(["z", "m", "a", "q"]), n=3)
    assert top["id"].tolist() == ["m", "a", "z"]
    assert top["rank"].tolist() == [1, 2, 3]


def test_intensity_classes_legend() -> None:
    values = pd.Series([0.01, 0.012, 0.011, 0.05, 0.052, 0.2, np.nan])
    bins, cls = intensity_classes(values, k=3)
    assert bins == [0.012, 0.052, 0.2]
    assert cls.tolist() == [0, 0, 0, 1, 1, 2, -1]
    q_bins, _ = intensity_classes(pd.Series([1.0, 2.0, 3.0, 4.0]), k=2, scheme="quantiles")
    assert q_bins == [2.5, 4.0]
    assert intensity_classes(pd.Series([np.nan]), k=3)[0] == []


_cells = st.lists(
    st.tuples(st.integers(0, 9), st.integers(0, 9),
              st.one_of(st.none(), st.floats(1.0, 1e5)), st.floats(0.0, 1e6)),
    min_size=1, max_size=25)


@settings(max_examples=40, deadline=None)
@given(cells=_cells)
def test_per_unit_sums_equal_building_sum(
    cells: list[tuple[int, int, float | None, float]],
) -> None:
    """Buildings on a 10 m grid, two 街道 covering x < 40 and 40 <= x < 60, the rest outside."""
    units = gpd.GeoDataFrame({"id": ["w", "e"], "name": ["西", "东"]},
                             geometry=[box(0, 0, 40, 100), box(40, 0, 60, 100)], crs=4549)
    b = gpd.GeoDataFrame(
        {"use_category": ["party_gov"] * len(cells),
         "floor_area_m2": [c[2] for c in cells],
         "electricity_kwh": [c[3] if c[2] is None else None for c in cells]},
        geometry=[box(10 * c[0] + 1, 10 * c[1] + 1, 10 * c[0] + 9, 10 * c[1] + 9)
                  for c in cells], crs=4549)
    em = building_emissions(b, climate_zone="hscw", factors=factors_for("310101"))
    table = emissions_per_unit(b, em, units)
    assert table["tco2"].sum() == pytest.approx(em["tco2"].sum(), rel=1e-12, abs=1e-9)
    assert table["n_buildings"].sum() == len(b)
    assert (table["n_measured"] + table["n_estimated"] + table["n_no_data"]
            == table["n_buildings"]).all()


def test_metric_details_and_per_unit(three_buildings: gpd.GeoDataFrame) -> None:
    units = gpd.GeoDataFrame({"id": ["s1", "s2"], "name": ["外滩街道", "南京东路街道"]},
                             geometry=[box(0, 0, 25, 20), box(25, 0, 60, 20)], crs=4549)
    ctx = MetricContext("310101", box(0, 0, 60, 20), 4549, 2025, {"subdistrict": units})
    metric = get_metric("building_emissions")
    res = metric.compute({"building": three_buildings}, metric.params(), ctx)
    assert res.value == pytest.approx(44.16218881 + 35.7, abs=1e-8)
    assert res.details["measured_share"] == pytest.approx(1 / 3)
    assert res.details["map_coverage_share"] == pytest.approx(2 / 3)
    assert res.details["no_data_reasons"] == {"no_floor_area": 1}
    assert [t["id"] for t in res.details["top_emitters"]] == ["a", "b"]
    assert res.details["factors"]["electricity"]["data_year"] == 2022
    assert res.per_unit is not None
    assert res.per_unit["tco2"].tolist() == pytest.approx([44.16218881 + 35.7, 0.0])
    assert res.per_unit["tco2_per_m2"].iloc[0] == pytest.approx((44.16218881 + 35.7) / 3000)
    layer = res.layers["carbon_buildings"]
    assert layer["top_rank"].tolist()[:2] == [1, 2]
    cov = get_metric("emission_map_coverage")
    by_count = cov.compute({"building": three_buildings}, cov.params(), ctx)
    assert by_count.value == pytest.approx(2 / 3)
    measured = cov.compute({"building": three_buildings}, cov.params(basis="measured"), ctx)
    assert measured.value == pytest.approx(1 / 3)


def test_no_buildings_emit_nothing_and_no_figures_give_no_total() -> None:
    metric = get_metric("building_emissions")
    ctx = MetricContext("310101", box(0, 0, 10, 10), 4549, 2025)
    empty = gpd.GeoDataFrame({"use_category": []}, geometry=[], crs=4549)
    assert metric.compute({"building": empty}, metric.params(), ctx).value == 0.0
    unknown = gpd.GeoDataFrame({"use_category": ["residential"]}, geometry=[box(0, 0, 1, 1)],
                               crs=4549)
    res = metric.compute({"building": unknown}, metric.params(), ctx)
    assert res.value is None
    assert res.details["no_data_reasons"] == {"no_floor_area": 1}
    bins, cls = intensity_classes(pd.Series([0.02, 0.02, 0.02]), k=5)
    assert (bins, cls.tolist()) == ([0.02], [0, 0, 0])


def test_classes_of_many_values_are_fast_and_repeatable() -> None:
    """200,000 intensities in three clusters (0.01, 0.05, 0.2 tCO₂/m² ± 1 %): the breaks fall
    between the clusters, the same twice, the top class ending at the maximum."""
    rng = np.random.default_rng(7)
    centres = rng.choice([0.01, 0.05, 0.2], 200_000)
    values = pd.Series(centres * rng.uniform(0.99, 1.01, 200_000))
    bins, cls = intensity_classes(values, k=3)
    assert bins == intensity_classes(values, k=3)[0]
    assert 0.0099 < bins[0] < 0.0495  # the top of each cluster
    assert 0.0495 < bins[1] < 0.198
    assert bins[2] == values.max()
    assert (cls.to_numpy() == np.searchsorted([0.03, 0.1], centres)).all()

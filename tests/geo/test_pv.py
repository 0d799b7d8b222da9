"""Rooftop PV: usable roof, capacity, clear-sky yield, tCO₂ and roof shares (EPSG:4548)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from tanmap.geo.errors import GeographicCRSError, MetricParameterError
from tanmap.geo.metric import MetricContext, params_from_mapping
from tanmap.geo.pv import (
    GRID_EMISSION_FACTOR,
    IRRADIATION_COLUMN,
    METRIC_DEFS,
    NEA_2021_ROOF_RATIOS,
    avoided_tco2,
    buildings_with_pv,
    clear_sky_specific_yield_kwh_per_kwp,
    panel_areas_m2,
    potential_capacity_kwp,
    pv_building_positions,
    roof_pv_share,
    usable_roof_area_m2,
    yield_from_irradiation_kwh,
)

CRS = 4548
DEFS = {d.name: d for d in METRIC_DEFS}
#: A district square near 和平区 in EPSG:4548 (CM 117°E): x 500 km, y 4330 km ≈ (117.0°E, 39.1°N).
TIANJIN = box(500_000, 4_330_000, 501_000, 4_331_000)
TIANJIN_LON_LAT = (117.2, 39.12)


@pytest.fixture
def buildings() -> gpd.GeoDataFrame:
    """Four 10 x 10 m buildings side by side (roof 100 m² unless roof_area_m2 says otherwise)."""
    return gpd.GeoDataFrame(
        {
            "id": ["gov-new", "gov-old", "school", "home"],
            "use_category": ["party_gov", "party_gov", "public", "residential"],
            "roof_area_m2": [None, 300.0, None, 200.0],
            "is_new": [True, False, False, False],
            "public_institution": [True, True, True, False],
        },
        geometry=[box(20 * i, 0, 20 * i + 10, 10) for i in range(4)],
        crs=CRS,
    )


@pytest.fixture
def panels() -> gpd.GeoDataFrame:
    """PV on gov-new (linked by id) and on the school (no id: found by location)."""
    return gpd.GeoDataFrame(
        {"building_id": ["gov-new", None], "capacity_kwp": [5.0, 8.0],
         "status": ["existing", "planned"], "completion_year": [2022, None]},
        geometry=[box(1, 1, 9, 9), box(41, 1, 49, 9)], crs=CRS)


def ctx() -> MetricContext:
    return MetricContext(adcode="120101", district=TIANJIN, planning_epsg=CRS, audit_year=2025)


def test_usable_roof_uses_nea_ratios(buildings):
    """50 % of 100 and 300 m² (党政机关), 40 % of 100 m² (公共建筑), 20 % of 200 m² (居民)."""
    assert usable_roof_area_m2(buildings).tolist() == [50.0, 150.0, 40.0, 40.0]


def test_ratios_can_be_overridden(buildings):
    assert usable_roof_area_m2(buildings, {"residential": 0.5}).tolist() == [
        50.0, 150.0, 40.0, 100.0]
    assert NEA_2021_ROOF_RATIOS["residential"] == 0.2  # the default is untouched


def test_ratio_given_as_percent_is_rejected(buildings):
    with pytest.raises(ValueError, match=r"roof ratios must be in \[0, 1\]"):
        usable_roof_area_m2(buildings, {"public": 40})


def test_capacity_from_power_density():
    assert potential_capacity_kwp(280.0) == pytest.approx(33.6)
    assert potential_capacity_kwp(280.0, 0.15) == pytest.approx(42.0)


def test_emission_factor_is_named_and_dated():
    assert GRID_EMISSION_FACTOR.tco2_per_mwh == 0.5703
    assert GRID_EMISSION_FACTOR.data_year == 2022
    assert "生态环境部" in GRID_EMISSION_FACTOR.source
    assert avoided_tco2(2_000_000.0) == pytest.approx(1140.6)


def test_yield_from_irradiation_literal():
    assert yield_from_irradiation_kwh(6.0, 1500.0, 0.8) == pytest.approx(7200.0)


def test_clear_sky_yield_in_tianjin_is_an_upper_bound():
    """Clear-sky every day gives ~1,830 kWh/kWp at 39°N; real-sky Tianjin is ~1,300–1,400."""
    tianjin = clear_sky_specific_yield_kwh_per_kwp(*TIANJIN_LON_LAT)
    assert 1_650 < tianjin < 2_000
    lossless = clear_sky_specific_yield_kwh_per_kwp(*TIANJIN_LON_LAT, losses_pct=0.0)
    assert tianjin == pytest.approx(lossless * 0.86, rel=1e-3)  # losses act linearly below clipping
    hazy = clear_sky_specific_yield_kwh_per_kwp(*TIANJIN_LON_LAT, linke_turbidity=6.0)
    assert hazy < tianjin
    flat = clear_sky_specific_yield_kwh_per_kwp(*TIANJIN_LON_LAT, tilt_deg=0.0)
    assert flat < tianjin  # a latitude tilt beats a flat roof at 39°N


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"lon": 117.2, "lat": 39.1, "losses_pct": 140}, r"losses_pct must be a percentage"),
    ({"lon": 39.1, "lat": 117.2}, r"lon/lat must be degrees \(x, y\)"),
], ids=["losses-over-100", "swapped-lon-lat"])
def test_clear_sky_arguments_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        clear_sky_specific_yield_kwh_per_kwp(**kwargs)


def test_buildings_with_pv_by_id_and_location(buildings, panels):
    assert buildings_with_pv(buildings, panels).tolist() == [True, False, True, False]
    assert not buildings_with_pv(buildings, panels.iloc[:0]).any()


def test_roof_share_by_area_and_count(buildings, panels):
    """Hosting roofs 100 + 100 m² of 700 m²; 2 of 4 buildings."""
    assert roof_pv_share(buildings, panels, by="area") == (pytest.approx(2 / 7), 200.0, 700.0)
    assert roof_pv_share(buildings, panels, by="count") == (0.5, 2.0, 4.0)
    assert roof_pv_share(buildings.iloc[:0], panels, by="count") == (None, 0.0, 0.0)
    assert roof_pv_share(buildings, panels, by="panel_area") == (pytest.approx(128 / 700), 128.0,
                                                                700.0)
    with pytest.raises(ValueError, match="by must be 'area', 'count' or 'panel_area'"):
        roof_pv_share(buildings, panels, by="height")  # type: ignore[arg-type]


def test_panel_area_uses_the_attribute_and_caps_at_the_roof(buildings):
    """gov-old (300 m² roof) reports 500 m² of panels: capped at 300; school 8 x 8 = 64 m²."""
    pv = gpd.GeoDataFrame({"building_id": ["gov-old", None], "panel_area_m2": [500.0, None]},
                          geometry=[box(21, 1, 29, 9), box(41, 1, 49, 9)], crs=CRS)
    assert panel_areas_m2(buildings, pv).tolist() == [0.0, 300.0, 64.0, 0.0]


def test_unknown_building_id_and_overlapping_roofs(buildings):
    """An id matching no building is ignored; a loose panel inside two roofs goes to the roof
    whose id sorts first, whatever the row order."""
    overlapping = gpd.GeoDataFrame(
        {"id": ["late", "early"]}, geometry=[box(0, 0, 10, 10), box(0, 0, 20, 20)], crs=CRS)
    pv = gpd.GeoDataFrame({"building_id": ["nope", None]},
                          geometry=[box(1, 1, 2, 2), box(2, 2, 4, 4)], crs=CRS)
    assert pv_building_positions(overlapping, pv).tolist() == [-1, 1]  # "early" < "late"
    assert pv_building_positions(overlapping.iloc[::-1], pv).tolist() == [-1, 0]


def test_roof_share_rejects_degrees(buildings, panels):
    with pytest.raises(GeographicCRSError, match="degrees"):
        roof_pv_share(buildings.set_crs(4326, allow_override=True), panels)


def test_public_institution_new_vs_existing(buildings, panels):
    """黄浦: new public-institution roofs (gov-new: has PV) vs existing (gov-old, school)."""
    d = DEFS["pv_roof_share"]
    frames = {"building": buildings, "pv_rooftop": panels}
    new = d.compute(frames, params_from_mapping(
        d.params, {"public_institution_only": True, "building_age": "new"}), ctx())
    assert new.value == 1.0
    existing = d.compute(frames, params_from_mapping(
        d.params, {"public_institution_only": True, "building_age": "existing", "by": "count"}),
        ctx())
    assert existing.value == 0.5
    by_area = d.compute(frames, params_from_mapping(d.params, {"public_institution_only": True}),
                        ctx())
    assert by_area.value == pytest.approx(200 / 500)
    assert by_area.details["existing_share_by_area"] == pytest.approx(100 / 400)
    assert by_area.details["new_share_by_count"] == 1.0
    assert by_area.details["hosting_roof_m2"] == 200.0
    panel = d.compute(frames, params_from_mapping(d.params, {"by": "panel_area"}), ctx())
    assert panel.value == pytest.approx(128 / 700)  # two 8 x 8 m arrays on 700 m² of roof
    assert panel.details["panel_m2"] == 128.0
    gov = d.compute(frames, params_from_mapping(d.params, {"categories": "party_gov"}), ctx())
    assert gov.value == pytest.approx(100 / 400)
    existing_pv_only = d.compute(frames, params_from_mapping(
        d.params, {"pv_statuses": "existing", "by": "count"}), ctx())
    assert existing_pv_only.value == 0.25


def test_roof_share_missing_layer(buildings):
    d = DEFS["pv_roof_share"]
    res = d.compute({"building": buildings}, d.params(), ctx())
    assert (res.value, res.missing) == (None, ("pv_rooftop",))


def test_capacity_by_status(panels):
    d = DEFS["pv_capacity"]
    assert d.compute({"pv_rooftop": panels}, d.params(), ctx()).value == 13.0
    existing = d.compute({"pv_rooftop": panels},
                         params_from_mapping(d.params, {"statuses": "existing"}), ctx())
    assert existing.value == 5.0
    assert d.compute({"pv_rooftop": panels.iloc[:0]}, d.params(), ctx()).value == 0.0


def test_potential_from_a_sampled_irradiation(buildings):
    """Every roof sampled at 1500 kWh/m²: 280 m² usable x 0.12 = 33.6 kWp x 1500 x 0.8."""
    sampled = buildings.assign(**{IRRADIATION_COLUMN: 1500.0})
    d = DEFS["pv_potential"]
    res = d.compute({"building": sampled}, d.params(), ctx())
    assert res.value == pytest.approx(33.6)
    assert res.details["usable_roof_m2"] == 280.0
    assert res.details["annual_yield_kwh"] == pytest.approx(40_320.0)
    assert res.details["tco2_avoided"] == pytest.approx(40.32 * 0.5703)
    assert res.details["emission_factor"]["data_year"] == 2022
    assert res.details["kwp_by_category"] == pytest.approx(
        {"party_gov": 24.0, "public": 4.8, "residential": 4.8})
    lon, lat = res.details["site_lon_lat"]
    assert (round(lon, 2), round(lat, 2)) == (117.01, 39.11)


def test_potential_clear_sky_is_labelled(buildings):
    d = DEFS["pv_potential"]
    res = d.compute({"building": buildings}, d.params(), ctx())
    assert res.details["yield_basis"].startswith("clear-sky upper bound")
    assert res.details["annual_yield_kwh"] == pytest.approx(
        33.6 * res.details["clear_sky_kwh_per_kwp"])


@pytest.mark.parametrize(("values", "match"), [
    ({"power_density_kwp_per_m2": 12}, r"power_density_kwp_per_m2 must be in \(0, 0.3\]"),
    ({"losses_pct": -1}, r"losses_pct must be in \[0, 100\]"),
    ({"ratios": {"public": 40}}, r"ratios must be shares in \[0, 1\]"),
], ids=["density-per-100m2", "negative-losses", "ratio-in-percent"])
def test_potential_params_are_checked(values, match):
    with pytest.raises(MetricParameterError, match=match):
        params_from_mapping(DEFS["pv_potential"].params, values)


boxes = st.tuples(st.integers(0, 200), st.integers(0, 200), st.integers(1, 30),
                  st.integers(1, 30)).map(lambda t: box(t[0], t[1], t[0] + t[2], t[1] + t[3]))


@settings(max_examples=40, deadline=None)
@given(roofs=st.lists(boxes, min_size=1, max_size=10), pv=st.lists(boxes, max_size=5),
       extra=boxes, seed=st.randoms())
def test_roof_share_invariants(roofs, pv, extra, seed):
    b = gpd.GeoDataFrame({"id": [f"b{i}" for i in range(len(roofs))]}, geometry=roofs, crs=CRS)
    p = gpd.GeoDataFrame({"building_id": [None] * len(pv)}, geometry=pv, crs=CRS)
    share = roof_pv_share(b, p)[0]
    assert 0.0 <= share <= 1.0
    more = gpd.GeoDataFrame(pd.concat([p, gpd.GeoDataFrame(
        {"building_id": [None]}, geometry=[extra], crs=CRS)]), crs=CRS)
    assert roof_pv_share(b, more)[0] >= share
    order = list(range(len(b)))
    seed.shuffle(order)
    assert roof_pv_share(b.iloc[order], p)[0] == pytest.approx(share)


# --------------------------------------------------------------------------------------------
# Yield from measured monthly irradiation (issue 14 point 4)


def _clear_sky_months(lon: float, lat: float) -> list[float]:
    """Monthly clear-sky GHI totals (kWh/m²) of pvlib's Ineichen model at a site."""
    import pvlib

    from tanmap.geo.pv import _clear_sky_hourly

    times, _sun, sky = _clear_sky_hourly(pvlib, lon, lat, 0.0, 2023, None)
    return (sky["ghi"].groupby(times.month).sum() / 1000.0).tolist()


def test_monthly_yield_equals_clear_sky_when_every_month_is_clear():
    """Months at their clear-sky totals reproduce the clear-sky yield within 5 %, from below:
    the Erbs beam/diffuse split of a scaled day puts more into diffuse than Ineichen's."""
    from tanmap.geo.pv import monthly_irradiation_specific_yield_kwh_per_kwp as monthly

    lon, lat = TIANJIN_LON_LAT
    clear = clear_sky_specific_yield_kwh_per_kwp(lon, lat)
    from_months = monthly(lon, lat, _clear_sky_months(lon, lat))
    assert from_months == pytest.approx(clear, rel=0.05)
    assert from_months <= clear
    assert monthly(lon, lat, [0.0] * 12) == 0.0


def test_monthly_yield_grows_with_irradiation_and_stays_below_clear_sky():
    from tanmap.geo.pv import monthly_irradiation_specific_yield_kwh_per_kwp as monthly

    lon, lat = 121.48, 31.23  # 上海黄浦
    months = _clear_sky_months(lon, lat)
    low = monthly(lon, lat, [m * 0.5 for m in months])
    high = monthly(lon, lat, [m * 0.6 for m in months])
    assert 0 < low < high < clear_sky_specific_yield_kwh_per_kwp(lon, lat)
    # kWh/kWp over horizontal kWh/m²: latitude tilt gains, losses take ~20 %: 0.7–1.0.
    assert 0.7 < high / (0.6 * sum(months)) < 1.0


@pytest.mark.parametrize(("values", "match"), [
    ([100.0] * 11, "needs 12 monthly totals"),
    ([-1.0] + [100.0] * 11, "needs 12 monthly totals >= 0"),
    ([500.0] * 12, r"month 1: 500 kWh/m² is above the clear-sky total 93 kWh/m².*\(MJ/m² ÷ 3\.6"),
], ids=["eleven", "negative", "megajoules"])
def test_monthly_yield_refuses_bad_months(values, match):
    from tanmap.geo.pv import monthly_irradiation_specific_yield_kwh_per_kwp as monthly

    with pytest.raises(ValueError, match=match):
        monthly(*TIANJIN_LON_LAT, values)


#: Made-up monthly GHI for the test site (kWh/m², 1,425 a year): below clear sky every month.
TEST_MONTHS = "75,90,125,150,170,165,150,140,120,100,75,65"


def test_potential_names_its_irradiation_source(buildings):
    d = DEFS["pv_potential"]
    with pytest.raises(MetricParameterError, match="needs irradiation_source"):
        params_from_mapping(d.params, {"monthly_ghi_kwh_m2": TEST_MONTHS})
    params = params_from_mapping(d.params, {
        "monthly_ghi_kwh_m2": TEST_MONTHS,
        "irradiation_source": "天津站 1991–2020 整编 (test)"})
    res = d.compute({"building": buildings}, params, ctx())
    assert res.details["irradiation_source"] == "天津站 1991–2020 整编 (test)"
    assert res.details["yield_basis"].startswith(
        "measured monthly irradiation: 天津站 1991–2020 整编 (test) (1425 kWh/m² a year")
    assert res.details["specific_yield_kwh_per_kwp"] < res.details["clear_sky_kwh_per_kwp"]
    assert res.details["annual_yield_kwh"] == pytest.approx(
        33.6 * res.details["specific_yield_kwh_per_kwp"])
    clear = d.compute({"building": buildings}, d.params(), ctx())
    assert clear.details["irradiation_source"].startswith("none (clear sky")

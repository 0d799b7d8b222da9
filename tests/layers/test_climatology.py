"""Irradiation climatologies: file format, matching a district, and pv_potential's default.

The climatology here is test data written by the tests (a hand-made EPW: 100 W/m² from 08:00
to 16:00 every day, so each month totals days x 0.8 kWh/m²; air 15 °C), never figures for a
real city.
"""

from __future__ import annotations

import calendar
from typing import TYPE_CHECKING

import pytest
from shapely.geometry import box

from tanmap.geo.errors import DataFormatError
from tanmap.geo.pv import (
    clear_sky_specific_yield_kwh_per_kwp,
    monthly_irradiation_specific_yield_kwh_per_kwp,
)
from tanmap.layers.raster.climatology import (
    CLIMATOLOGY_FORMAT,
    IrradiationSite,
    bundled_climatology,
    climatology_for,
    read_climatology,
    site_from_weather,
    write_climatology,
)
from tanmap.layers.raster.weather import read_monthly_ghi
from tanmap.layers.runner import run_metric
from tanmap.layers.store import GeoPackageStore, open_store
from tests.layers.test_runner import ADCODE, EPSG, metre_frame
from tests.layers.test_weather import write_epw

if TYPE_CHECKING:
    from pathlib import Path

DAYS = [calendar.monthrange(2005, m)[1] for m in range(1, 13)]
#: Hand-made months for the tests (kWh/m²): 100 W/m² x 8 h a day.
MONTHS = [d * 0.8 for d in DAYS]


def _site(key: str = "testcity", prefixes: tuple[str, ...] = ("1201",), lon: float = 117.0,
          lat: float = 39.1) -> IrradiationSite:
    return IrradiationSite(key, "测试市", prefixes, "测试站 00000", lon, lat, tuple(MONTHS),
                           "手工测试数据 (test data)", "2005 (test)",
                           monthly_air_temperature_c=(15.0,) * 12)


def test_site_from_an_epw_round_trips_through_the_file(tmp_path: Path) -> None:
    weather = read_monthly_ghi(write_epw(tmp_path / "CHN_Test.epw"))
    assert weather.monthly_air_temperature_c == pytest.approx((15.0,) * 12)
    site = site_from_weather(weather, key="testcity", name="测试市", adcode_prefixes=["1201"],
                             source="手工测试数据 (test data)", period="2005 (test)",
                             verify=True)
    path = write_climatology(tmp_path / "clim.yaml", [site])
    back = read_climatology(path)
    assert [s.key for s in back] == ["testcity"]
    assert back[0].monthly_ghi_kwh_m2 == pytest.approx(tuple(MONTHS))
    assert back[0].annual_kwh_m2 == pytest.approx(292.0)
    assert (back[0].lon, back[0].lat) == (121.45, 31.4)
    assert back[0].label().endswith("(irradiation climatology clim.yaml) [verify]")
    # Writing a site of the same key replaces it; another key is added.
    write_climatology(path, [_site(), _site("other", ("31",))])
    assert [s.key for s in read_climatology(path)] == ["testcity", "other"]


@pytest.mark.parametrize(("body", "match"), [
    ("sites: []", "not an irradiation climatology — fix: start the file with `format:"),
    (f"format: {CLIMATOLOGY_FORMAT}\nsites:\n- key: a\n  colour: red",
     r"c.yaml site 1: unknown field\(s\) colour"),
    (f"format: {CLIMATOLOGY_FORMAT}\nsites:\n- key: a\n  name: x",
     r"site 1: missing field\(s\) adcode_prefixes, station, lon, lat, monthly_ghi_kwh_m2"),
    (f"format: {CLIMATOLOGY_FORMAT}\nsites:\n- {{key: a, name: x, adcode_prefixes: [1201], "
     "station: s, lon: 117, lat: 39, source: s, period: p, "
     f"monthly_ghi_kwh_m2: [{', '.join(['300'] * 11)}]}}",
     r"site 1 \(a\): field monthly_ghi_kwh_m2 must be 12 numbers"),
    (f"format: {CLIMATOLOGY_FORMAT}\nsites:\n- {{key: a, name: x, adcode_prefixes: [1201], "
     "station: s, lon: 117, lat: 39, source: s, period: p, "
     f"monthly_ghi_kwh_m2: [{', '.join(['500'] * 12)}]}}",
     r"in \[0, 400\].*MJ/m² ÷ 3\.6"),
    (f"format: {CLIMATOLOGY_FORMAT}\nsites:\n- {{key: a, name: x, adcode_prefixes: [tj], "
     "station: s, lon: 117, lat: 39, source: s, period: p, "
     f"monthly_ghi_kwh_m2: [{', '.join(['90'] * 12)}]}}",
     r"adcode_prefixes \['tj'\] are not 2–6 digit codes"),
    (f"format: {CLIMATOLOGY_FORMAT}\nsites:\n- {{key: A B, name: x, adcode_prefixes: [12], "
     "station: s, lon: 117, lat: 39, source: s, period: p, "
     f"monthly_ghi_kwh_m2: [{', '.join(['90'] * 12)}]}}",
     r"key 'A B' is not \[a-z0-9_\]"),
    (f"format: {CLIMATOLOGY_FORMAT}\nsites:\n- {{key: a, name: x, adcode_prefixes: [12], "
     "station: s, lon: 39, lat: 117, source: s, period: p, "
     f"monthly_ghi_kwh_m2: [{', '.join(['90'] * 12)}]}}",
     r"lon/lat \(39, 117\) are not degrees"),
    ("format: [unclosed", "not readable YAML"),
], ids=["no-format", "unknown-field", "missing-fields", "eleven-months", "megajoules",
        "bad-prefix", "bad-key", "swapped-lon-lat", "broken-yaml"])
def test_bad_climatology_files_name_file_site_and_field(tmp_path: Path, body: str,
                                                        match: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataFormatError, match=match):
        read_climatology(path)


def test_rewriting_a_file_keeps_its_header_comments(tmp_path: Path) -> None:
    """The bundled file carries its provenance as a comment header: adding a site keeps it."""
    path = tmp_path / "c.yaml"
    path.write_text(f"# 来源 header\n#\n# second line\nformat: {CLIMATOLOGY_FORMAT}\nsites: []\n",
                    encoding="utf-8")
    write_climatology(path, [_site()])
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# 来源 header\n#\n# second line\nformat: {CLIMATOLOGY_FORMAT}\n")
    assert [s.key for s in read_climatology(path)] == ["testcity"]
    fresh = write_climatology(tmp_path / "new.yaml", [_site()])
    assert fresh.read_text(encoding="utf-8").startswith("format:")


def test_duplicate_keys_and_missing_file(tmp_path: Path) -> None:
    path = write_climatology(tmp_path / "c.yaml", [_site()])
    text = path.read_text(encoding="utf-8")
    path.write_text(text + text.split("sites:\n", 1)[1], encoding="utf-8")
    with pytest.raises(DataFormatError, match="duplicate key"):
        read_climatology(path)
    with pytest.raises(DataFormatError, match=r"climatology file none\.yaml not found"):
        read_climatology(tmp_path / "none.yaml")


def test_bundled_file_parses_and_holds_only_cited_sites() -> None:
    """Every bundled site names its source and period (figures go in only with a citable
    source: see the data README and tests/layers/test_bundled_climatology.py)."""
    for site in bundled_climatology():
        assert site.source.strip()
        assert site.period.strip()


def test_matching_prefers_the_longest_prefix_then_distance() -> None:
    city, district = _site("city", ("1201",)), _site("dongli", ("120110",), 117.4, 39.1)
    near = _site("near", ("4307",), 111.9, 29.6)
    assert climatology_for([city, district], "120110", 117.4, 39.1).site.key == "dongli"
    assert climatology_for([city, district], "120101", 117.2, 39.1).site.key == "city"
    by_distance = climatology_for([city, near], "430799", 111.7, 29.5)
    assert (by_distance.site.key, by_distance.by) == ("near", "adcode")
    far = climatology_for([near], "420000", 112.2, 30.4)  # ~90 km north-east of the site
    assert far is not None
    assert far.by == "distance"
    assert 80 < far.distance_km < 100
    assert climatology_for([near], "420000", 114.3, 30.6) is None  # Wuhan: ~250 km away


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    """The test district 120199 (Tianjin code, EPSG:4548) with one 10 m 党政机关 roof."""
    store = open_store(tmp_path / "pv.gpkg", create=True)
    store.put_district(metre_frame(
        [{"adcode": ADCODE, "name": "测试区", "planning_epsg": EPSG}], [box(0, 0, 1000, 1000)]))
    store.write("building", metre_frame([{"id": "g", "use_category": "party_gov"}],
                                        [box(100, 100, 110, 110)]),
                district=ADCODE, source="test")
    return store


def test_pv_potential_uses_the_climatology_of_the_district_city(store: GeoPackageStore,
                                                                tmp_path: Path) -> None:
    """6 kWp (50 m² usable x 0.12); the yield is the monthly chain on the site's months and
    temperatures, named with its source; clear sky stays as the stated upper bound."""
    path = write_climatology(tmp_path / "clim.yaml", [_site()])
    out = run_metric(store, "pv_potential", ADCODE, {"climatology_file": str(path)}, year=2025)
    d = out.result.details
    lon, lat = d["site_lon_lat"]
    expected = monthly_irradiation_specific_yield_kwh_per_kwp(
        lon, lat, MONTHS, monthly_air_temperature_c=[15.0] * 12)
    assert d["specific_yield_kwh_per_kwp"] == pytest.approx(expected)
    assert d["annual_yield_kwh"] == pytest.approx(6.0 * expected)
    assert d["irradiation_source"] == ("测试市 测试站 00000: 手工测试数据 (test data), 2005 (test) "
                                       "(irradiation climatology clim.yaml)")
    assert d["yield_basis"].startswith("measured monthly irradiation: 测试市 测试站 00000")
    assert d["clear_sky_kwh_per_kwp"] == pytest.approx(clear_sky_specific_yield_kwh_per_kwp(
        lon, lat))
    assert d["specific_yield_kwh_per_kwp"] < 0.5 * d["clear_sky_kwh_per_kwp"]
    assert "monthly mean air temperatures" in d["yield_chain"]
    assert "haydavies transposition" in d["yield_chain"]


def test_explicit_choices_win_over_the_climatology(store: GeoPackageStore,
                                                   tmp_path: Path) -> None:
    path = write_climatology(tmp_path / "clim.yaml", [_site()])
    clear = run_metric(store, "pv_potential", ADCODE,
                       {"climatology_file": str(path), "irradiation": "clear_sky"}, year=2025)
    assert clear.result.details["irradiation_source"].startswith("none (clear sky")
    own = run_metric(store, "pv_potential", ADCODE, {
        "climatology_file": str(path), "irradiation_source": "用户实测 (test)",
        "monthly_ghi_kwh_m2": ",".join(str(m * 2) for m in MONTHS)}, year=2025)
    assert own.result.details["irradiation_source"] == "用户实测 (test)"


def test_no_site_for_the_district(store: GeoPackageStore, tmp_path: Path) -> None:
    path = write_climatology(tmp_path / "clim.yaml", [_site("shanghai", ("31",), 121.5, 31.2)])
    auto = run_metric(store, "pv_potential", ADCODE, {"climatology_file": str(path)}, year=2025)
    assert auto.result.details["irradiation_source"].startswith("none (clear sky")
    forced = run_metric(store, "pv_potential", ADCODE,
                        {"climatology_file": str(path), "irradiation": "climatology"},
                        year=2025)
    assert (forced.result.value, forced.result.missing) == (None, ("climatology:irradiation",))
    from tanmap.layers.card.card_text import missing_text

    assert missing_text(forced.result.missing) == "无本区县太阳辐照气候数据"
    assert missing_text(forced.result.missing, "en") == (
        "no irradiation climatology for the district")


def test_a_bad_user_file_is_an_error_not_clear_sky(store: GeoPackageStore,
                                                   tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites: []", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad\.yaml: not an irradiation climatology"):
        run_metric(store, "pv_potential", ADCODE, {"climatology_file": str(bad)}, year=2025)


def test_a_gbk_climatology_file_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(f"format: {CLIMATOLOGY_FORMAT}\nsites: []  # 天津\n".encode("gbk"))
    with pytest.raises(DataFormatError, match=r"gbk\.yaml: not UTF-8 text — fix: save the file"):
        read_climatology(path)


def test_equal_prefixes_pick_the_nearest_site() -> None:
    west = _site("west", ("1201",), 116.9, 39.1)
    east = _site("east", ("1201",), 117.8, 39.0)
    assert climatology_for([west, east], "120116", 117.7, 39.0).site.key == "east"
    assert climatology_for([west, east], "120101", 117.2, 39.1).site.key == "west"


def test_card_pv_row_names_the_irradiation_and_the_clear_sky_bound(store: GeoPackageStore,
                                                                   tmp_path: Path) -> None:
    from tanmap.layers.audit import audit_district
    from tanmap.layers.card.card_text import note_text
    from tests.layers.test_audit import _target, hand_catalog

    path = write_climatology(tmp_path / "clim.yaml", [_site()])
    card = audit_district(store, ADCODE, year=2025, catalog=hand_catalog(_target(
        "P01", "pv_potential", {"climatology_file": str(path)}, 10.0, 2025, unit="kWp",
        category="energy")))
    row = card.row(f"{ADCODE}-P01")
    assert row.measured == pytest.approx(6.0)
    zh, en = note_text(row, "zh"), note_text(row, "en")
    assert "辐照来源：测试市 测试站 00000: 手工测试数据 (test data)" in zh
    assert "晴空上限" in zh
    assert "irradiation: 测试市 测试站 00000" in en
    assert "clear-sky upper bound" in en


def test_raster_per_building_and_the_climatology_elsewhere(store: GeoPackageStore,
                                                           tmp_path: Path) -> None:
    """Two 6 kWp roofs; the irradiation raster (1,300 kWh/m², PR 0.8) covers only the first:
    6 x 1,300 x 0.8 + 6 x the climatology's specific yield."""
    import numpy as np

    from tanmap.layers.raster.rasters import import_raster
    from tests.layers.test_rasters import _tif, from_origin
    from tests.layers.test_runner import X0, Y0

    store.write("building", metre_frame(
        [{"id": "g", "use_category": "party_gov"}, {"id": "h", "use_category": "party_gov"}],
        [box(100, 100, 110, 110), box(800, 800, 810, 810)]), district=ADCODE, source="test")
    tif = _tif(tmp_path / "irr.tif", np.full((30, 30), 1300.0, dtype=np.float32),
               crs=f"EPSG:{EPSG}", transform=from_origin(X0, Y0 + 300, 10, 10))
    import_raster(store, "irradiation", ADCODE, tif, source="测试辐照")
    path = write_climatology(tmp_path / "clim.yaml", [_site()])
    d = run_metric(store, "pv_potential", ADCODE, {"climatology_file": str(path),
                                                   "irradiation_raster": True},
                   year=2025).result.details
    assert d["annual_yield_kwh"] == pytest.approx(
        6 * 1300 * 0.8 + 6 * d["specific_yield_kwh_per_kwp"])
    assert d["irradiation_source"].startswith(
        "stored irradiation raster v1, 测试辐照 where sampled; elsewhere 测试市 测试站 00000")

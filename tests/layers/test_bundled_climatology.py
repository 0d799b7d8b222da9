"""The bundled irradiation climatology: Tianjin, Shanghai and 津市 (by the 常德 station).

Sources (provenance in tanmap/data/README.md):

* Bundled months: CSWD 中国建筑热环境分析专用气象数据集 (China Standard Weather Data for
  Analyzing Building Thermal Conditions, 中国气象局气象信息中心气象资料室 & 清华大学建筑技术科学系,
  2005), EnergyPlus EPW edition, files ``CHN_Tianjin.Tianjin.545270_CSWD``,
  ``CHN_Shanghai.Shanghai.583620_CSWD`` and ``CHN_Hunan.Changde.576620_CSWD`` as held in the
  GitHub repository gwyxjtu/eppy_for_power_load_generation, commit
  f52597b20ff0192f119e01a8da1b80b379d52b0e, ``weathers/spyder/<name>/<name>.epw|.stat``.
* ``STAT_*`` below: the rows "Global Avg" (daily mean global horizontal irradiation, Wh/m²,
  Monthly Statistics for Solar Radiation) and "Daily Avg" (Monthly Statistics for Dry Bulb
  temperatures, °C) copied from each station's ``.stat`` file (EnergyPlus Weather Converter
  V7.1.0.010 statistics of the same EPW). The bundled values were computed independently from
  the EPW hours (``tanmap weather``, via pvlib); the test checks the two agree.
* ``CDSRD_*``: the published range the yields are checked against. China Solar Radiation Daily
  Dataset (CDSRD, 中国太阳辐射日数据集, 西安建筑科技大学 buildingdata), GitHub
  buildingdata/cdsrd-dataset, commit e495788401a0c4b8ec51d307a214e6c84d129888,
  ``dataset/daily/54527.csv``, ``58362.csv``, ``57662.csv`` (daily GHI, MJ/m², 1970–2017), read
  with ``scripts/irradiation_ranges.py``: the lowest and the highest annual total of the
  complete years at the same station, and those two years' monthly totals (kWh/m²).
"""

from __future__ import annotations

import calendar
import math
from typing import TYPE_CHECKING

import pytest
from shapely.geometry import box

from tanmap.geo.pv import (
    clear_sky_specific_yield_kwh_per_kwp,
    monthly_irradiation_specific_yield_kwh_per_kwp,
)
from tanmap.layers.boundaries import bundled_district
from tanmap.layers.raster.climatology import bundled_climatology, climatology_for
from tanmap.layers.runner import run_metric
from tanmap.layers.store import open_store

if TYPE_CHECKING:
    from pathlib import Path

    from tanmap.layers.raster.climatology import IrradiationSite

#: Days per month of the typical year (the EPW has 8,760 hours, no 29 February).
DAYS = [calendar.monthrange(2005, m)[1] for m in range(1, 13)]

#: "Global Avg" (Wh/m² per day) and dry-bulb "Daily Avg" (°C) of each station's .stat file.
STAT_GLOBAL_WH_M2_DAY = {
    "tianjin": [1969, 2817, 4011, 4856, 5654, 5127, 4537, 4438, 4187, 3105, 1923, 1885],
    "shanghai": [2025, 3064, 2873, 4040, 4709, 4347, 4372, 3802, 4247, 3366, 2493, 2457],
    "changde": [1721, 1708, 1848, 3077, 3902, 4151, 5113, 4412, 3728, 2608, 2106, 1431],
}
STAT_DAILY_AVG_C = {
    "tianjin": [-2.4, -1.6, 6.8, 14.4, 20.7, 24.2, 26.1, 25.5, 20.7, 14.4, 5.3, -0.6],
    "shanghai": [4.5, 6.3, 9.9, 15.3, 20.6, 24.3, 27.5, 27.0, 24.4, 18.9, 13.6, 7.4],
    "changde": [5.7, 6.2, 10.2, 16.6, 21.7, 25.5, 29.0, 28.2, 23.7, 18.4, 12.5, 6.6],
}
#: CSWD station file behind each site.
STATION_FILE = {
    "tianjin": "CHN_Tianjin.Tianjin.545270_CSWD.epw",
    "shanghai": "CHN_Shanghai.Shanghai.583620_CSWD.epw",
    "changde": "CHN_Hunan.Changde.576620_CSWD.epw",
}

#: CDSRD lowest / highest complete year at the same station: (year, kWh/m², monthly kWh/m²).
CDSRD_LOW = {
    "tianjin": (2003, 1216.8, [67.85, 69.49, 96.37, 128.25, 150.13, 148.26, 125.59, 136.42,
                               95.95, 90.16, 48.34, 59.98]),
    "shanghai": (1999, 1095.9, [66.78, 85.14, 69.44, 119.19, 138.18, 102.1, 98.79, 97.78,
                                101.99, 74.73, 63.8, 78.01]),
    "changde": (2012, 1043.4, [34.7, 42.83, 75.24, 97.89, 106.53, 114.68, 163.27, 133.34,
                               100.21, 71.85, 56.55, 46.31]),
}
CDSRD_HIGH = {
    "tianjin": (1972, 1533.6, [60.31, 77.82, 121.34, 162.43, 183.67, 197.28, 178.2, 162.03,
                               142.72, 117.1, 69.97, 60.75]),
    "shanghai": (1971, 1437.0, [94.41, 76.55, 108.34, 131.06, 148.95, 126.2, 195.66, 185.9,
                                99.7, 96.56, 92.04, 81.6]),
    "changde": (1990, 1322.1, [45.94, 38.78, 88.78, 110.63, 144.85, 147.94, 191.77, 190.83,
                               129.76, 87.28, 79.32, 66.25]),
}

#: One district per city: 南开区 (Tianjin), 黄浦区 (Shanghai), 津市市 (Hunan, by the 常德 site).
CITY_DISTRICT = {"tianjin": "120104", "shanghai": "310101", "changde": "430781"}


def _sites() -> dict[str, IrradiationSite]:
    return {s.key: s for s in bundled_climatology()}


def test_the_bundled_sites_are_the_three_cited_cities() -> None:
    sites = _sites()
    assert sorted(sites) == ["changde", "shanghai", "tianjin"]
    for key, site in sites.items():
        assert site.station.startswith(STATION_FILE[key])
        assert "CSWD 中国建筑热环境分析专用气象数据集" in site.source
        assert site.period.startswith("typical meteorological year")
        assert not site.verify
    assert "津市" in sites["changde"].source  # the 常德 station stands for 津市, and says so
    assert sites["tianjin"].adcode_prefixes == ("1201",)
    assert sites["shanghai"].adcode_prefixes == ("3101",)
    assert sites["changde"].adcode_prefixes == ("4307",)


@pytest.mark.parametrize("key", sorted(STAT_GLOBAL_WH_M2_DAY))
def test_bundled_months_equal_the_station_statistics(key: str) -> None:
    """Monthly total = the .stat daily mean x days in the month; the .stat rounds the daily
    mean to 1 Wh/m² (≤ 0.031 kWh/m² a month) and the YAML to 0.01 kWh/m²; temperatures to
    0.1 °C and 0.01 °C."""
    site = _sites()[key]
    for month, (daily, days, bundled) in enumerate(
            zip(STAT_GLOBAL_WH_M2_DAY[key], DAYS, site.monthly_ghi_kwh_m2, strict=True), 1):
        assert bundled == pytest.approx(daily * days / 1000.0, abs=days / 1000.0 + 0.005), month
    assert site.monthly_air_temperature_c is not None
    assert site.monthly_air_temperature_c == pytest.approx(STAT_DAILY_AVG_C[key], abs=0.06)
    stat_annual = math.fsum(d * n / 1000.0 for d, n in zip(STAT_GLOBAL_WH_M2_DAY[key], DAYS,
                                                              strict=True))
    assert site.annual_kwh_m2 == pytest.approx(stat_annual, abs=0.2)


def test_annual_totals() -> None:
    """Hourly GHI of the EPW summed over the year / 1000 (the method of ``tanmap weather``)."""
    annual = {k: round(s.annual_kwh_m2, 1) for k, s in _sites().items()}
    assert annual == {"tianjin": 1355.3, "shanghai": 1271.3, "changde": 1091.8}


@pytest.mark.parametrize("key", sorted(CDSRD_LOW))
def test_annual_irradiation_lies_in_the_published_range(key: str) -> None:
    """The typical year lies between the station's lowest and highest year in CDSRD."""
    low, high = CDSRD_LOW[key], CDSRD_HIGH[key]
    assert low[1] < _sites()[key].annual_kwh_m2 < high[1]
    # the cited yearly totals are the sums of the cited months
    assert math.fsum(low[2]) == pytest.approx(low[1], abs=0.1)
    assert math.fsum(high[2]) == pytest.approx(high[1], abs=0.1)


@pytest.mark.parametrize(("adcode", "key"), [
    ("120101", "tianjin"), ("120110", "tianjin"), ("120116", "tianjin"),
    ("310101", "shanghai"), ("430781", "changde"),
])
def test_districts_pick_their_city_by_adcode(adcode: str, key: str) -> None:
    row = bundled_district(adcode).iloc[0]
    centre = row.geometry.centroid
    match = climatology_for(bundled_climatology(), adcode, centre.x, centre.y)
    assert match is not None
    assert (match.site.key, match.by) == (key, "adcode")


def test_a_district_of_no_bundled_city_gets_none() -> None:
    """东城区, Beijing (110101): no prefix matches and Tianjin's station is > 100 km away."""
    assert climatology_for(bundled_climatology(), "110101", 116.42, 39.93) is None


@pytest.mark.parametrize("key", sorted(CITY_DISTRICT))
def test_pv_yield_of_a_roof_lies_in_the_published_range(tmp_path: Path, key: str) -> None:
    """One hand-made 10 m x 10 m 党政机关 roof at the district centre (6 kWp: 50 m² usable x
    0.12 kWp/m²). pv_potential with default parameters takes the bundled climatology of the
    district's city, names it, and gives a specific yield between the yields of the same chain
    on CDSRD's lowest and highest year at the station; clear sky stays the upper bound."""
    adcode = CITY_DISTRICT[key]
    district = bundled_district(adcode)
    epsg = int(district.iloc[0]["planning_epsg"])
    store = open_store(tmp_path / f"{key}.gpkg", create=True)
    store.put_district(district)
    centre = district.to_crs(epsg).geometry.iloc[0].centroid
    roof = box(centre.x, centre.y, centre.x + 10.0, centre.y + 10.0)
    import geopandas as gpd

    store.write("building", gpd.GeoDataFrame(
        [{"id": "roof", "use_category": "party_gov"}], geometry=[roof], crs=epsg).to_crs(4326),
        district=adcode, source="test")
    d = run_metric(store, "pv_potential", adcode, {}, year=2025).result.details
    site = _sites()[key]
    assert d["irradiation_source"].startswith(f"{site.name} {STATION_FILE[key]}")
    assert "CSWD 中国建筑热环境分析专用气象数据集" in d["irradiation_source"]
    assert d["irradiation_source"].endswith(
        "typical meteorological year (典型气象年) (tanmap bundled irradiation climatology)")
    assert d["yield_basis"].startswith("measured monthly irradiation")
    lon, lat = d["site_lon_lat"]
    specific = d["specific_yield_kwh_per_kwp"]
    assert specific == pytest.approx(monthly_irradiation_specific_yield_kwh_per_kwp(
        lon, lat, site.monthly_ghi_kwh_m2,
        monthly_air_temperature_c=site.monthly_air_temperature_c))
    assert d["annual_yield_kwh"] == pytest.approx(6.0 * specific)
    low, high = (monthly_irradiation_specific_yield_kwh_per_kwp(
        lon, lat, months, monthly_air_temperature_c=site.monthly_air_temperature_c)
        for _, _, months in (CDSRD_LOW[key], CDSRD_HIGH[key]))
    assert low < specific < high
    assert d["clear_sky_kwh_per_kwp"] == pytest.approx(clear_sky_specific_yield_kwh_per_kwp(
        lon, lat))
    assert specific < 0.7 * d["clear_sky_kwh_per_kwp"]

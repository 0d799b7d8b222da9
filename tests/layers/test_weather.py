"""Typical-year weather files: monthly GHI from EPW (hand-made) and TMY3 (pvlib's sample)."""

from __future__ import annotations

import calendar
from pathlib import Path

import pandas as pd
import pvlib
import pytest

from tanmap.geo.errors import DataFormatError
from tanmap.geo.pv import monthly_irradiation_specific_yield_kwh_per_kwp
from tanmap.layers.raster.weather import read_monthly_ghi

HEADER = ["LOCATION,Shanghai,SH,CHN,CSWD,583670,31.40,121.45,8.0,5.5",
          "DESIGN CONDITIONS,0", "TYPICAL/EXTREME PERIODS,0", "GROUND TEMPERATURES,0",
          "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0", "COMMENTS 1,test", "COMMENTS 2,test",
          "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31"]


def write_epw(path: Path, ghi_w_m2: float = 100.0) -> Path:
    """A typical year (2005) with GHI = ``ghi_w_m2`` from 08:00 to 16:00 (8 hours) every day:
    each month totals days x 8 h x 100 W/m² = days x 0.8 kWh/m² (January 24.8)."""
    rows = []
    for month in range(1, 13):
        for day in range(1, calendar.monthrange(2005, month)[1] + 1):
            for hour in range(1, 25):
                ghi = ghi_w_m2 if 9 <= hour <= 16 else 0.0
                fields = [2005, month, day, hour, 60, "?", 15.0, 5.0, 50, 101325, 0, 0, 300,
                          ghi, 0, ghi, 0, 0, 0, 0, 180, 2.0, 5, 5, 20, 9999, 9, 999999999,
                          0, 0.1, 0, 88, 0.2, 0, 0]
                rows.append(",".join(str(f) for f in fields))
    path.write_text("\n".join([*HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_epw_monthly_totals_by_hand(tmp_path: Path) -> None:
    w = read_monthly_ghi(write_epw(tmp_path / "CHN_Shanghai.epw"))
    days = [calendar.monthrange(2005, m)[1] for m in range(1, 13)]
    assert list(w.monthly_ghi_kwh_m2) == pytest.approx([d * 0.8 for d in days])
    assert w.annual_kwh_m2 == pytest.approx(292.0)
    assert (w.lon, w.lat) == (121.45, 31.40)
    assert w.source == ("CHN_Shanghai.epw (Shanghai, CHN; CSWD), 31.40°N 121.45°E, "
                        "typical year")


def test_tmy3_sample_shipped_with_pvlib() -> None:
    """NSRDB TMY3 of Greensboro, NC (pvlib's data/723170TYA.CSV): 1,566 kWh/m² a year."""
    path = Path(pvlib.__path__[0]) / "data" / "723170TYA.CSV"
    w = read_monthly_ghi(path)
    assert [round(v, 1) for v in w.monthly_ghi_kwh_m2] == [
        74.8, 85.8, 131.8, 162.3, 174.7, 187.5, 188.6, 174.1, 132.8, 111.3, 73.0, 69.5]
    assert "GREENSBORO PIEDMONT TRIAD INT" in w.source
    specific = monthly_irradiation_specific_yield_kwh_per_kwp(w.lon, w.lat,
                                                              w.monthly_ghi_kwh_m2)
    # Latitude tilt gains on the horizontal figure; ~20 % losses take it back down.
    assert 0.75 * w.annual_kwh_m2 < specific < 1.0 * w.annual_kwh_m2


def test_bad_weather_files(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="not found"):
        read_monthly_ghi(tmp_path / "none.epw")
    other = tmp_path / "x.txt"
    other.write_text("x", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"EnergyPlus \.epw"):
        read_monthly_ghi(other)
    broken = tmp_path / "broken.epw"
    broken.write_text("\n".join(HEADER) + "\n2005,1,1,1\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"broken\.epw"):
        read_monthly_ghi(broken)


@pytest.mark.parametrize(("model", "hourly_kwh_kwp"), [("haydavies", 1344), ("isotropic", 1315)])
def test_monthly_method_against_the_hourly_chain_on_a_real_tmy(model: str,
                                                               hourly_kwh_kwp: int) -> None:
    """pvlib's Greensboro TMY3 (measured-data typical year): the monthly-totals method (with
    the file's monthly mean temperatures) stays within 3 % below the same chain run on the
    hourly GHI/DNI/DHI and temperatures (figures quoted in geo.pv's docstring)."""
    import warnings

    from tanmap.geo import pv

    path = Path(pvlib.__path__[0]) / "data" / "723170TYA.CSV"
    w = read_monthly_ghi(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
    hours = data.iloc[:8760]
    times = (hours.index - pd.Timedelta(minutes=30)).tz_convert("UTC")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*dayofyear is deprecated")
        sun = pvlib.location.Location(meta["latitude"], meta["longitude"]).get_solarposition(
            times)
        hourly = pv._ac_kwh_per_kwp(
            pvlib, times, sun, hours["ghi"].to_numpy(), hours["dni"].to_numpy(),
            hours["dhi"].to_numpy(), round(abs(meta["latitude"])), 180.0, 14.0, model,
            hours["temp_air"].to_numpy())
    temps = hours["temp_air"].groupby(times.month).mean().tolist()
    monthly = monthly_irradiation_specific_yield_kwh_per_kwp(
        w.lon, w.lat, w.monthly_ghi_kwh_m2, transposition=model,
        monthly_air_temperature_c=temps)
    assert round(hourly) == hourly_kwh_kwp
    assert 0.97 * hourly < monthly < hourly
    warm = monthly_irradiation_specific_yield_kwh_per_kwp(
        w.lon, w.lat, w.monthly_ghi_kwh_m2, transposition=model,
        monthly_air_temperature_c=[t + 10 for t in temps])
    assert warm == pytest.approx(monthly * (1 - 0.0037 * 10), rel=0.01)  # γ = −0.37 %/°C

"""Typical-year weather files (典型气象年): monthly horizontal irradiation for PV yield.

中文：读取典型气象年文件（EnergyPlus EPW，如 CSWD 中国标准气象数据；NSRDB TMY3 CSV），逐月汇总水平面
总辐照量，供 ``pv_potential`` 的 ``monthly_ghi_kwh_m2`` 使用（离线，来源写入结果）。
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

from tanmap.geo.errors import DataFormatError

__all__ = ["HOURS_PER_YEAR", "WeatherMonthly", "read_monthly_ghi"]

#: Hourly records of a typical year (a leap day, if present, is dropped).
HOURS_PER_YEAR = 8760


@dataclass(frozen=True)
class WeatherMonthly:
    """Monthly global horizontal irradiation of a typical year and where it comes from.

    中文：典型年逐月水平面总辐照量及其来源。

    Attributes
    ----------
    monthly_ghi_kwh_m2
        Twelve monthly totals (kWh/m²), January first.
    source
        File, station, data set and position, for ``irradiation_source``.
    lon, lat
        The station (degrees).
    monthly_air_temperature_c
        Twelve monthly mean dry-bulb temperatures (°C), when the file has them.
    """

    monthly_ghi_kwh_m2: tuple[float, ...]
    source: str
    lon: float
    lat: float
    monthly_air_temperature_c: tuple[float, ...] | None = None

    @property
    def annual_kwh_m2(self) -> float:
        """Return the annual total (kWh/m²)."""
        return math.fsum(self.monthly_ghi_kwh_m2)


def read_monthly_ghi(path: str | Path) -> WeatherMonthly:
    """Return the monthly GHI totals of a typical-year weather file (EPW or TMY3 CSV).

    中文：读取典型气象年文件的逐月水平面总辐照量。

    Hourly GHI (W/m², hour means) summed per month / 1000 = kWh/m².

    Raises
    ------
    DataFormatError
        Missing file, another format, unreadable, or not one hourly year (8,760 records).
    """
    import pvlib

    file = Path(path)
    if not file.is_file():
        raise DataFormatError(f"weather file {file.name} not found; check the path")
    suffix = file.suffix.lower()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            if suffix == ".epw":
                data, meta = pvlib.iotools.read_epw(file)
                name = ", ".join(str(meta.get(k) or "").strip() for k in ("city", "country")
                                 if str(meta.get(k) or "").strip() not in ("", "-"))
                dataset = str(meta.get("data_type") or "").strip()
            elif suffix == ".csv":
                data, meta = pvlib.iotools.read_tmy3(file, map_variables=True)
                name = str(meta.get("Name") or "").strip().strip('"')
                dataset = f"TMY3 {meta.get('USAF', '')}".strip()
            else:
                raise DataFormatError(
                    f"{file.name}: a weather file is an EnergyPlus .epw (e.g. CSWD "
                    f"中国标准气象数据) or a TMY3 .csv, not {suffix or '(none)'}")
    except DataFormatError:
        raise
    except Exception as err:  # pvlib raises many kinds on a malformed file
        raise DataFormatError(f"cannot read {file.name} as a typical-year weather file: "
                              f"{type(err).__name__}") from err
    ghi = data["ghi"]
    keep = ~((ghi.index.month == 2) & (ghi.index.day == 29))
    ghi = ghi[keep]
    if len(ghi) != HOURS_PER_YEAR or ghi.isna().any() or (ghi < 0).any():
        raise DataFormatError(
            f"{file.name}: expected {HOURS_PER_YEAR} hourly GHI values >= 0 (one typical year), "
            f"got {len(ghi)} with {int(ghi.isna().sum())} missing")
    months = ghi.groupby(ghi.index.month).sum() / 1000.0
    temps: tuple[float, ...] | None = None
    if "temp_air" in data.columns:
        air = data["temp_air"][keep]
        air = air.where((air > -90) & (air < 70))  # EPW/TMY3 missing markers (99.9, -9900)
        by_month = air.groupby(air.index.month).mean()
        if len(by_month) == 12 and by_month.notna().all():
            temps = tuple(float(by_month.loc[m]) for m in range(1, 13))
    lat, lon = float(meta["latitude"]), float(meta["longitude"])
    label = "; ".join(p for p in (name, dataset) if p)
    source = (f"{file.name}" + (f" ({label})" if label else "")
              + f", {abs(lat):.2f}°{'N' if lat >= 0 else 'S'} "
                f"{abs(lon):.2f}°{'E' if lon >= 0 else 'W'}, typical year")
    return WeatherMonthly(tuple(float(months.loc[m]) for m in range(1, 13)), source, lon, lat,
                          temps)

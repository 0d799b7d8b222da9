"""Published year-to-year range of annual GHI at a station, from the CDSRD daily data set.

中文：由中国太阳辐射日数据集（CDSRD）计算某站逐年水平面总辐照量的范围（最小年、最大年）。

The range against which ``tests/layers/test_bundled_climatology.py`` checks the bundled CSWD
typical years (and the PV yields they give) comes from the China Solar Radiation Daily Dataset
(CDSRD, 中国太阳辐射日数据集, 西安建筑科技大学 buildingdata; GitHub ``buildingdata/cdsrd-dataset``,
commit e495788401a0c4b8ec51d307a214e6c84d129888, ``dataset/daily/<station>.csv``: one row per
day 1970–2017, GHI in MJ/m² per day). Its data are not bundled with tanmap; this script reads
a station file you obtained and prints:

* the annual totals (kWh/m² = MJ/m² ÷ 3.6) of every complete year (no day missing or empty),
* the lowest and highest of them, with their years,
* the twelve monthly totals (kWh/m²) of those two years.

Usage::

    .venv/bin/python scripts/irradiation_ranges.py 54527.csv 58362.csv 57662.csv
"""

from __future__ import annotations

import argparse
import calendar
import sys
from pathlib import Path

import pandas as pd

__all__ = ["MJ_PER_KWH", "annual_range", "main"]

#: 1 kWh = 3.6 MJ.
MJ_PER_KWH = 3.6


def annual_range(path: Path) -> dict[str, object]:
    """Return the station, complete-year annual totals and the lowest / highest year's months."""
    daily = pd.read_csv(path)
    daily.columns = ["station", "lat", "lon", "alt", "year", "month", "day", "ghi_mj", "dhi_mj"]
    counts = daily.groupby("year")["ghi_mj"].agg(["count", "size"])
    complete = [int(y) for y, row in counts.iterrows()
                if row["count"] == row["size"] == (366 if calendar.isleap(int(y)) else 365)]
    kept = daily[daily["year"].isin(complete)]
    annual = kept.groupby("year")["ghi_mj"].sum() / MJ_PER_KWH
    low, high = int(annual.idxmin()), int(annual.idxmax())

    def months(year: int) -> list[float]:
        per = kept[kept["year"] == year].groupby("month")["ghi_mj"].sum() / MJ_PER_KWH
        return [round(float(per.loc[m]), 2) for m in range(1, 13)]

    return {"station": int(daily["station"].iloc[0]), "years": len(complete),
            "first": min(complete), "last": max(complete),
            "mean_kwh_m2": round(float(annual.mean()), 1),
            "low": (low, round(float(annual.loc[low]), 1), months(low)),
            "high": (high, round(float(annual.loc[high]), 1), months(high))}


def main(argv: list[str] | None = None) -> int:
    """Print the range of each station file given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.files:
        r = annual_range(path)
        print(f"{r['station']}: {r['years']} complete years {r['first']}–{r['last']}, "
              f"mean {r['mean_kwh_m2']} kWh/m²")
        for which in ("low", "high"):
            year, total, months = r[which]  # type: ignore[misc]
            print(f"  {which}: {year} {total} kWh/m²; months {months}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

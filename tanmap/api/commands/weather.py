"""``tanmap weather``: monthly irradiation of a typical-year file and the PV yield it gives."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from tanmap.api.commands import EXIT_OK, echo, format_table, store_from_args

__all__ = ["register"]

#: A station farther than this from the district centroid gets a warning (km).
FAR_STATION_KM = 100.0


def register(subparsers: Any) -> None:
    """Add the ``weather`` command.

    中文：注册 ``weather``（典型气象年辐照与光伏发电量）命令。
    """
    parser = subparsers.add_parser(
        "weather", help="monthly irradiation of a typical-year file (典型气象年辐照)",
        description="Read an EnergyPlus .epw (e.g. CSWD 中国标准气象数据) or TMY3 .csv offline, "
                    "print its monthly horizontal irradiation, the PV yield it gives (kWh/kWp) "
                    "next to the clear-sky upper bound, and the pv_potential parameters that "
                    "use it.")
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument("--district", default=None, metavar="CODE",
                        help="district to check the station's distance against")
    parser.set_defaults(func=run_weather)


def run_weather(args: argparse.Namespace) -> int:
    """Print the months, the yields and the parameter line."""
    import pyproj

    from tanmap.geo.pv import (
        clear_sky_specific_yield_kwh_per_kwp,
        monthly_irradiation_specific_yield_kwh_per_kwp,
    )
    from tanmap.layers.weather import read_monthly_ghi

    w = read_monthly_ghi(args.file)
    echo(args, w.source)
    months = [(m, f"{v:,.1f}") for m, v in enumerate(w.monthly_ghi_kwh_m2, start=1)]
    total = ("year", f"{w.annual_kwh_m2:,.0f}")
    echo(args, format_table(("month", "GHI kWh/m²"), [*months, total]))
    measured = monthly_irradiation_specific_yield_kwh_per_kwp(w.lon, w.lat, w.monthly_ghi_kwh_m2)
    clear = clear_sky_specific_yield_kwh_per_kwp(w.lon, w.lat)
    echo(args, f"PV yield at the station (latitude tilt, south, PVWatts 14 % losses): "
               f"{measured:,.0f} kWh/kWp; clear-sky upper bound {clear:,.0f} kWh/kWp")
    if args.district:
        row = store_from_args(args).district(args.district)
        centre = row.geometry.centroid
        km = pyproj.Geod(ellps="WGS84").inv(w.lon, w.lat, centre.x, centre.y)[2] / 1000.0
        note = " — far: use a station nearer the district" if km > FAR_STATION_KM else ""
        echo(args, f"station to district {args.district} centre: {km:,.0f} km{note}")
    months_param = ",".join(f"{v:.2f}" for v in w.monthly_ghi_kwh_m2)
    echo(args, "use with: tanmap metric pv_potential --district CODE "
               f"--param monthly_ghi_kwh_m2={months_param} "
               f"--param {shlex.quote('irradiation_source=' + w.source)}")
    return EXIT_OK

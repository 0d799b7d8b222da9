"""``tanmap weather``: monthly irradiation of a typical-year file and the PV yield it gives."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from tanmap.api.commands import EXIT_OK, EXIT_USAGE, echo, fail, format_table, store_from_args

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
    save = parser.add_argument_group(
        "climatology", "write the file's months as a site of an irradiation climatology "
        "(YAML) that pv_potential reads offline (--param climatology_file=FILE; 辐照气候数据)")
    save.add_argument("--save-climatology", type=Path, default=None, metavar="YAML",
                      help="climatology file to add the site to (created if missing; a site "
                           "of the same --key is replaced)")
    save.add_argument("--key", default=None, help="site key, e.g. tianjin")
    save.add_argument("--name", default=None, help="city name (中文), e.g. 天津")
    save.add_argument("--name-en", default="", help="city name in English")
    save.add_argument("--adcode-prefix", action="append", default=[], metavar="CODE",
                      help="districts the site stands for (repeatable), e.g. 1201")
    save.add_argument("--source", default=None,
                      help="data set and publisher, cited on every result")
    save.add_argument("--period", default=None, help="years the typical year describes")
    save.add_argument("--verify", action="store_true",
                      help="mark the figures as still to be checked ([verify])")
    parser.set_defaults(func=run_weather)


def run_weather(args: argparse.Namespace) -> int:
    """Print the months, the yields and the parameter line."""
    import pyproj

    from tanmap.geo.pv import (
        clear_sky_specific_yield_kwh_per_kwp,
        monthly_irradiation_specific_yield_kwh_per_kwp,
    )
    from tanmap.layers.raster.weather import read_monthly_ghi

    if args.save_climatology is not None:
        needed = [f"--{n.replace('_', '-')}" for n in ("key", "name", "source", "period")
                  if not getattr(args, n)] + ([] if args.adcode_prefix else ["--adcode-prefix"])
        if needed:
            return fail(f"--save-climatology needs {', '.join(needed)} (the site is cited by "
                        "its source and period on every result)", EXIT_USAGE)
    w = read_monthly_ghi(args.file)
    echo(args, w.source)
    temps = w.monthly_air_temperature_c or (None,) * 12
    months = [(m, f"{v:,.1f}", "" if t is None else f"{t:.1f}")
              for m, (v, t) in enumerate(zip(w.monthly_ghi_kwh_m2, temps, strict=True),
                                         start=1)]
    total = ("year", f"{w.annual_kwh_m2:,.0f}", "")
    echo(args, format_table(("month", "GHI kWh/m²", "air °C"), [*months, total]))
    measured = monthly_irradiation_specific_yield_kwh_per_kwp(
        w.lon, w.lat, w.monthly_ghi_kwh_m2, monthly_air_temperature_c=w.monthly_air_temperature_c)
    clear = clear_sky_specific_yield_kwh_per_kwp(w.lon, w.lat)
    echo(args, f"PV yield at the station (latitude tilt, south, Hay–Davies, PVWatts 14 % "
               f"losses): {measured:,.0f} kWh/kWp; clear-sky upper bound {clear:,.0f} kWh/kWp")
    if args.district:
        row = store_from_args(args).district(args.district)
        centre = row.geometry.centroid
        km = pyproj.Geod(ellps="WGS84").inv(w.lon, w.lat, centre.x, centre.y)[2] / 1000.0
        note = " — far: use a station nearer the district" if km > FAR_STATION_KM else ""
        echo(args, f"station to district {args.district} centre: {km:,.0f} km{note}")
    if args.save_climatology is not None:
        from tanmap.layers.raster.climatology import site_from_weather, write_climatology

        site = site_from_weather(w, key=args.key, name=args.name, name_en=args.name_en,
                                 adcode_prefixes=args.adcode_prefix, source=args.source,
                                 period=args.period, verify=args.verify)
        write_climatology(args.save_climatology, [site])
        echo(args, f"site {site.key} ({site.name}, districts {', '.join(site.adcode_prefixes)}"
                   f"*) written to {args.save_climatology}; use it with "
                   f"--param climatology_file={shlex.quote(str(args.save_climatology))}")
        return EXIT_OK
    months_param = ",".join(f"{v:.2f}" for v in w.monthly_ghi_kwh_m2)
    echo(args, "use with: tanmap metric pv_potential --district CODE "
               f"--param monthly_ghi_kwh_m2={months_param} "
               f"--param {shlex.quote('irradiation_source=' + w.source)}")
    return EXIT_OK

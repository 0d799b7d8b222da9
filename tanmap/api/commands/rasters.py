"""``tanmap raster``: import, list, export, delete and summarise raster layers (栅格图层)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tanmap.api.commands import EXIT_OK, echo, format_table, store_from_args

__all__ = ["register"]

_KINDS = ("land_cover", "irradiation", "elevation")


def register(subparsers: Any) -> None:
    """Add the ``raster`` command group.

    中文：注册 ``raster``（栅格图层）命令组。
    """
    parser = subparsers.add_parser(
        "raster", help="raster layers: land cover, irradiation, elevation (栅格图层)",
        description="Rasters are kept beside the store as Cloud-Optimised GeoTIFFs, one version "
                    "per import or deletion.")
    sub = parser.add_subparsers(dest="raster_command", required=True, metavar="COMMAND")
    imp = sub.add_parser("import", help="store a GeoTIFF as the next version")
    imp.add_argument("kind", choices=_KINDS)
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--district", required=True, metavar="CODE")
    imp.add_argument("--source", default="", help="where the raster comes from")
    imp.set_defaults(func=_run_import)
    lst = sub.add_parser("list", help="current rasters")
    lst.add_argument("--district", default=None, metavar="CODE")
    lst.set_defaults(func=_run_list)
    exp = sub.add_parser("export", help="copy the current raster to a .tif")
    exp.add_argument("kind", choices=_KINDS)
    exp.add_argument("--district", required=True, metavar="CODE")
    exp.add_argument("--out", required=True, type=Path, metavar="PATH.tif")
    exp.set_defaults(func=_run_export)
    dele = sub.add_parser("delete", help="record that the district has no such raster now")
    dele.add_argument("kind", choices=_KINDS)
    dele.add_argument("--district", required=True, metavar="CODE")
    dele.set_defaults(func=_run_delete)
    zon = sub.add_parser("zonal", help="statistics per 街道 or per eco zone (exact fractions)")
    zon.add_argument("kind", choices=_KINDS)
    zon.add_argument("--district", required=True, metavar="CODE")
    zon.add_argument("--by", choices=("subdistrict", "eco_zone"), default="subdistrict")
    zon.add_argument("--json", action="store_true", help="print JSON records")
    zon.set_defaults(func=_run_zonal)
    eco = sub.add_parser("eco", help="森林覆盖率 and 蓝绿空间占比 from the land-cover raster")
    eco.add_argument("--district", required=True, metavar="CODE")
    eco.add_argument("--count-farmland", action="store_true",
                     help="count farmland (耕地) as 蓝绿空间")
    eco.add_argument("--json", action="store_true", help="print JSON")
    eco.set_defaults(func=_run_eco)


def _run_import(args: argparse.Namespace) -> int:
    from tanmap.layers.raster.rasters import import_raster

    v = import_raster(store_from_args(args), args.kind, args.district, args.file,
                      source=args.source)
    echo(args, f"{v.kind} v{v.version} -> {args.district}: {v.width} x {v.height} cells, "
               f"{v.crs}, {v.dtype} (COG, sha256 {v.checksum[:12]})")
    return EXIT_OK


def _run_list(args: argparse.Namespace) -> int:
    from tanmap.layers.raster.rasters import raster_versions

    rows = [(v.district, v.kind, f"v{v.version}", f"{v.width}x{v.height}", v.crs, v.updated_at,
             v.source) for v in raster_versions(store_from_args(args), args.district)]
    echo(args, format_table(("district", "kind", "version", "cells", "crs", "updated",
                             "source"), rows) if rows else "no rasters")
    return EXIT_OK


def _run_export(args: argparse.Namespace) -> int:
    from tanmap.layers.raster.rasters import export_raster

    out = export_raster(store_from_args(args), args.kind, args.district, args.out)
    echo(args, f"wrote {out}")
    return EXIT_OK


def _run_delete(args: argparse.Namespace) -> int:
    from tanmap.layers.raster.rasters import delete_raster

    v = delete_raster(store_from_args(args), args.kind, args.district)
    echo(args, f"{v.kind} of {args.district} deleted (v{v.version}; older versions kept)")
    return EXIT_OK


def _run_zonal(args: argparse.Namespace) -> int:
    from tanmap.layers.raster.rasters import zonal_stats

    table = zonal_stats(store_from_args(args), args.kind, args.district, by=args.by)
    if args.json:
        echo(args, json.dumps(json.loads(table.to_json(orient="records")), ensure_ascii=False))
        return EXIT_OK
    rows = [tuple(f"{v:,.1f}" if isinstance(v, float) else str(v) for v in r)
            for r in table.itertuples(index=False)]
    echo(args, format_table(tuple(str(c) for c in table.columns), rows))
    return EXIT_OK


def _run_eco(args: argparse.Namespace) -> int:
    from tanmap.layers.raster.rasters import eco_shares

    table = eco_shares(store_from_args(args), args.district, count_farmland=args.count_farmland)
    if args.json:
        echo(args, table.to_json(orient="index", force_ascii=False))
        return EXIT_OK
    rows = [(str(name), f"{r.zone_area_m2:,.0f}",
             "-" if r.forest_share is None or r.forest_share != r.forest_share
             else f"{r.forest_share:.1%}",
             "-" if r.blue_green_share is None or r.blue_green_share != r.blue_green_share
             else f"{r.blue_green_share:.1%}")
            for name, r in table.iterrows()]
    echo(args, format_table(("zone", "area m²", "森林覆盖率 forest", "蓝绿空间 blue-green"), rows))
    return EXIT_OK

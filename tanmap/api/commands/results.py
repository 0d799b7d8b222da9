"""``tanmap result``: export a computed layer of a metric (gaps, service areas, failing units)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tanmap.api.commands import (
    EXIT_OK,
    EXIT_USAGE,
    echo,
    fail,
    format_table,
    store_from_args,
)
from tanmap.api.commands.layers import EXPORT_FORMATS
from tanmap.api.commands.metric import parse_params

if TYPE_CHECKING:
    import argparse

__all__ = ["register", "run_result"]


def register(subparsers: Any) -> None:
    """Add the ``result`` command.

    中文：注册计算结果图层导出命令。
    """
    p = subparsers.add_parser(
        "result", help="export a computed layer of a metric: gaps, service areas, failing "
                       "units (导出计算结果图层)",
        description="Run metric NAME for a district (like `tanmap metric`) and write one of its "
                    "result layers to --out as GeoJSON, GeoPackage or zipped Shapefile. Without "
                    "--layer, list the result layers of the run with their feature counts.",
    )
    p.add_argument("name", metavar="NAME", help="metric name, e.g. park_coverage")
    p.add_argument("--district", required=True, metavar="ADCODE", help="district code")
    p.add_argument("--layer", metavar="LAYER",
                   help="result layer, e.g. gaps, service_areas, units, failing_units")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="geojson", dest="fmt",
                   help="geojson (RFC 7946, EPSG:4326; default), gpkg, or shp (zip)")
    p.add_argument("--out", type=Path, metavar="PATH", help="output file")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="metric parameter (repeatable), e.g. --param radius_m=300")
    p.add_argument("--year", type=int, metavar="YEAR", help="audit year (评估年份)")
    p.add_argument("--planned-until", type=int, metavar="YEAR",
                   help="also count planned/under-construction projects due by YEAR")
    p.add_argument("--crs", metavar="EPSG", help="output CRS for gpkg/shp, e.g. EPSG:4548")
    p.add_argument("--encoding", choices=("utf-8", "gbk"), default="utf-8",
                   help="Shapefile text encoding (default utf-8)")
    p.set_defaults(func=run_result)


def run_result(args: argparse.Namespace) -> int:
    """Handle ``tanmap result``."""
    from tanmap.layers.results import RESULT_LAYER_LABELS, export_result_layer, result_layers
    from tanmap.layers.runner import run_metric

    try:
        params = parse_params(args.param)
    except ValueError as err:
        return fail(str(err), EXIT_USAGE)
    if args.layer and args.out is None:
        return fail("give --out PATH for the exported layer", EXIT_USAGE)
    if args.fmt == "geojson" and args.crs and args.crs.upper().replace("EPSG:", "") != "4326":
        return fail(f"GeoJSON is always EPSG:4326 lon/lat (RFC 7946), not {args.crs}; use "
                    "--format gpkg or shp for another CRS", EXIT_USAGE)
    store = store_from_args(args)
    outcome = run_metric(store, args.name, args.district, params, year=args.year,
                         include_planned_until=args.planned_until)
    if not args.layer:
        zh = args.lang == "zh"
        rows = [(name, (RESULT_LAYER_LABELS.get(name, ("", ""))[0 if zh else 1]), len(frame))
                for name, frame in result_layers(store, outcome).items()]
        header = ("图层 layer", "说明", "要素 features") if zh else ("layer", "what", "features")
        echo(args, format_table(header, rows) if rows else
             f"metric {args.name} has no result layers for {args.district}")
        return EXIT_OK
    opts: dict[str, Any] = {}
    if args.fmt != "geojson" and args.crs:
        opts["crs"] = args.crs
    if args.fmt == "shp":
        opts["encoding"] = args.encoding
    frame, _ = export_result_layer(store, outcome, args.layer, args.out, args.fmt, **opts)
    echo(args, f"exported {len(frame)} features of {args.name} / {args.layer} "
               f"({args.district}, year {outcome.year}) to {args.out}")
    return EXIT_OK

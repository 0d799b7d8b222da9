"""``tanmap import|validate|layers|export``: move plan layers (图层) between files and the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tanmap.api.commands import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    KIND_CHOICES,
    Progress,
    echo,
    fail,
    format_table,
    kind_label,
    store_from_args,
)
from tanmap.geo.errors import LayerValidationError

if TYPE_CHECKING:
    import argparse

__all__ = ["COORD_SYSTEMS", "EXPORT_FORMATS", "register"]

#: Source coordinate systems of point tables and files (``--coord-system``).
COORD_SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09", "cgcs2000")
#: Export formats (``--format``).
EXPORT_FORMATS: tuple[str, ...] = ("geojson", "gpkg", "shp")


def register(subparsers: Any) -> None:
    """Add the ``import``, ``validate``, ``layers`` and ``export`` commands.

    中文：注册图层导入、校验、清单、导出命令。
    """
    imp = subparsers.add_parser(
        "import", help="validate a file and store it as a layer of a district (导入图层)",
        description="Read FILE, validate it against KIND's schema and store it as the next "
                    "version of (KIND, district). Every problem is printed; nothing is written "
                    "if there is an error.",
    )
    _kind_file_args(imp)
    imp.add_argument("--district", required=True, metavar="ADCODE",
                     help="district code (行政区划代码), e.g. 120101")
    imp.add_argument("--mode", choices=("replace", "append"), default="replace",
                     help="replace the district's layer (default) or append to it")
    imp.add_argument("--repair", action="store_true",
                     help="repair invalid geometries with shapely.make_valid (几何修复)")
    imp.add_argument("--dry-run", action="store_true",
                     help="validate only and print every issue; write nothing")
    imp.set_defaults(func=run_import)

    val = subparsers.add_parser(
        "validate", help="check a file against a layer kind's schema (校验图层)",
        description="Print every problem of FILE against KIND's schema; exit 1 on errors.",
    )
    _kind_file_args(val)
    val.add_argument("--district", metavar="ADCODE",
                     help="also warn about features outside this district of the store")
    val.add_argument("--repair", action="store_true", help="repair invalid geometries first")
    val.set_defaults(func=run_validate)

    lay = subparsers.add_parser("layers", help="list stored layers and versions (图层清单)")
    lay.add_argument("--district", metavar="ADCODE", help="only this district")
    lay.set_defaults(func=run_layers)

    exp = subparsers.add_parser(
        "export", help="write a stored layer to GeoJSON, GeoPackage or zipped Shapefile (导出)",
    )
    exp.add_argument("kind", choices=KIND_CHOICES, metavar="KIND", help="layer kind")
    exp.add_argument("--district", required=True, metavar="ADCODE", help="district code")
    exp.add_argument("--format", choices=EXPORT_FORMATS, dest="fmt",
                     help="geojson (RFC 7946, EPSG:4326), gpkg, or shp (zip) "
                          "[default: from the --out extension]")
    exp.add_argument("--out", required=True, type=Path, metavar="PATH",
                     help="output file: .geojson/.json, .gpkg or .zip (must fit --format)")
    exp.add_argument("--crs", metavar="EPSG",
                     help="output CRS for gpkg/shp, e.g. EPSG:4548 or 4490 (default EPSG:4326)")
    exp.add_argument("--encoding", choices=("utf-8", "gbk"), default="utf-8",
                     help="Shapefile text encoding (default utf-8; gbk for older GIS)")
    exp.set_defaults(func=run_export)


def _kind_file_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KIND_CHOICES, metavar="KIND",
                        help=f"layer kind, one of: {', '.join(KIND_CHOICES)}")
    parser.add_argument("file", type=Path, metavar="FILE",
                        help="GeoJSON, GeoPackage, Shapefile (.shp/.zip), CSV or XLSX")
    parser.add_argument("--source-crs", metavar="CRS",
                        help="CRS of a file without one, e.g. EPSG:4548 (never guessed)")
    parser.add_argument("--coord-system", choices=COORD_SYSTEMS,
                        help="source coordinate system of lon/lat data (GCJ-02 for Amap...)")
    parser.add_argument("--encoding", help="text encoding of a Shapefile DBF or CSV, e.g. gbk")
    parser.add_argument("--layer", help="layer name inside a GeoPackage")
    parser.add_argument("--lon-col", help="longitude column of a CSV/XLSX table")
    parser.add_argument("--lat-col", help="latitude column of a CSV/XLSX table")


def _read_opts(args: argparse.Namespace) -> dict[str, Any]:
    opts = {
        "layer": args.layer, "encoding": args.encoding, "source_crs": args.source_crs,
        "coord_system": args.coord_system, "lon_col": args.lon_col, "lat_col": args.lat_col,
    }
    return {k: v for k, v in opts.items() if v is not None}


def _load(args: argparse.Namespace, district_geometry: Any) -> Any:
    from tanmap.layers.io import load

    if not args.file.exists():
        raise FileNotFoundError(2, "no such file", str(args.file))
    return load(args.kind, args.file, target_crs="EPSG:4326", repair=args.repair,
                district=district_geometry, **_read_opts(args))


def _report(args: argparse.Namespace, result: Any) -> None:
    for note in getattr(result, "repairs", ()) or ():
        echo(args, f"repaired: {note}")
    for issue in getattr(result, "warnings", ()) or ():
        echo(args, str(issue))


def _print_issues(exc: LayerValidationError) -> int:
    return fail(f"{exc}\nnothing was written", EXIT_ERROR)


def run_import(args: argparse.Namespace) -> int:
    """Validate FILE and store it (or only validate with ``--dry-run``)."""
    if args.kind == "district" and not args.quiet:  # what a new user reaches for first
        print("tanmap: note: to add district boundaries to the store, use `tanmap boundaries add "
              "FILE --code-field COL --name-field COL` (one district per feature); `import "
              "district` stores a layer of an existing district", file=sys.stderr)
    store = store_from_args(args)
    progress = Progress(2 if args.dry_run else 3, quiet=args.quiet, title="import")
    district = store.district(args.district)
    progress.step(f"district {args.district} {district['name']}")
    try:
        result = _load(args, district["geometry"])
    except LayerValidationError as exc:
        progress.finish()
        return _print_issues(exc)
    progress.step(f"read and validated {len(result.gdf)} features from {args.file.name}")
    _report(args, result)
    if args.dry_run:
        echo(args, f"dry run: {len(result.gdf)} features of {kind_label(args.kind, args.lang)} "
                   f"are valid; nothing was written")
        return EXIT_OK
    version = store.write(args.kind, result.gdf, district=args.district, mode=args.mode,
                          source=args.file.name)
    progress.step(f"stored version {version.version}")
    echo(args, f"imported {len(result.gdf)} features into {kind_label(args.kind, args.lang)} "
               f"of {args.district}: version {version.version}, {version.n_features} features "
               f"({args.mode})")
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    """Print every issue of FILE against KIND; exit 1 on errors."""
    district_geometry = None
    if args.district:
        district_geometry = store_from_args(args).district(args.district)["geometry"]
    try:
        result = _load(args, district_geometry)
    except LayerValidationError as exc:
        return fail(str(exc), EXIT_ERROR)
    _report(args, result)
    n_warn = len(getattr(result, "warnings", ()) or ())
    echo(args, f"OK: {len(result.gdf)} features of {kind_label(args.kind, args.lang)} "
               f"are valid ({n_warn} warning(s))")
    return EXIT_OK


def run_layers(args: argparse.Namespace) -> int:
    """Print the table of stored layers: kind, district, version, features, updated_at."""
    versions = store_from_args(args).layers(args.district)
    if not versions:
        echo(args, "no layers in the store yet; run `tanmap init` and `tanmap import`")
        return EXIT_OK
    zh = args.lang == "zh"
    header = (
        ("图层 kind", "区县 district", "版本 version", "要素 features", "更新 updated_at (UTC)")
        if zh else ("kind", "district", "version", "features", "updated_at (UTC)")
    )
    rows = [(kind_label(v.kind, args.lang), v.district, v.version, v.n_features, v.updated_at)
            for v in versions]
    echo(args, format_table(header, rows))
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    """Write the stored layer of (KIND, district) to ``--out`` in ``--format``."""
    from tanmap.layers.io import export_target, write_layer

    args.out, args.fmt = export_target(args.out, args.fmt)  # before reading: fail fast
    store = store_from_args(args)
    gdf = store.read(args.kind, district=args.district)
    if gdf.empty and not args.quiet:
        print(f"tanmap: warning: {args.kind} of district {args.district} has no features; "
              "the file will be empty (import data with `tanmap import`)", file=sys.stderr)
    opts: dict[str, Any] = {}
    if args.fmt == "geojson":
        if args.crs and args.crs.upper().replace("EPSG:", "") != "4326":
            return fail(f"GeoJSON is always EPSG:4326 lon/lat (RFC 7946), not {args.crs}; "
                        "use --format gpkg or shp for another CRS", EXIT_USAGE)
        if args.encoding != "utf-8":
            return fail("--encoding applies to --format shp only (GeoJSON is UTF-8)", EXIT_USAGE)
    elif args.fmt == "gpkg":
        opts["layer"] = args.kind
        if args.crs:
            opts["crs"] = args.crs
    else:
        opts["encoding"] = args.encoding
        if args.crs:
            opts["crs"] = args.crs
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = write_layer(gdf, args.out, args.fmt, **opts)
    mapping = getattr(report, "field_names", None)
    if mapping:
        renamed = [(a, b) for a, b in dict(mapping).items() if a != b]
        if renamed:
            echo(args, "Shapefile field names cut to 10 bytes (字段名截断):")
            echo(args, format_table(("field", "dbf"), renamed))
    echo(args, f"exported {len(gdf)} features of {kind_label(args.kind, args.lang)} "
               f"({args.district}) to {args.out}")
    return EXIT_OK

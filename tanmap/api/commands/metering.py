"""``tanmap import-metering``: join a bureau's metering file onto a district's buildings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tanmap.api.commands import EXIT_OK, echo, store_from_args

__all__ = ["register"]


def _unit(text: str) -> tuple[str, str]:
    carrier, sep, unit = text.partition("=")
    if not sep or carrier.strip() not in ("electricity", "gas", "heat") or not unit.strip():
        raise argparse.ArgumentTypeError(
            f"--unit wants CARRIER=UNIT with CARRIER electricity, gas or heat "
            f"(e.g. electricity=万kWh), got {text!r}")
    return carrier.strip(), unit.strip()


def register(subparsers: Any) -> None:
    """Add the ``import-metering`` command.

    中文：注册 ``import-metering``（导入建筑能耗计量数据）命令。
    """
    parser = subparsers.add_parser(
        "import-metering", help="join a metering file onto buildings (导入建筑能耗计量数据)",
        description="Read a metering file (CSV in UTF-8 or GBK, or XLSX) with a building id or "
                    "address column and electricity / gas / heat columns (unit in the header, "
                    "e.g. 用电量（万kWh）), convert to kWh, m³ and GJ, and store the district's "
                    "buildings with these energy attributes as a new version (revertible). "
                    "The building_emissions and emission_map_coverage metrics use them.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="metering file (.csv, .xlsx)")
    parser.add_argument("--district", required=True, metavar="CODE",
                        help="district code in the store (行政区划代码), e.g. 310101")
    parser.add_argument("--by", choices=("id", "address"), default="id",
                        help="join on the building id (default) or the address")
    parser.add_argument("--year", type=int, default=None, metavar="YYYY",
                        help="use the rows of this year (default: the latest in the file)")
    parser.add_argument("--unit", type=_unit, action="append", default=[],
                        metavar="CARRIER=UNIT",
                        help="unit of a column whose header gives none, e.g. gas=万立方米 "
                             "(repeatable)")
    parser.add_argument("--encoding", default=None, help="CSV text encoding (default: detected)")
    parser.add_argument("--layer", default=None, metavar="SHEET", help="XLSX sheet name")
    parser.add_argument("--dry-run", action="store_true", help="join and report; write nothing")
    parser.set_defaults(func=run_import_metering)


def run_import_metering(args: argparse.Namespace) -> int:
    """Import the file and print what was joined."""
    from tanmap.layers.metering import import_metering

    store = store_from_args(args)
    joined, version = import_metering(
        store, args.file, args.district, by=args.by, year=args.year, units=dict(args.unit),
        encoding=args.encoding, sheet=args.layer, dry_run=args.dry_run)
    zh = args.lang == "zh"
    echo(args, (f"匹配 {joined.matched}/{joined.n_buildings} 栋建筑" if zh
                else f"matched {joined.matched} of {joined.n_buildings} buildings"))
    if joined.unmatched_keys:
        shown = ", ".join(joined.unmatched_keys[:10])
        more = f" (+{len(joined.unmatched_keys) - 10})" if len(joined.unmatched_keys) > 10 else ""
        echo(args, (f"未匹配的{args.by}: " if zh else f"{args.by} not found: ") + shown + more)
    if joined.ambiguous_keys:
        head = "地址对应多栋建筑，未关联: " if zh else "shared by several buildings, not joined: "
        echo(args, head + ", ".join(joined.ambiguous_keys[:10]))
    for note in joined.notes:
        echo(args, f"note: {note}")
    echo(args, "dry run, nothing written" if version is None
         else f"building v{version.version} written ({version.source})")
    return EXIT_OK

"""``tanmap import-osm``: import an OpenStreetMap extract (OSM PBF) into a district's layers."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from tanmap.api.commands import EXIT_OK, echo, format_table, kind_label, store_from_args

__all__ = ["register"]


def _kinds(text: str) -> list[str]:
    from tanmap.layers.ingest.osm import OSM_KINDS

    allowed = {k.value for k in OSM_KINDS}
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    bad = [k for k in kinds if k not in allowed]
    if bad or not kinds:
        raise argparse.ArgumentTypeError(
            f"unknown kind(s) {', '.join(bad) or '(none)'}; "
            f"choose from {', '.join(sorted(allowed))}"
        )
    return kinds


def register(subparsers: Any) -> None:
    """Add the ``import-osm`` command.

    中文：注册 ``import-osm``（导入 OSM 数据）命令。
    """
    parser = subparsers.add_parser(
        "import-osm", help="import an OpenStreetMap extract into a district (导入OSM数据)",
        description="Read an OSM extract (.osm.pbf) offline, map its tags to tanmap layers "
                    "(buildings, parks, residential land, park entrances, walking network, "
                    "charging stations, bus stops, recycling points, living-circle facilities), "
                    "clip them to the district plus the metric margin and store them all in "
                    "one atomic step. Data © OpenStreetMap contributors, ODbL 1.0.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="OSM extract, e.g. city.osm.pbf")
    parser.add_argument("--district", required=True, metavar="CODE",
                        help="district code in the store (行政区划代码), e.g. 120101")
    parser.add_argument("--kinds", type=_kinds, default=None, metavar="K1,K2",
                        help="only these kinds (comma-separated; default: all)")
    parser.add_argument("--margin-m", type=float, default=None, metavar="M",
                        help="keep facilities, parks and paths this far beyond the district "
                             "(m; default: the largest metric margin)")
    parser.add_argument("--tag-table", type=Path, default=None, metavar="YAML",
                        help="replace sections of the OSM tag -> class table (see README)")
    parser.add_argument("--dry-run", action="store_true",
                        help="read and count only; write nothing")
    parser.set_defaults(func=run_import_osm)


def run_import_osm(args: argparse.Namespace) -> int:
    """Import the file and print one line per kind."""
    from tanmap.layers.ingest.osm import OSM_KINDS, import_osm, load_tag_table

    store = store_from_args(args)
    table = load_tag_table(args.tag_table) if args.tag_table else None
    start = time.perf_counter()
    result, versions = import_osm(
        store, args.file, args.district, kinds=args.kinds or OSM_KINDS,
        margin_m=args.margin_m, table=table, dry_run=args.dry_run,
    )
    elapsed_s = time.perf_counter() - start
    written = {v.kind: v.version for v in versions}
    zh = args.lang == "zh"
    header = (("图层 kind", "要素 features", "范围外 outside", "版本 version") if zh
              else ("kind", "features", "outside", "version"))
    rows = []
    for kind, n in result.counts.items():
        empty = "未写入（空）" if zh else "not written (empty)"
        version = f"v{written[kind]}" if kind in written else ("-" if args.dry_run else empty)
        rows.append((kind_label(kind, args.lang), n, result.dropped_outside.get(kind, 0), version))
    echo(args, format_table(header, rows))
    skipped = {k: n for k, n in result.skipped_invalid.items() if n}
    if skipped:
        listing = ", ".join(f"{k.value} {n}" for k, n in skipped.items())
        echo(args, f"skipped (degenerate geometry: zero area or length): {listing}")
    merged = {k: n for k, n in result.merged_duplicates.items() if n}
    if merged:
        listing = ", ".join(f"{k.value} {n}" for k, n in merged.items())
        echo(args, f"mapped twice (node inside its own area), counted once: {listing}")
    action = ("dry run, nothing written" if args.dry_run
              else f"{len(versions)} layers written in one step")
    echo(args, f"{args.file.name} -> {args.district}: {action} ({elapsed_s:.1f} s). "
               f"Source: {result.source}")
    return EXIT_OK

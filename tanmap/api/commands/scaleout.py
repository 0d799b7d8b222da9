"""``--districts`` on ``tanmap audit`` and ``tanmap metric``: many districts on a Dask cluster."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tanmap.api.commands import EXIT_OK, EXIT_USAGE, echo, fail, format_table
from tanmap.geo.audit import Status
from tanmap.layers.scaleout import (
    DEFAULT_TILE_M,
    audit_many,
    cluster_client,
    metric_many,
    open_source,
    resolve_districts,
)

if TYPE_CHECKING:
    import argparse

__all__ = ["add_cluster_arguments", "run_audit_many", "run_metric_many"]


def add_cluster_arguments(p: argparse.ArgumentParser, *, tiles: bool = False) -> None:
    """Add ``--districts``, ``--scheduler``, ``--workers`` (and the tile options).

    中文：添加多区县集群计算参数。
    """
    p.add_argument("--districts", metavar="ALL|FILE|LIST",
                   help="run for many districts on a Dask cluster: ALL, a file with one adcode "
                        "per line, or codes like 120101,120104 (多区县并行); --store may then "
                        "also be a folder of GeoParquet partitions")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="Dask scheduler to use with --districts [default: a local cluster]")
    p.add_argument("--workers", type=int, default=2, metavar="N",
                   help="worker processes of the local cluster [default: 2]")
    if tiles:
        p.add_argument("--tile-above", type=int, metavar="N",
                       help="park_coverage: districts with more than N buildings run in "
                            "spatial tiles with a halo of the service radius (分块)")
        p.add_argument("--tile-m", type=float, default=DEFAULT_TILE_M, metavar="M",
                       help=f"tile side in metres [default: {DEFAULT_TILE_M:g}]")


def _location(store: str) -> str:
    # Workers open the data themselves: give them an absolute path (URLs stay as they are).
    return store if "://" in store else str(Path(store).resolve())


def _prepare(args: argparse.Namespace) -> tuple[str, list[str]] | str:
    if args.workers < 1:
        return "--workers must be at least 1"
    location = _location(str(args.store))
    try:
        return location, resolve_districts(open_source(location), args.districts)
    except ValueError as err:
        return str(err)


def run_metric_many(args: argparse.Namespace, params: dict[str, Any]) -> int:
    """Handle ``tanmap metric NAME --districts ...``: one row (or JSON object) per district.

    中文：多区县指标计算。
    """
    ready = _prepare(args)
    if isinstance(ready, str):
        return fail(ready, EXIT_USAGE)
    location, districts = ready
    started = time.perf_counter()
    with cluster_client(args.scheduler, workers=args.workers) as client:
        outcomes = metric_many(
            client, location, args.name, districts, params, year=args.year,
            include_planned_until=args.planned_until, planning_epsg=args.epsg,
            tile_above=args.tile_above, tile_m=args.tile_m)
    seconds = time.perf_counter() - started
    if args.json:
        echo(args, json.dumps([o.to_dict() for o in outcomes], ensure_ascii=False, indent=2))
        return EXIT_OK
    en = args.lang == "en"
    rows = [(o.district, "" if o.result.value is None else f"{o.result.value:.6g}",
             o.result.unit, ", ".join(o.result.missing)) for o in outcomes]
    header = (("district", "value", "unit", "missing") if en
              else ("区县", "数值", "单位", "缺少数据"))
    echo(args, format_table(header, rows, align="lrll"))
    echo(args, (f"{len(outcomes)} districts in {seconds:.1f} s" if en
                else f"共 {len(outcomes)} 个区县，用时 {seconds:.1f} 秒"))
    return EXIT_OK


def run_audit_many(args: argparse.Namespace, formats: list[str]) -> int:
    """Handle ``tanmap audit --districts ...``: a card per district in ``--out``.

    中文：多区县目标评估。
    """
    from tanmap.layers.card.report import write_card

    ready = _prepare(args)
    if isinstance(ready, str):
        return fail(ready, EXIT_USAGE)
    location, districts = ready
    with cluster_client(args.scheduler, workers=args.workers) as client:
        cards = audit_many(client, location, districts, year=args.year,
                           catalog_dir=args.catalog_dir, overrides=args.overrides,
                           rule_file=args.rule_file)
    source = open_source(location)
    for card in cards:
        paths = write_card(card, args.out, formats, lang=args.lang, store=source)
        counts = ", ".join(f"{Status(k).label(args.lang)} {n}" for k, n in card.counts.items())
        name = card.district_en if args.lang == "en" else card.district_zh
        echo(args, f"{name} ({card.adcode}) {card.year}: {counts}")
        for path in paths:
            echo(args, f"  {path}")
    return EXIT_OK

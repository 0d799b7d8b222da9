"""``tanmap init`` and ``tanmap indicator``: create the store (项目库), enter indicator values."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tanmap.api.commands import EXIT_OK, Progress, echo, format_table, store_from_args
from tanmap.layers.store.postgis import redact_url

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``init`` command.

    中文：注册 ``init`` 命令（新建项目库）。
    """
    parser = subparsers.add_parser(
        "init", help="create the store and load the bundled district boundaries (新建项目库)",
        description="Create the project store (项目库) if missing and load the bundled real "
                    "district boundaries (区县边界) into it.",
    )
    parser.add_argument(
        "--with-boundaries", action=argparse.BooleanOptionalAction, default=True,
        help="load the bundled boundaries (default: yes; --no-with-boundaries skips them)",
    )
    parser.set_defaults(func=run_init)

    ind = subparsers.add_parser(
        "indicator", help="enter or list tracked indicator values (指标填报)",
        description="Tracked indicators are plan figures without geometry (LED share, heat loss, "
                    "...) that the audit reads from the store.",
    )
    sub = ind.add_subparsers(dest="indicator_command", metavar="ACTION")
    sub.required = True
    put = sub.add_parser("set", help="enter the value of KEY for YEAR (replaces an earlier one)")
    put.add_argument("district", metavar="ADCODE", help="district code, e.g. 120101")
    put.add_argument("key", metavar="KEY", help="indicator key used by the catalog, e.g. led_share")
    put.add_argument("year", type=int, metavar="YEAR", help="year the value is for, e.g. 2025")
    put.add_argument("value", type=float, metavar="VALUE", help="the value, e.g. 0.82 or 95")
    put.add_argument("--unit", required=True,
                     help="unit of the value, converted to the target's unit: share, %%, ‰, "
                          "m2, 万平方米, 亩, 公顷, km, kW, MW, 万千瓦, tCO2, 吨标煤 ...")
    put.add_argument("--source", default="", help="where the value comes from (来源)")
    put.add_argument("--catalog-dir", type=Path, metavar="DIR",
                     help="folder of <ADCODE>.yaml catalogs whose indicator keys are accepted "
                          "[default: the bundled catalogs]")
    put.add_argument("--author", metavar="NAME",
                     help="who enters the value, kept in the indicator log (default: system user)")
    put.set_defaults(func=run_indicator_set)
    lst = sub.add_parser("list", help="list the indicator values of a district")
    lst.add_argument("district", metavar="ADCODE", help="district code")
    lst.set_defaults(func=run_indicator_list)
    keys = sub.add_parser("keys", help="list the indicator keys a district's catalog tracks, "
                                       "with their units (可填报指标)")
    keys.add_argument("district", metavar="ADCODE", help="district code")
    keys.add_argument("--catalog-dir", type=Path, metavar="DIR",
                      help="folder of <ADCODE>.yaml catalogs [default: the bundled catalogs]")
    keys.set_defaults(func=run_indicator_keys)


def run_init(args: argparse.Namespace) -> int:
    """Create the store; load the bundled districts it lacks unless ``--no-with-boundaries``.

    Districts already in the store are left as they are, so running ``init`` twice changes
    nothing (use ``tanmap boundaries import|add`` to replace one).
    """
    store = store_from_args(args, create=True)
    loaded = skipped = 0
    if args.with_boundaries:
        from tanmap.layers.boundaries import bundled_districts

        bundled = bundled_districts()
        present = set(store.districts()["adcode"])
        progress = Progress(len(bundled), quiet=args.quiet, title="init")
        for i in range(len(bundled)):
            row = bundled.iloc[[i]]
            adcode, name = row["adcode"].iloc[0], row["name"].iloc[0]
            if adcode in present:
                skipped += 1
                progress.step(f"{adcode} {name} (already in store)")
                continue
            store.put_district(row)
            loaded += 1
            progress.step(f"{adcode} {name}")
        progress.finish()
    echo(args, f"store {redact_url(str(args.store))}: {loaded} district boundaries loaded, "
               f"{skipped} already "
               f"there ({len(store.districts())} in store)")
    return EXIT_OK


def run_indicator_set(args: argparse.Namespace) -> int:
    """Store one indicator value, converted to the unit of its targets."""
    from tanmap.layers.indicators import enter_indicator

    entry = enter_indicator(store_from_args(args), args.district, args.key, args.year,
                            args.value, args.unit, args.source, catalog_dir=args.catalog_dir,
                            author=args.author)
    entered = (f" ({'entered' if args.lang == 'en' else '填报值'} {entry.entered_value:g} "
               f"{entry.entered_unit})" if entry.converted else "")
    echo(args, f"indicator {entry.key} of {args.district} for {args.year}: {entry.value:g} "
               f"{entry.unit} stored{entered}")
    return EXIT_OK


def run_indicator_keys(args: argparse.Namespace) -> int:
    """Print the indicator keys of a district's catalog with their units and targets."""
    from tanmap.layers.indicators import known_indicators

    known = known_indicators(args.district, directory=args.catalog_dir)
    header = (("指标 key", "单位 unit", "目标 targets", "名称 title") if args.lang == "zh"
              else ("key", "unit", "targets", "title"))
    rows = [(i.key, i.unit, ",".join(i.target_ids),
             i.title_en if args.lang == "en" else i.title_zh)
            for i in sorted(known.values(), key=lambda i: i.key)]
    echo(args, format_table(header, rows))
    return EXIT_OK


def run_indicator_list(args: argparse.Namespace) -> int:
    """Print the indicator values of a district."""
    table = store_from_args(args).indicators(args.district)
    if table.empty:
        echo(args, f"no indicator values for {args.district} yet; enter one with "
                   "`tanmap indicator set ADCODE KEY YEAR VALUE --unit U`")
        return EXIT_OK
    header = (("指标 key", "年份 year", "数值 value", "单位 unit", "来源 source", "填报 entered_at")
              if args.lang == "zh" else ("key", "year", "value", "unit", "source", "entered_at"))
    rows = [(r.key, r.year, f"{r.value:g}", r.unit, r.source, r.entered_at)
            for r in table.itertuples(index=False)]
    echo(args, format_table(header, rows))
    return EXIT_OK

"""``tanmap audit``: evaluate a district's plan targets and write the report card (评估报告卡)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tanmap.api.commands import EXIT_OK, EXIT_USAGE, Progress, echo, fail, store_from_args
from tanmap.api.commands.scaleout import add_cluster_arguments, run_audit_many
from tanmap.geo.audit import Status
from tanmap.layers.audit import (
    DEFAULT_SCENARIO_YEARS,
    audit_district,
    scenario_cards,
    with_scenarios,
)
from tanmap.layers.card.report import DEFAULT_FORMATS, FORMATS, write_card
from tanmap.layers.catalog import load_catalog
from tanmap.layers.ingest.rule_files import apply_rule_to_catalog, read_rule_file

if TYPE_CHECKING:
    import argparse

__all__ = ["parse_formats", "parse_years", "register", "run_audit"]


def register(subparsers: Any) -> None:
    """Add the ``audit`` command.

    中文：注册目标评估命令。
    """
    p = subparsers.add_parser(
        "audit", help="audit a district's plan targets and write the report card (目标评估)",
        description="Evaluate every target of the district's plan-target catalog on the "
                    "store's layers and write the report card as Markdown, HTML, XLSX and "
                    "JSON, and on request a printable PDF with a map per spatial target "
                    "(Chinese by default; --lang en for English).",
    )
    p.add_argument("adcode", metavar="ADCODE", nargs="?",
                   help="district code, e.g. 120101 (or --districts for many)")
    p.add_argument("--year", type=int, metavar="YEAR",
                   help="audit year (评估年份) [default: this year]")
    p.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                   help="output folder [default: current folder]")
    p.add_argument("--format", default=",".join(DEFAULT_FORMATS), dest="formats",
                   metavar="LIST",
                   help=f"comma-separated formats from {','.join(FORMATS)} "
                        f"[default: {','.join(DEFAULT_FORMATS)}; pdf needs `make pdf-tools`]")
    p.add_argument("--scenario", action="store_true",
                   help="add the scenario view: the card at each --scenario-years year, "
                        "counting projects planned for completion by then (情景评估)")
    p.add_argument("--scenario-years", default=",".join(map(str, DEFAULT_SCENARIO_YEARS)),
                   metavar="LIST", help="scenario years [default: 2025,2030]")
    p.add_argument("--overrides", type=Path, metavar="FILE",
                   help="YAML of edited targets/thresholds (targets: {ID: {target: x, "
                        "params: {...}}})")
    p.add_argument("--rule-file", type=Path, metavar="FILE",
                   help="YAML/JSON coverage rule (name, version, citation, park_classes, tiers, "
                        "thresholds) applied to every park-coverage target (自定义规则)")
    p.add_argument("--catalog-dir", type=Path, metavar="DIR",
                   help="folder holding <ADCODE>.yaml plan-target catalogs "
                        "[default: the bundled catalogs of the seed plans]")
    add_cluster_arguments(p)
    p.set_defaults(func=run_audit)


def parse_formats(text: str) -> list[str]:
    """Return the formats of a comma-separated list.

    Raises
    ------
    ValueError
        For an unknown format (the message lists the known ones).

    Examples
    --------
    >>> parse_formats("md, json")
    ['md', 'json']
    """
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"--format {text!r}: choose from {','.join(FORMATS)}")
    return formats


def parse_years(text: str) -> list[int]:
    """Return the years of a comma-separated list.

    Raises
    ------
    ValueError
        If an item is not a year.

    Examples
    --------
    >>> parse_years("2025,2030")
    [2025, 2030]
    """
    try:
        years = [int(y) for y in text.split(",") if y.strip()]
    except ValueError as err:
        raise ValueError(f"--scenario-years {text!r}: give years like 2025,2030") from err
    if not years:
        raise ValueError(f"--scenario-years {text!r}: give years like 2025,2030")
    return years


def run_audit(args: argparse.Namespace) -> int:
    """Handle ``tanmap audit``.

    中文：执行目标评估命令。
    """
    try:
        formats = parse_formats(args.formats)
        years = parse_years(args.scenario_years) if args.scenario else []
    except ValueError as err:
        return fail(str(err), EXIT_USAGE)
    if (args.adcode is None) == (args.districts is None):
        return fail("give one district ADCODE or --districts ALL|FILE|LIST", EXIT_USAGE)
    if args.districts is not None:
        if years:
            return fail("--scenario runs one district at a time; drop --districts", EXIT_USAGE)
        return run_audit_many(args, formats)
    store = store_from_args(args)
    catalog = load_catalog(args.adcode, directory=args.catalog_dir)
    if args.rule_file is not None:
        catalog = apply_rule_to_catalog(catalog, read_rule_file(args.rule_file))
    progress = Progress(2 + len(years), quiet=args.quiet, title="audit")
    card = audit_district(store, args.adcode, year=args.year, catalog=catalog,
                          overrides=args.overrides)
    progress.step(f"{card.adcode} {card.year}: {len(card.rows)} targets")
    if years:
        scenarios = {}
        for y in years:
            scenarios.update(scenario_cards(store, args.adcode, (y,), catalog=catalog,
                                            overrides=args.overrides))
            progress.step(f"scenario {y}")
        card = with_scenarios(card, scenarios)
    paths = write_card(card, args.out, formats, lang=args.lang, store=store)
    progress.step("written")
    en = args.lang == "en"
    counts = ", ".join(f"{Status(k).label(args.lang)} {n}" for k, n in card.counts.items())
    name = card.district_en if en else card.district_zh
    echo(args, f"{name} ({card.adcode}) {card.year}: {counts}")
    for path in paths:
        echo(args, str(path))
    return EXIT_OK

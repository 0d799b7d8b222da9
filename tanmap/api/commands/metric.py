"""``tanmap metric``: run one plan metric (指标) on the store and print the figures."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tanmap.api.commands import EXIT_OK, EXIT_USAGE, echo, fail, format_table, store_from_args
from tanmap.api.commands.scaleout import add_cluster_arguments, run_metric_many
from tanmap.api.humanize import format_quantity, format_value_for_key
from tanmap.geo.registry import METRICS
from tanmap.geo.rules import BUILTIN_RULES, CoverageRule, get_rule
from tanmap.layers.ingest.rule_files import RULE_METRICS, load_rule_file, read_rule_file, rule_yaml
from tanmap.layers.runner import RunOutcome, run_metric

if TYPE_CHECKING:
    import argparse

__all__ = [
    "metric_table",
    "parse_params",
    "register",
    "rule_table",
    "run_metric_command",
    "run_rules_check",
    "run_rules_list",
    "run_rules_show",
    "summary_text",
]


def register(subparsers: Any) -> None:
    """Add the ``metric`` command.

    中文：注册指标计算命令。
    """
    p = subparsers.add_parser(
        "metric", help="run a plan metric on the store and print the result (指标计算)",
        description="Run metric NAME for a district on the store's layers and print the value, "
                    "every parameter, the rule and its version, the details and the lineage "
                    "(layer versions). `tanmap metric --list` lists the metrics.",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="metric name, e.g. park_coverage")
    p.add_argument("--list", action="store_true", dest="list_metrics",
                   help="list the metrics and their parameters (指标清单)")
    p.add_argument("--district", metavar="ADCODE", help="district code, e.g. 120101")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="metric parameter (repeatable), e.g. --param radius_m=300; "
                        "lists as a,b,c")
    p.add_argument("--year", type=int, metavar="YEAR",
                   help="audit year (评估年份) [default: this year]")
    p.add_argument("--planned-until", type=int, metavar="YEAR",
                   help="also count planned/under-construction projects due by YEAR (情景)")
    p.add_argument("--epsg", type=int, metavar="EPSG",
                   help="override the district's planning CRS (a projected CRS in metres)")
    p.add_argument("--rule-file", type=Path, metavar="FILE",
                   help="YAML/JSON coverage rule (name, version, citation, park_classes, tiers, "
                        "thresholds) used instead of a built-in rule (自定义规则; park_coverage)")
    p.add_argument("--distance", choices=("straight", "network"), default="straight",
                   help="park_coverage: straight radius (default) or walked on the walk_network "
                        "(步行距离; runs park_walk_coverage with the same rule)")
    p.add_argument("--level", type=int, choices=(5, 10, 15), default=None,
                   help="living_circle: the 5/10/15-minute level (生活圈层级; = --param level=N)")
    p.add_argument("--land-cover-source", choices=("auto", "vector", "raster"), default=None,
                   help="forest_cover / blue_green_share: read the vector land_cover layer or "
                        "the land-cover raster (土地覆盖来源; default auto: the vector layer when "
                        "it has features, else the raster; = --param land_cover_source=...)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    add_cluster_arguments(p, tiles=True)
    p.set_defaults(func=run_metric_command)

    rules = subparsers.add_parser(
        "rules", help="list, show or check park-coverage rules (覆盖率规则)",
        description="Built-in park service-radius coverage rules, and user rule files for "
                    "--rule-file: `rules show ID > my.yaml` writes a built-in rule as a file to "
                    "edit; `rules check FILE` validates one.",
    )
    sub = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    sub.required = True
    sub.add_parser("list", help="list the built-in rules").set_defaults(func=run_rules_list)
    show = sub.add_parser("show", help="print a built-in rule as a rule file (YAML)")
    show.add_argument("rule_id", metavar="ID", help="built-in rule id, e.g. chengshi_tijian_2021")
    show.set_defaults(func=run_rules_show)
    check = sub.add_parser("check", help="validate a rule file and print what it says")
    check.add_argument("path", type=Path, metavar="FILE", help="YAML or JSON rule file")
    check.set_defaults(func=run_rules_check)


def parse_params(items: list[str]) -> dict[str, str]:
    """Return ``{"key": "value"}`` from ``["key=value", ...]``.

    中文：解析 --param 参数。

    Raises
    ------
    ValueError
        If an item has no ``=`` or an empty key.

    Examples
    --------
    >>> parse_params(["radius_m=300", "classes=G11,G12"])
    {'radius_m': '300', 'classes': 'G11,G12'}
    """
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param {item!r} is not KEY=VALUE, e.g. --param radius_m=300")
        out[key.strip()] = value.strip()
    return out


def metric_table(lang: str = "zh", width: int | None = None) -> str:
    """Return the list of registered metrics with their inputs and parameter defaults.

    中文：指标清单。

    Parameters
    ----------
    lang
        ``"zh"`` or ``"en"`` labels.
    width
        Terminal columns to fit (long cells wrap; the parameters go on indented lines under
        each metric). None: one unwrapped line per metric.
    """
    rows, notes = [], []
    for name in sorted(METRICS):
        d = METRICS[name]
        params = ", ".join(
            f"{f.name}={_default(f)}" for f in dataclasses.fields(d.params)
        )
        title = f"{d.en} {d.zh}" if lang == "en" else f"{d.zh} {d.en}"
        inputs = ", ".join(d.inputs) + (f" [+{', '.join(d.optional_inputs)}]"
                                        if d.optional_inputs else "")
        rows.append([name, title, d.unit, inputs.strip() or "-"])
        notes.append(f"{'parameters (default)' if lang == 'en' else '参数（默认值）'}: "
                     f"{params or '-'}")
    header = (["metric", "name", "unit", "inputs"] if lang == "en" else
              ["指标 metric", "名称", "单位", "输入图层"])
    if not rows:
        return "(no metrics registered)"
    return format_table(header, rows, max_width=width, notes=notes)


def _default(f: dataclasses.Field[Any]) -> str:
    if f.default is not dataclasses.MISSING:
        return json.dumps(f.default, ensure_ascii=False, default=str)
    if f.default_factory is not dataclasses.MISSING:
        return json.dumps(f.default_factory(), ensure_ascii=False, default=str)
    return "(required)"


def summary_text(outcome: RunOutcome, lang: str = "zh") -> str:
    """Return a readable summary: value, parameters, rule, details, missing data, lineage.

    中文：指标结果摘要。
    """
    r = outcome.result
    en = lang == "en"
    value = format_quantity(r.value, r.unit, lang, wan=True)
    title = f"{outcome.metric_en} ({outcome.metric_zh})" if en else \
        f"{outcome.metric_zh} ({outcome.metric_en})"
    lines = [
        f"{r.name}: {title}",
        f"{'District' if en else '区县'}: {outcome.district}   "
        f"{'Year' if en else '评估年份'}: {outcome.year}   "
        f"{'Planning CRS' if en else '规划坐标系'}: EPSG:{outcome.planning_epsg}"
        + (f"   {'planned until' if en else '计入规划项目至'}: {outcome.include_planned_until}"
           if outcome.include_planned_until is not None else ""),
        f"{'Value' if en else '结果'}: {value}",
        f"{'Rule' if en else '规则'}: {r.rule or '—'}",
        f"{'Parameters' if en else '参数'}: "
        + ", ".join(f"{k}={_param_text(k, v)}" for k, v in r.params.items()),
    ]
    if r.missing:
        lines.append(f"{'Missing data' if en else '数据不足，缺少'}: {', '.join(r.missing)}")
    data = outcome.to_dict()
    for key, val in data["details"].items():
        if isinstance(val, list) and val and all(isinstance(v, dict) for v in val):
            lines.append(f"  {key}:")
            lines += ["    " + line for line in _records_table(val, lang).splitlines()]
        else:
            lines.append(f"  {key}: {format_value_for_key(key, val, lang)}")
    if data["per_unit"]:
        lines += ["", _records_table(data["per_unit"], lang)]
    lines += ["", "Lineage (layer versions):" if en else "数据来源（图层版本）:"]
    for e in outcome.lineage:
        version = "-" if e.get("version") is None else e.get("version")
        count = "—" if e.get("n_features") is None else e.get("n_features")
        lines.append(f"  {e.get('kind')}@{e.get('district')} v{version} "
                     f"{e.get('updated_at')} ({count}; {e.get('source') or ''})")
    if not outcome.lineage:
        lines.append("  —")
    return "\n".join(lines)


def _records_table(records: list[dict[str, Any]], lang: str) -> str:
    """Return a table of records, figures formatted by column name (``*_m2``, ``share``...)."""
    header = list(dict.fromkeys(k for rec in records for k in rec))
    rows = [[format_value_for_key(h, rec.get(h), lang) for h in header] for rec in records]
    align = "".join("r" if any(isinstance(rec.get(h), int | float)
                               and not isinstance(rec.get(h), bool) for rec in records)
                    else "l" for h in header)
    return format_table(header, rows, align=align)


def _param_text(name: str, value: Any) -> str:
    # A user rule is a whole mapping: the summary names it (the JSON output has all of it).
    if name == "rule" and isinstance(value, dict):
        return f"<{value.get('name') or value.get('id')} v{value.get('version')}>"
    return json.dumps(value, ensure_ascii=False, default=str)


def run_metric_command(args: argparse.Namespace) -> int:
    """Handle ``tanmap metric``.

    中文：执行指标计算命令。
    """
    if args.list_metrics:
        echo(args, metric_table(args.lang, width=shutil.get_terminal_size().columns))
        return EXIT_OK
    if not args.name or (args.district is None) == (args.districts is None):
        return fail("give a metric NAME and --district ADCODE (or --districts ALL|FILE|LIST), "
                    "or --list to see the metrics", EXIT_USAGE)
    if args.distance == "network":
        if args.name not in ("park_coverage", "park_walk_coverage"):
            return fail(f"--distance network applies to park_coverage, not {args.name!r}",
                        EXIT_USAGE)
        args.name = "park_walk_coverage"
    try:
        params: dict[str, Any] = dict(parse_params(args.param))
    except ValueError as err:
        return fail(str(err), EXIT_USAGE)
    if args.level is not None:
        if args.name != "living_circle":
            return fail(f"--level applies to living_circle, not {args.name!r}", EXIT_USAGE)
        params["level"] = args.level
    if args.land_cover_source is not None:
        if args.name not in ("forest_cover", "blue_green_share"):
            return fail(f"--land-cover-source applies to forest_cover and blue_green_share, "
                        f"not {args.name!r}", EXIT_USAGE)
        params["land_cover_source"] = args.land_cover_source
    if args.rule_file is not None:
        mdef = METRICS.get(args.name)
        if mdef is None or "rule" not in {f.name for f in dataclasses.fields(mdef.params)}:
            return fail(f"--rule-file applies to metrics with a coverage rule "
                        f"({', '.join(RULE_METRICS)}), not {args.name!r}", EXIT_USAGE)
        if "rule" in params:
            return fail("give --rule-file or --param rule=..., not both", EXIT_USAGE)
        params["rule"] = load_rule_file(args.rule_file)
    if args.districts is not None:
        return run_metric_many(args, params)
    outcome = run_metric(
        store_from_args(args), args.name, args.district, params, year=args.year,
        include_planned_until=args.planned_until, planning_epsg=args.epsg,
    )
    if args.json:
        echo(args, json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2))
    else:
        echo(args, summary_text(outcome, args.lang))
    return EXIT_OK


def rule_table(rules: list[CoverageRule], lang: str = "zh") -> str:
    """Return rules as a table: id, version, name, citation, classes, tiers, thresholds.

    中文：覆盖率规则一览。
    """
    en = lang == "en"
    header = (["id", "v", "name", "citation", "park classes", "tiers", "thresholds"] if en else
              ["规则 id", "版本", "名称", "出处", "计入类别", "规模分级", "达标阈值"])
    rows = [[r.id, r.version, r.title_en if en else r.title_zh, r.clause,
             ",".join(r.park_classes), "; ".join(str(t) for t in r.tiers),
             ", ".join(f"{k} {t}" for k, t in r.thresholds.items())] for r in rules]
    return format_table(header, rows)


def run_rules_list(args: argparse.Namespace) -> int:
    """Handle ``tanmap rules list``."""
    echo(args, rule_table(list(BUILTIN_RULES.values()), args.lang))
    return EXIT_OK


def run_rules_show(args: argparse.Namespace) -> int:
    """Handle ``tanmap rules show ID``: the rule as YAML, a starting point for a rule file."""
    echo(args, rule_yaml(get_rule(args.rule_id)).rstrip("\n"))
    return EXIT_OK


def run_rules_check(args: argparse.Namespace) -> int:
    """Handle ``tanmap rules check FILE``: validate and summarise a rule file."""
    rule = read_rule_file(args.path)
    echo(args, rule_table([rule], args.lang))
    echo(args, f"{'Results will cite' if args.lang == 'en' else '结果将注明规则'}: {rule.citation}")
    return EXIT_OK

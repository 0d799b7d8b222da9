"""``tanmap site``: where to build (设施选址): set cover, maximal cover, per-unit cover."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tanmap.api.commands import EXIT_OK, EXIT_USAGE, echo, fail, format_table, store_from_args
from tanmap.api.commands.layers import EXPORT_FORMATS
from tanmap.api.humanize import format_number, format_share
from tanmap.layers.kinds import SITING_KINDS
from tanmap.layers.siting import DEMAND_BASES, DISTANCES

if TYPE_CHECKING:
    import argparse

__all__ = ["parse_share", "register", "run_site"]

#: A catalog target id (``120101-G03``), told apart from a share given to --target.
_TARGET_ID = re.compile(r"^\d{6}-[A-Z]{1,3}\d{2}$")


def parse_share(text: str) -> float:
    """Return a share in (0, 1] from ``0.95``, ``95%`` or ``95％``.

    中文：解析覆盖率目标（小数或百分数）。

    Examples
    --------
    >>> parse_share("95%"), parse_share("0.9")
    (0.95, 0.9)
    """
    raw = text.strip().replace("％", "%")
    value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    if not 0 < value <= 1 or math.isnan(value):
        hint = f"; for a percentage write {text}%" if 1 < value <= 100 and "%" not in raw else ""
        raise ValueError(f"--target must be a share in (0, 1] or a percentage like 95%; "
                         f"got {text!r}{hint}")
    return value


def register(subparsers: Any) -> None:
    """Add the ``site`` command.

    中文：注册设施选址命令。
    """
    p = subparsers.add_parser(
        "site", help="where to build new facilities: fewest sites for a target, best N sites, "
                     "or k per unit (设施选址)",
        description="Choose new sites for KIND in a district, keeping and counting the "
                    "facilities that exist. --count N: the N sites serving the most residential "
                    "land (maximal cover); --target SHARE: the fewest sites bringing coverage to "
                    "SHARE (set cover); --per-unit K: at least K per 街道/社区 (transfer stations, "
                    "recycling points); --target ID: the question of a catalog target (e.g. "
                    "120101-G03, 和平 20 口袋花园). --demand and --distance say what is served and "
                    "how far (walking along the walk_network with --distance network). "
                    "Solved exactly (HiGHS MILP); the greedy answer and its "
                    "gap are shown beside. Candidates: --candidates FILE (lots), else the "
                    "district's candidate_site layer, else grid cells generated in the gaps.",
    )
    p.add_argument("kind", choices=SITING_KINDS, metavar="KIND", nargs="?",
                   help=f"facility kind: {', '.join(SITING_KINDS)} (left out with --target ID: "
                        "the target names it)")
    p.add_argument("--district", required=True, metavar="ADCODE", help="district code")
    model = p.add_mutually_exclusive_group(required=True)
    model.add_argument("--plan", action="store_true",
                       help="the seed plan's own question (e.g. 和平: 20 口袋花园; 津市: 2 km in "
                            "the 城区核心区); --radius-m and --zone still override")
    model.add_argument("--count", type=int, metavar="N", help="best N new sites (最大覆盖)")
    model.add_argument("--target", metavar="SHARE|ID",
                       help="coverage target, e.g. 0.95 or 95%% (最少设施覆盖); or a catalog "
                            "target id, e.g. 120101-G03 (its siting question: 和平 20 口袋花园, "
                            "津市 2 km 城区核心区, 每街道 1 中转站, 每社区 1 回收点)")
    model.add_argument("--per-unit", type=int, metavar="K", dest="per_unit",
                       help="at least K per 街道/社区 (按单元配置)")
    p.add_argument("--radius-m", type=float, metavar="M", help="service radius of a new site (m)")
    p.add_argument("--demand", choices=DEMAND_BASES, default=None,
                   help="what is served: land (residential land, m², default), area (the whole "
                        "district or zone), buildings (residential), population (their residents)")
    p.add_argument("--distance", choices=DISTANCES, default=None,
                   help="straight (default) or network: walked along the walk_network")
    p.add_argument("--candidates", type=Path, metavar="FILE",
                   help="candidate lots (候选地块): GeoJSON, GPKG, SHP, CSV ...")
    p.add_argument("--source-crs", metavar="CRS", help="CRS of --candidates when it has none")
    p.add_argument("--spacing-m", type=float, metavar="M",
                   help="grid spacing of generated candidates (m)")
    p.add_argument("--budget", type=float, metavar="万元",
                   help="largest total cost (candidate cost_wan_yuan, 万元)")
    p.add_argument("--zone", metavar="ZONE_TYPE",
                   help="only this planning zone, e.g. core_area (城区核心区)")
    p.add_argument("--available-by", type=int, metavar="YEAR",
                   help="only candidates available by YEAR")
    p.add_argument("--time-limit-s", type=float, metavar="S", help="solver time limit (s)")
    p.add_argument("--out", type=Path, metavar="PATH", help="export the chosen sites")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="geojson", dest="fmt",
                   help="geojson (default), gpkg, or shp (zip)")
    p.add_argument("--map", type=Path, metavar="HTML", dest="map_path",
                   help="write a map of the chosen sites (ranked by gain) and the candidates")
    p.add_argument("--save-year", type=int, metavar="YEAR",
                   help="save the chosen sites as planned KIND features due in YEAR")
    p.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    p.set_defaults(func=run_site)


def run_site(args: argparse.Namespace) -> int:
    """Handle ``tanmap site``."""
    from tanmap.layers.ingest.io import load, write_layer
    from tanmap.layers.siting import (
        plan_sites,
        save_planned_sites,
        site_for_target,
        sites_for_export,
    )

    target_id = None
    try:
        target = None if args.target is None else parse_share(args.target)
    except ValueError as err:
        if not _TARGET_ID.match(args.target or ""):
            return fail(str(err), EXIT_USAGE)
        target, target_id = None, args.target
    if target_id is None and args.kind is None:
        return fail("give the facility KIND, or --target ID (a catalog target with a siting "
                    "question, e.g. 120101-G03)", EXIT_USAGE)
    store = store_from_args(args)
    candidates = None
    if args.candidates is not None:
        opts = {"source_crs": args.source_crs} if args.source_crs else {}
        where = store.district(args.district)["geometry"]
        candidates = load("candidate_site", args.candidates, district=where, **opts).gdf
    options: dict[str, Any] = dict(
        radius_m=args.radius_m, candidates=candidates, spacing_m=args.spacing_m,
        budget=args.budget, zone_type=args.zone, available_by=args.available_by,
        time_limit_s=args.time_limit_s, demand=args.demand, distance=args.distance)
    if target_id is not None:
        run = site_for_target(store, args.district, target_id, **options)
        if args.kind is not None and args.kind != run.kind:
            return fail(f"target {target_id} sites {run.kind}, not {args.kind}; leave KIND "
                        "out", EXIT_USAGE)
    else:
        run = plan_sites(store, args.district, args.kind, count=args.count,
                         target_share=target, min_count=args.per_unit, plan=args.plan,
                         **options)
    notes: list[str] = []
    if args.out is not None:
        write_layer(sites_for_export(run), args.out, args.fmt)
        notes.append(f"exported {len(run.sites)} sites to {args.out}")
    if args.map_path is not None:
        _write_map(store, run, args.map_path, args.lang)
        notes.append(f"map written to {args.map_path}")
    if args.save_year is not None:
        version = save_planned_sites(store, run, args.save_year)
        notes.append(f"saved {len(run.sites)} planned {run.kind} features "
                     f"(version {version.version}, due {args.save_year})")
    if args.json:
        echo(args, json.dumps({**run.to_dict(), "notes": notes}, ensure_ascii=False, indent=2,
                              default=str))
        return EXIT_OK
    if run.plan_quote:
        echo(args, f"{'规划目标' if args.lang == 'zh' else 'plan target'}: {run.plan_quote}")
    echo(args, _summary(run, args.lang))
    for note in notes:
        echo(args, note)
    return EXIT_OK


def _write_map(store: Any, run: Any, path: Path, lang: str) -> None:
    """Write the siting map: before and after, the sites ranked by gain (maps.siting)."""
    from tanmap.maps.siting import siting_map

    siting_map(store, run, lang=lang).save(str(path))


_UNIT_TEXT = {"buildings": ("栋", "buildings"), "residents": ("人", "residents")}


def _gain_text(site: Any, lang: str) -> str:
    """Return a site's gain: weight added and share, or what it serves a second time."""
    backup = getattr(site, "backup_gain", 0.0)
    gain = getattr(site, "gain_m2", None)
    unit = "m²"
    if gain is None:
        gain = site.gain
        unit = _UNIT_TEXT.get(site.gain_unit, (site.gain_unit, site.gain_unit))[
            0 if lang == "zh" else 1]
    if not gain and backup:
        return (f"二次覆盖 {format_number(backup)} {unit}" if lang == "zh"
                else f"second cover {format_number(backup)} {unit}")
    return f"{format_number(gain)} {unit} ({format_share(site.gain_share, lang)})"


def _summary(run: Any, lang: str) -> str:
    zh = lang == "zh"
    r = run.result
    per_unit = run.model == "per_unit"
    rows = []
    for site in run.sites.itertuples():
        gain = (str(getattr(site, "unit_id", "")) if per_unit else _gain_text(site, lang))
        cost = getattr(site, "cost_wan_yuan", None)
        rows.append((site.rank, site.id, gain,
                     "" if cost is None or cost != cost else format_number(cost, 1)))
    head = (("名次", "地块", "所在单元" if per_unit else "新增覆盖", "费用(万元)") if zh
            else ("rank", "site", "unit" if per_unit else "gain", "cost (10k CNY)"))
    names = {"set_cover": ("最少设施覆盖", "set cover"), "max_cover": ("最大覆盖", "maximal cover"),
             "per_unit": ("按单元配置", "per-unit cover")}
    lines = [f"{run.district} {run.kind}: {names[run.model][0 if zh else 1]}, "
             f"{len(run.sites)} {'处新选址' if zh else 'new sites'} "
             f"({len(run.candidates)} {'个候选' if zh else 'candidates'}, {run.candidate_source})"]
    if not per_unit:
        demand = {"land": ("居住用地", "residential land"), "area": ("范围面积", "area"),
                  "buildings": ("居住建筑", "residential buildings"),
                  "population": ("居住人口", "residents")}[run.demand_basis][0 if zh else 1]
        walk = run.distance == "network"
        reach = ("步行距离" if walk else "半径") if zh else ("walked" if walk else "radius")
        lines.append(f"{'覆盖率' if zh else 'coverage'} ({demand}): "
                     f"{format_share(r.share_before, lang)} → "
                     f"{format_share(r.share_after, lang)} "
                     f"({reach} {format_number(run.radius_m)} m)")
        backup = int(r.extra.get("backup_sites", 0))
        if backup:
            lines.append(f"{len(run.sites) - backup} 处即达到全部可达覆盖；其余 {backup} 处布置在"
                         "仅被一处设施覆盖的需求附近（二次覆盖）" if zh else
                         f"{len(run.sites) - backup} sites reach all the coverage candidates "
                         f"can give; the other {backup} go where demand is served only once "
                         "(second cover)")
    else:
        lines.append(f"{'达标单元' if zh else 'units served'}: {int(r.existing_weight)} → "
                     f"{int(r.covered_weight)} / {int(r.total_weight)}")
    gap_text = "—" if r.greedy is None or math.isinf(r.greedy.gap) else format_share(
        r.greedy.gap, lang)
    greedy_n = "—" if r.greedy is None else str(len(r.greedy.chosen))
    lines.append(f"{'最优' if zh else 'optimum'} {format_number(r.objective, 1)}, "
                 f"{'最优性差距' if zh else 'optimality gap'} {format_share(r.mip_gap, lang)}, "
                 f"{'求解' if zh else 'solved in'} {r.solve_s:.3f} s ({r.status}); "
                 f"{'贪心' if zh else 'greedy'} {greedy_n} {'处' if zh else 'sites'}, "
                 f"{'差距' if zh else 'gap'} {gap_text}")
    if rows:
        lines.append(format_table(head, rows))
    return "\n".join(lines)

"""Where to build, on the store (设施选址): demand, existing sites and candidates in; sites out.

The store side of :mod:`tanmap.geo.siting`: load a district's demand (residential land cut into
cells), the facilities that already exist (kept and counted), and the candidate sites (the
district's ``candidate_site`` layer, a bureau's lot file, or cells generated in the coverage gaps),
run set cover, maximal cover or per-unit cover, and return the chosen sites ranked by gain in
EPSG:4326 with their figures, ready for a map, an export or saving as planned features.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tanmap.geo.coverage import BUILT_STATUSES, POCKET_GARDEN_RADIUS_M
from tanmap.geo.errors import LayerNotFoundError, MetricParameterError
from tanmap.geo.rules import get_rule
from tanmap.geo.siting import (
    SIZE_RULES_M2,
    SitingResult,
    backup_cover,
    build_problem,
    gap_area,
    generate_candidates,
    max_cover,
    per_unit_cover,
    set_cover,
    units_of,
)
from tanmap.geo.units import zone_geometry
from tanmap.layers.advice import option_hint
from tanmap.layers.kinds import SITING_KINDS
from tanmap.layers.runner import district_planning_epsg
from tanmap.layers.walk_network import network_arrays

if TYPE_CHECKING:
    from tanmap.geo.walking import NetworkArrays
    from tanmap.layers.catalog import Catalog, Target
    from tanmap.layers.store.base import LayerVersion, Store

__all__ = [
    "DEMAND_BASES",
    "DEMAND_CELL_M",
    "DISTANCES",
    "PLAN_QUESTIONS",
    "SITING_DEFAULTS",
    "PlanQuestion",
    "SitingDefaults",
    "SitingRun",
    "plan_question",
    "plan_sites",
    "planned_sites_run",
    "save_planned_sites",
    "silence_solver_banner",
    "site_for_target",
    "sites_for_export",
    "target_question",
]

#: Side of the square cells residential land is cut into as demand units (m): a cell counts as
#: served when its representative point is within the radius, so the figure is the standard's
#: area coverage at this resolution (the audit then measures the exact area).
DEMAND_CELL_M = 50.0
#: What a demand unit is and weighs (需求口径): residential land cells (m²), the whole area
#: (district or zone) in cells (m²; the charging radius rule covers the zone, not homes),
#: residential buildings (1 each) or their residents (the building ``population`` field).
DEMAND_BASES: tuple[str, ...] = ("land", "area", "buildings", "population")
#: How distance is measured: straight line (直线) or walked along the walk_network (步行).
DISTANCES: tuple[str, ...] = ("straight", "network")
#: Pieces of a demand cell below this share of the cell's area are slivers, not demand.
_SLIVER_SHARE = 1e-6


@dataclass(frozen=True)
class SitingDefaults:
    """What siting one facility kind means by default.

    中文：各类设施选址的默认规则（服务半径、现状设施、模型、网格间距、依据）。
    """

    radius_m: float | None
    existing: tuple[str, ...]
    spacing_m: float
    unit_kind: str | None = None
    citation: str = ""
    #: Existing parks serve by the GB/T 51346-2019 size tiers (True), or at the new sites'
    #: radius (False: "within 300 m of a park or garden", the 5-minute circle's reading).
    park_tiers: bool = True


#: Per facility kind: radius, existing kinds counted, grid spacing, per-unit layer, citation.
SITING_DEFAULTS: dict[str, SitingDefaults] = {
    "pocket_garden": SitingDefaults(
        POCKET_GARDEN_RADIUS_M, ("park", "pocket_garden"), 100.0,
        citation="口袋公园 400-10,000 m² (MOHURD 2022); 300 m of a park or garden = GB "
                 "50180-2018 5-min circle [verify]", park_tiers=False),
    "park": SitingDefaults(500.0, ("park",), 100.0,
                           citation="GB/T 51346-2019 cl. 4.3.4 (500 m)"),
    "charging_station": SitingDefaults(
        2000.0, ("charging_station",), 250.0,
        citation="津市 城区核心区公共充电设施服务半径 < 2 km (Tianjin: 0.9 km)"),
    "bus_stop": SitingDefaults(500.0, ("bus_stop",), 100.0,
                               citation="东丽 公交站点500米覆盖率"),
    "transfer_station": SitingDefaults(None, ("transfer_station",), 250.0, "subdistrict",
                                       citation="和平/黄浦: 每个街道1座中转站"),
    "recycling_point": SitingDefaults(None, ("recycling_point",), 100.0, "community",
                                      citation="和平/东丽: 每个社区1个回收点"),
}



@dataclass(frozen=True)
class PlanQuestion:
    """A siting question a seed plan asks, with the sentence it comes from.

    中文：规划目标对应的选址问题（数量 / 覆盖率 / 每单元配置）及原文。
    """

    adcode: str
    kind: str
    quote: str
    count: int | None = None
    target_share: float | None = None
    min_count: int | None = None
    radius_m: float | None = None
    zone_type: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    demand: str | None = None
    target_id: str | None = None
    #: The plan asks for ``count`` facilities ("build 20"): once coverage is full, place the
    #: rest where demand is served only once (:func:`tanmap.geo.siting.backup_cover`).
    fill: bool = False

    def options(self) -> dict[str, Any]:
        """Return the keyword arguments of :func:`plan_sites` this question sets."""
        return {k: v for k, v in (("count", self.count), ("target_share", self.target_share),
                                  ("min_count", self.min_count), ("radius_m", self.radius_m),
                                  ("zone_type", self.zone_type)) if v is not None}


#: The siting questions of the seed plans (DOMAIN.md §1, /seeds), by district and kind.
PLAN_QUESTIONS: tuple[PlanQuestion, ...] = (
    PlanQuestion("120101", "pocket_garden", "和平 专栏2 (一): 计划打造 20 个口袋花园", count=20,
                 fill=True),
    PlanQuestion("120101", "transfer_station",
                 "和平: 加强废旧物资回收中转站规范建设, 每个街道设立 1 座中转站", min_count=1,
                 fields=(("station_type", "recyclables"),)),
    PlanQuestion("120101", "recycling_point",
                 "和平: 每个社区至少建成 1 个再生资源回收服务点", min_count=1),
    PlanQuestion("120101", "charging_station",
                 "天津 2018-2020 充电设施规划: 中心市区平均服务半径 0.9 km [verify]",
                 target_share=1.0, radius_m=900.0),
    PlanQuestion("120104", "charging_station",
                 "天津 2018-2020 充电设施规划: 中心市区平均服务半径 0.9 km [verify]",
                 target_share=1.0, radius_m=900.0),
    PlanQuestion("430781", "charging_station",
                 "津市: 到2025年底, 城区核心区公共充电设施服务半径小于2公里",
                 target_share=1.0, radius_m=2000.0, zone_type="core_area"),
    PlanQuestion("310101", "pocket_garden",
                 "黄浦: 新增纳入城市公园名录的街心花园数量 10 个", count=10, fill=True),
)


def plan_question(adcode: str, kind: str) -> PlanQuestion:
    """Return the seed plan's siting question for ``kind`` in ``adcode``.

    中文：查找规划中的选址目标。

    Raises
    ------
    MetricParameterError
        When the plan asks no such question (the message lists those it asks).

    Examples
    --------
    >>> plan_question("120101", "pocket_garden").count
    20
    """
    for question in PLAN_QUESTIONS:
        if question.adcode == adcode and question.kind == kind:
            return question
    known = ", ".join(f"{q.adcode} {q.kind}" for q in PLAN_QUESTIONS)
    raise MetricParameterError(
        f"the plan of {adcode} sets no siting target for {kind}; plan targets known: {known}. "
        f"Give {option_hint('count', 'N')} or {option_hint('target_share', '0.95')} instead.")


#: Metrics whose figure is a count of features: a ``max_cover`` link sites the shortfall.
_COUNT_METRICS = frozenset({"feature_count"})


def target_question(store: Store, target: Target, *, year: int | None = None,
                    shortfall: bool = True) -> PlanQuestion:
    """Return the siting question of a catalog target with a ``siting`` link.

    中文：由规划目标（目录中的 siting 链接）生成选址问题。

    ``set_cover``: the target share (``>`` adds 1e-6) within ``params.radius_m`` (else the
    link's radius, else the kind's default) in ``params.zone_type``. ``per_unit``:
    ``params.min_count`` (default 1) per unit. ``max_cover``: the link's ``count``, else the
    shortfall of a count target, ``ceil(target - measured)`` as of ``year`` (built features,
    the target's own filters). Field values for the saved sites: the link's ``fields``, else
    the target's ``field`` and first of ``values``. ``shortfall=False`` skips measuring the
    shortfall (count 1: for evaluating planned sites, whose number is given).

    Raises
    ------
    MetricParameterError
        When the target has no siting link (the message names those that have), or a count
        target is already met (nothing to site).
    """
    from tanmap.layers.runner import run_metric

    link = target.siting
    if link is None:
        raise MetricParameterError(
            f"target {target.id} ({target.title_zh}) asks no siting question; targets with one "
            "have a `siting:` entry in the catalog (tanmap/data/targets).")
    params = dict(target.params)
    fields = dict(link.fields)
    if not fields and params.get("field") and params.get("values"):
        fields = {str(params["field"]): str(next(iter(params["values"])))}
    radius = link.radius_m if link.radius_m is not None else params.get("radius_m")
    zone = params.get("zone_type")
    common: dict[str, Any] = {
        "adcode": target.adcode, "kind": link.kind, "quote": f"{target.id} {target.quote}",
        "radius_m": None if radius is None else float(radius),
        "zone_type": None if zone is None else str(zone),
        "fields": tuple(sorted(fields.items())), "demand": link.demand, "target_id": target.id}
    if link.model == "per_unit":
        return PlanQuestion(**common, min_count=int(params.get("min_count", 1)))
    if link.model == "set_cover":
        if target.target is None or target.unit != "share":
            raise MetricParameterError(
                f"target {target.id} has no share to reach (target {target.target} "
                f"{target.unit}); set its target first (tanmap audit --overrides).")
        share = min(1.0, float(target.target) + (1e-6 if target.comparison == ">" else 0.0))
        return PlanQuestion(**common, target_share=share)
    count = link.count
    if count is None and not shortfall:
        count = 1
    if count is None:
        if target.metric not in _COUNT_METRICS or target.target is None:
            raise MetricParameterError(
                f"target {target.id} is not a count; give siting.count in the catalog or "
                f"{option_hint('count', 'N')}.")
        measured = run_metric(store, target.metric, target.adcode, params, year=year).result.value
        built = 0.0 if measured is None else float(measured)
        count = math.ceil(float(target.target) - built - 1e-9)
        if count <= 0:
            raise MetricParameterError(
                f"target {target.id} is met already ({built:g} built, target "
                f"{float(target.target):g}); nothing to site. Give {option_hint('count', 'N')} "
                "to add more anyway.")
        common["quote"] = (f"{common['quote']} (target {float(target.target):g}, built "
                           f"{built:g}: {count} to site)")
    return PlanQuestion(**common, count=count, fill=True)


def site_for_target(store: Store, district: str, target_id: str, *,
                    catalog: Catalog | None = None, year: int | None = None,
                    **options: Any) -> SitingRun:
    """Answer the siting question of catalog target ``target_id`` (e.g. 和平 120101-G03).

    中文：按规划目标选址（口袋花园、充电设施、中转站、回收点）。

    ``options`` are :func:`plan_sites` keywords (radius, candidates, distance, budget ...);
    the model and its figure come from the target (:func:`target_question`).

    Raises
    ------
    MetricParameterError
        For a target not in the district's catalog (the message lists those with a siting
        question) or one without a siting link.
    """
    from tanmap.layers.catalog import load_catalog

    catalog = catalog if catalog is not None else load_catalog(district)
    linked = [t.id for t in catalog.targets if t.siting is not None]
    target = next((t for t in catalog.targets if t.id == target_id), None)
    if target is None:
        raise MetricParameterError(
            f"target {target_id!r} is not in the catalog of {district}; targets with a siting "
            f"question: {', '.join(linked) or 'none'}.")
    if target.siting is None:
        raise MetricParameterError(
            f"target {target_id} ({target.title_zh}) asks no siting question; targets of "
            f"{district} with one: {', '.join(linked) or 'none'}.")
    question = target_question(store, target, year=year)
    return plan_sites(store, district, question.kind, question=question, **options)


_BANNER_LOCK = threading.Lock()
_BANNER_DONE: list[bool] = []


def silence_solver_banner() -> None:
    """Build the process's first HiGHS instance with stdout closed, so its banner is not shown.

    中文：屏蔽 HiGHS 求解器启动横幅（避免污染 --json 输出）。

    HiGHS prints a copyright banner on the C stdout when its first instance is built, before
    any option can be set; later instances are silent.
    """
    import sys

    import highspy

    with _BANNER_LOCK:
        if _BANNER_DONE:
            return
        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _BANNER_DONE.append(True)


@dataclass(frozen=True)
class SitingRun:
    """The answer to "where to build" for one district and facility kind.

    中文：选址结果（所选地块按增益排序，覆盖率前后对比，求解信息）。

    ``sites`` holds the chosen sites in EPSG:4326, ranked by gain (``rank`` 1 = the most),
    with ``gain_m2`` (residential land newly served; per-unit: 0) and ``gain_share``;
    ``candidates`` every candidate considered (EPSG:4326); ``demand`` the residential-land
    cells (EPSG:4326 polygons) with ``weight`` (m²) and ``served``: ``before`` (by existing
    facilities), ``new`` (by the chosen sites) or ``no`` (coverage models only).
    """

    kind: str
    district: str
    model: Literal["set_cover", "max_cover", "per_unit"]
    radius_m: float | None
    result: SitingResult
    sites: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    candidate_source: str
    n_demand: int
    planning_epsg: int
    citation: str
    lineage: list[dict[str, Any]] = field(default_factory=list)
    plan_quote: str | None = None
    demand: gpd.GeoDataFrame | None = None
    fields: tuple[tuple[str, str], ...] = ()
    demand_basis: str = "land"
    distance: str = "straight"
    target_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as plain JSON-ready values (sites without geometry)."""
        r = self.result
        greedy = None if r.greedy is None else {
            "sites": len(r.greedy.chosen), "objective": r.greedy.objective,
            "gap": None if math.isinf(r.greedy.gap) else r.greedy.gap,
            "reached": r.greedy.reached}
        rows = pd.DataFrame(self.sites.drop(columns="geometry"))
        rows = rows.astype(object).where(rows.notna(), None)
        return {
            "kind": self.kind, "district": self.district, "model": self.model,
            "radius_m": self.radius_m, "objective": r.objective, "bound": r.bound,
            "mip_gap": r.mip_gap, "solve_s": r.solve_s, "status": r.status,
            "share_before": r.share_before, "share_after": r.share_after,
            "total_weight": r.total_weight, "existing_weight": r.existing_weight,
            "covered_weight": r.covered_weight, "cost": r.cost, "greedy": greedy,
            "candidates": len(self.candidates), "candidate_source": self.candidate_source,
            "demand_units": self.n_demand, "planning_epsg": self.planning_epsg,
            "citation": self.citation, "plan_quote": self.plan_quote,
            "fields": dict(self.fields), "extra": r.extra,
            "demand_basis": self.demand_basis, "distance": self.distance,
            "weight_unit": _WEIGHT_UNITS.get(self.demand_basis, "m2"),
            "target_id": self.target_id,
            "sites": rows.to_dict("records"),
        }


def _built(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "status" not in frame.columns or frame.empty:
        return frame
    status = frame["status"].astype("object")
    return frame[status.isna() | status.isin(BUILT_STATUSES)]


def _demand_cells(land: gpd.GeoDataFrame, cell_m: float) -> gpd.GeoDataFrame:
    """Cut residential land into cells of ``cell_m``: id, weight (m²), geometry = a point inside."""
    geoms = np.asarray(land.geometry.array, dtype=object)
    ids = land["id"].astype(str).to_numpy() if "id" in land.columns else np.asarray(
        [f"R{i + 1}" for i in range(len(land))], dtype=object)
    west, south, east, north = land.total_bounds
    xs = np.arange(math.floor(west / cell_m), math.ceil(east / cell_m)) * cell_m
    ys = np.arange(math.floor(south / cell_m), math.ceil(north / cell_m)) * cell_m
    gx, gy = np.meshgrid(xs, ys)
    cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell_m, gy.ravel() + cell_m)
    land_idx, cell_idx = shapely.STRtree(cells).query(geoms, predicate="intersects")
    pieces = shapely.intersection(geoms[land_idx], cells[cell_idx])
    area = shapely.area(pieces)
    # Slivers from coordinates a hair off the grid lines (a 4326 round trip) are not demand.
    keep = area > _SLIVER_SHARE * cell_m**2
    land_idx, pieces, area = land_idx[keep], pieces[keep], area[keep]
    seq = pd.Series(land_idx).groupby(land_idx).cumcount().to_numpy() + 1
    return gpd.GeoDataFrame(
        {"id": [f"{ids[i]}#{k}" for i, k in zip(land_idx, seq, strict=True)],
         "land_id": ids[land_idx], "weight": area, "cell": pieces},
        geometry=gpd.GeoSeries(shapely.point_on_surface(pieces), crs=land.crs), crs=land.crs)


def _existing(store: Store, kinds: tuple[str, ...], district: str, epsg: int, radius_m: float,
              fields: tuple[tuple[str, str], ...] = (), *, park_tiers: bool = True,
              ) -> tuple[gpd.GeoSeries, np.ndarray, list[LayerVersion | None]]:
    """Return the built facilities of ``kinds`` (with ``fields`` values) and their radii.

    Parks serve by the GB/T 51346-2019 tiers (NaN = too small to count) when ``park_tiers``,
    else by the radius of the new sites; pocket gardens by :data:`POCKET_GARDEN_RADIUS_M`,
    other kinds by the radius of the new sites.
    """
    geoms: list[Any] = []
    radii: list[np.ndarray] = []
    versions = []
    for kind in kinds:
        frame = _built(store.read(kind, district=district)).to_crs(epsg)
        versions.append(store.version(kind, district))
        for name, value in fields:
            if name in frame.columns:
                frame = frame[frame[name].astype("object").astype(str).str.lower()
                              == value.lower()]
        if frame.empty:
            continue
        if kind == "park" and park_tiers:
            radius = get_rule("gbt51346_2019").radius_for_area(frame.geometry.area.to_numpy())
        elif kind == "pocket_garden":
            radius = np.full(len(frame), POCKET_GARDEN_RADIUS_M)
        else:
            radius = np.full(len(frame), radius_m)
        geoms.extend(frame.geometry.array)
        radii.append(radius)
    series = gpd.GeoSeries(geoms, crs=epsg)
    return series, np.concatenate(radii) if radii else np.zeros(0), versions


def _exclusions(store: Store, district: str, epsg: int) -> gpd.GeoSeries:
    """Land no new site may take: water and wetland, level-1 ecological zones, buildings, parks."""
    parts: list[Any] = []
    cover = store.read("land_cover", district=district)
    if not cover.empty:
        parts.extend(cover[cover["cover_class"].isin(["water", "wetland"])].to_crs(epsg)
                     .geometry.array)
    eco = store.read("eco_zone", district=district)
    if not eco.empty:
        parts.extend(eco[eco["control_level"] == 1].to_crs(epsg).geometry.array)
    for kind in ("building", "park", "pocket_garden"):
        frame = store.read(kind, district=district)
        if not frame.empty:
            parts.extend(frame.to_crs(epsg).geometry.array)
    return gpd.GeoSeries(parts, crs=epsg)


def plan_sites(
    store: Store,
    district: str,
    kind: str,
    *,
    count: int | None = None,
    target_share: float | None = None,
    min_count: int | None = None,
    radius_m: float | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    spacing_m: float | None = None,
    budget: float | None = None,
    zone_type: str | None = None,
    available_by: int | None = None,
    demand_cell_m: float = DEMAND_CELL_M,
    time_limit_s: float | None = None,
    plan: bool = False,
    demand: str | None = None,
    distance: str | None = None,
    question: PlanQuestion | None = None,
) -> SitingRun:
    """Return where to build new ``kind`` facilities in ``district``.

    中文：设施选址（最少设施覆盖 / 最大覆盖 / 按单元配置；现状设施保留并计入）。

    Exactly one of ``count`` (maximal cover: the best ``count`` new sites), ``target_share``
    (set cover: the fewest sites reaching that share of residential land within the radius)
    and ``min_count`` (per unit: at least that many per 街道/社区; transfer stations and
    recycling points) is given.

    Parameters
    ----------
    store, district
        The project store and the district code.
    kind
        Facility kind to site (:data:`tanmap.layers.kinds.SITING_KINDS`).
    radius_m
        Service radius of a new site (m); None = the kind's default (:data:`SITING_DEFAULTS`).
    candidates
        Candidate lots (a ``candidate_site`` frame, EPSG:4326); None = the district's
        ``candidate_site`` layer (those for ``kind`` or for any kind), else generated grid cells.
    spacing_m
        Grid spacing of generated candidates (m); None = the kind's default.
    budget
        Largest total ``cost_wan_yuan`` of the new sites.
    zone_type
        Restrict demand and candidates to this planning zone (e.g. ``core_area``).
    available_by
        Only candidates available (``available_year``) by this year.
    demand_cell_m
        Cell size of the residential-land demand units (m).
    time_limit_s
        Solver time limit (s); the result then reports the gap left.
    plan
        Ask the seed plan's own question (:data:`PLAN_QUESTIONS`): it sets the model and,
        unless given, the radius and the zone.
    demand
        What is served (:data:`DEMAND_BASES`): ``land`` residential land cells (m²), ``area``
        the whole district or zone in cells (m²), ``buildings`` residential buildings (1 each),
        ``population`` their residents (building field ``population``).
    distance
        ``straight`` (line distance) or ``network``: walked along the district's
        ``walk_network`` (:func:`tanmap.geo.siting.network_coverage_matrix`), for new and
        existing facilities alike.
    question
        A question set elsewhere (a catalog target's ``siting`` link, :func:`target_question`);
        like ``plan``, it sets the model, radius, zone, demand and field values.

    Raises
    ------
    MetricParameterError
        For an unknown kind, no model or more than one, or a model the kind does not support.
    LayerNotFoundError
        When demand (residential land) or the planning units are missing.
    UnreachableTargetError
        When the target cannot be reached, naming the demand or units no candidate serves.
    """
    if kind not in SITING_DEFAULTS:
        raise MetricParameterError(
            f"cannot site {kind!r}; kinds tanmap can site: {', '.join(SITING_KINDS)}.")
    if plan:
        question = plan_question(district, kind)
    if question is not None:
        if count is not None or target_share is not None or min_count is not None:
            raise MetricParameterError(
                f"the plan sets the question ({question.quote}); leave out "
                f"{option_hint('count', 'N')}, {option_hint('target_share', '0.95')} and "
                f"{option_hint('min_count', 'K')}, or drop the plan.")
        count, target_share, min_count = (question.count, question.target_share,
                                          question.min_count)
        radius_m = radius_m if radius_m is not None else question.radius_m
        zone_type = zone_type if zone_type is not None else question.zone_type
        demand = demand if demand is not None else question.demand
    demand_basis = demand or "land"
    distance = distance or "straight"
    if demand_basis not in DEMAND_BASES:
        raise MetricParameterError(
            f"unknown demand {demand_basis!r}; use one of {', '.join(DEMAND_BASES)} "
            f"({option_hint('demand', 'land')}).")
    if distance not in DISTANCES:
        raise MetricParameterError(
            f"unknown distance {distance!r}; use one of {', '.join(DISTANCES)} "
            f"({option_hint('distance', 'network')}).")
    given = [name for name, value in (("count", count), ("target_share", target_share),
                                      ("min_count", min_count)) if value is not None]
    if len(given) != 1:
        raise MetricParameterError(
            f"give exactly one of {option_hint('count', 'N')} (the best N new sites), "
            f"{option_hint('target_share', '0.95')} (the fewest sites reaching a share) or "
            f"{option_hint('min_count', 'K')} (at least K per unit); got "
            f"{', '.join(given) or 'none'}.")
    defaults = SITING_DEFAULTS[kind]
    model: Literal["set_cover", "max_cover", "per_unit"] = (
        "max_cover" if count is not None else "set_cover" if target_share is not None
        else "per_unit")
    if model == "per_unit" and (distance != "straight" or demand_basis != "land"):
        raise MetricParameterError(
            f"per-unit siting counts the {kind} inside each 街道/社区; demand and distance do not "
            f"apply: leave out {option_hint('demand', demand_basis)} and "
            f"{option_hint('distance', distance)}.")
    if model == "per_unit" and defaults.unit_kind is None:
        raise MetricParameterError(
            f"{kind} is sited by coverage, not per unit: give {option_hint('count', 'N')} or "
            f"{option_hint('target_share', '0.95')}.")
    if model != "per_unit" and defaults.radius_m is None and radius_m is None:
        raise MetricParameterError(
            f"{kind} is sited per unit by default: give {option_hint('min_count', '1')}, or "
            f"{option_hint('radius_m', 'M')} to site it by coverage.")
    rule = SIZE_RULES_M2.get(kind)
    if spacing_m is not None and rule is not None and spacing_m**2 > rule[1]:
        raise MetricParameterError(
            f"candidate cells of {spacing_m:g} m are {spacing_m**2:g} m², above the largest "
            f"{kind} ({rule[1]:g} m²); use a spacing of at most {math.sqrt(rule[1]):g} m.")
    silence_solver_banner()
    row = store.district(district)
    epsg = district_planning_epsg(row)
    boundary = gpd.GeoSeries([row.geometry], crs=4326).to_crs(epsg).iloc[0]
    area = boundary
    if zone_type is not None:
        zones = store.read("planning_zone", district=district).to_crs(epsg)
        zone = zone_geometry(zones, zone_type, boundary)
        if zone is None:
            raise LayerNotFoundError(
                f"district {district} has no planning zone of type {zone_type!r}; import the "
                "planning_zone layer (规划分区) or leave out "
                f"{option_hint('zone_type', zone_type)}.")
        area = zone
    radius = float(radius_m if radius_m is not None else defaults.radius_m or 0.0)
    fields = () if question is None else question.fields
    # Field values pick the facilities a per-unit rule counts (回收中转站, not 生活垃圾转运站);
    # for coverage every built facility of the kinds serves (a 街心花园 serves like a 口袋花园).
    existing, existing_radius, versions = _existing(
        store, defaults.existing, district, epsg, radius,
        fields if model == "per_unit" else (), park_tiers=defaults.park_tiers)
    lineage: list[LayerVersion | None] = list(versions)

    cands, source = _candidates(store, district, kind, epsg, candidates, available_by)
    quote = None if question is None else question.quote
    if model == "per_unit":
        run = _per_unit(store, district, kind, epsg, area, defaults, existing, cands, source,
                        spacing_m, int(min_count or 1), budget, time_limit_s, lineage)
        return replace(run, plan_quote=quote, fields=fields,
                       target_id=None if question is None else question.target_id)

    cells_in = _demand(store, district, kind, epsg, area, demand_basis, zone_type, demand_cell_m,
                       lineage)
    network = None if distance == "straight" else _network(store, district, epsg, lineage)
    if cands is None:
        baseline = build_problem(cells_in.geometry, gpd.GeoSeries([], crs=epsg), radius,
                                 existing=existing, existing_radius_m=existing_radius,
                                 network=network)
        gaps = gap_area(cells_in.geometry[~baseline.existing_covered], radius, within=area)
        spacing = spacing_m or defaults.spacing_m
        cands = generate_candidates(
            gaps, spacing, crs=epsg, exclusions=_exclusions(store, district, epsg),
            size_rule_m2=SIZE_RULES_M2.get(kind),
            detail=f"in gaps of {kind} coverage within {radius:g} m; excluding water, wetland, "
                   "eco_zone level 1, buildings, parks")
        cands = cands.assign(for_kind=kind)
        source = "grid"
    cost = _costs(cands, budget)
    problem = build_problem(cells_in.geometry, cands.geometry, radius, existing=existing,
                            existing_radius_m=existing_radius, weight=cells_in["weight"],
                            demand_ids=cells_in["id"], candidate_ids=cands["id"], cost=cost,
                            network=network)
    if model == "max_cover":
        result = max_cover(problem, int(count or 0), budget=budget, time_limit_s=time_limit_s)
    else:
        result = set_cover(problem, target_share=float(target_share or 0.0), budget=budget,
                           time_limit_s=time_limit_s)
    backup: tuple[tuple[int, ...], tuple[float, ...]] = ((), ())
    if (model == "max_cover" and question is not None and question.fill and budget is None
            and len(result.chosen) < int(count or 0)):
        backup = backup_cover(problem, result.chosen, int(count or 0) - len(result.chosen),
                              time_limit_s=time_limit_s)
        result = replace(result, extra={**result.extra, "backup_sites": len(backup[0])})
    sites = _site_rows(cands, result, epsg, weight_total=result.total_weight,
                       weight_unit=_WEIGHT_UNITS[demand_basis], backup=backup)
    after = problem.covered_by(list(result.chosen))
    served = np.where(problem.existing_covered, "before", np.where(after, "new", "no"))
    cells = gpd.GeoDataFrame({"id": cells_in["id"].to_numpy(), "land_id": cells_in["land_id"],
                              "weight": np.round(cells_in["weight"].to_numpy(), 1),
                              "served": served},
                             geometry=gpd.GeoSeries(cells_in["cell"].to_numpy(), crs=epsg))
    return SitingRun(kind, district, model, radius, result, sites,
                     _to_4326(cands), source, len(cells_in), epsg, defaults.citation,
                     _lineage(lineage), quote, cells.to_crs(4326), fields,
                     demand_basis=demand_basis, distance=distance,
                     target_id=None if question is None else question.target_id)


#: Unit of the demand weight per basis (the sites' ``gain`` column).
_WEIGHT_UNITS: dict[str, str] = {"land": "m2", "area": "m2", "buildings": "buildings",
                                 "population": "residents"}
#: Building fields that may hold residents, in order of preference (the store keeps
#: ``population``; a frame passed in may carry another).
POPULATION_FIELDS: tuple[str, ...] = ("population", "residents")


def _demand(store: Store, district: str, kind: str, epsg: int, area: Any, basis: str,
            zone_type: str | None, cell_m: float,
            lineage: list[LayerVersion | None]) -> gpd.GeoDataFrame:
    """Return the demand units: id, land_id (source feature), weight, cell (shape), geometry."""
    where = "the district" if zone_type is None else f"planning zone {zone_type!r}"
    if basis == "area":
        frame = gpd.GeoDataFrame({"id": [district if zone_type is None else zone_type]},
                                 geometry=[area], crs=epsg)
        return _demand_cells(frame, cell_m)
    if basis in ("buildings", "population"):
        homes = store.read("building", district=district)
        lineage.append(store.version("building", district))
        if homes.empty:
            raise LayerNotFoundError(
                f"district {district} has no buildings (建筑), the demand of {kind} siting by "
                f"{basis}; import the building layer or use "
                f"{option_hint('demand', 'land')}.")
        homes = homes.to_crs(epsg)
        if "use_category" in homes.columns:
            homes = homes[homes["use_category"].astype(object) == "residential"]
        inside = shapely.intersects(area, homes.geometry.representative_point().to_numpy())
        homes = homes[inside]
        if homes.empty:
            raise LayerNotFoundError(
                f"district {district} has no residential buildings (use_category residential, "
                f"住宅) inside {where}; there is no demand to serve with {kind}.")
        weight = np.ones(len(homes))
        if basis == "population":
            column = next((c for c in POPULATION_FIELDS if c in homes.columns
                           and pd.to_numeric(homes[c], errors="coerce").notna().any()), None)
            if column is None:
                raise LayerNotFoundError(
                    f"the residential buildings of {district} carry no residents: the building "
                    f"field 'population' (居住人口) is empty; fill it (import the buildings with "
                    f"a population column) or use {option_hint('demand', 'buildings')}.")
            weight = pd.to_numeric(homes[column], errors="coerce").fillna(0.0).to_numpy(float)
        ids = homes["id"].astype(str).to_numpy() if "id" in homes.columns else np.asarray(
            [f"B{i + 1}" for i in range(len(homes))], dtype=object)
        footprints = homes.geometry.to_numpy()
        return gpd.GeoDataFrame({"id": ids, "land_id": ids, "weight": weight,
                                 "cell": footprints},
                                geometry=gpd.GeoSeries(footprints, crs=epsg), crs=epsg)
    land = store.read("residential_land", district=district)
    lineage.append(store.version("residential_land", district))
    if land.empty:
        raise LayerNotFoundError(
            f"district {district} has no residential land (居住用地), the demand of {kind} "
            "siting; import the residential_land layer first.")
    land = land.to_crs(epsg)
    land = land.assign(geometry=land.geometry.intersection(area))
    land = land[~land.geometry.is_empty & (land.geometry.area > 0)]
    if land.empty:
        raise LayerNotFoundError(
            f"district {district} has no residential land (居住用地) inside {where}; there is "
            f"no demand to serve with {kind}.")
    return _demand_cells(land, cell_m)


def _network(store: Store, district: str, epsg: int,
             lineage: list[LayerVersion | None]) -> NetworkArrays:
    """Return the district's walking network as graph arrays (planning CRS)."""
    edges = store.read("walk_network", district=district)
    lineage.append(store.version("walk_network", district))
    arrays = None if edges.empty else network_arrays(edges.to_crs(epsg))
    if arrays is None or arrays.lines.size == 0:
        raise LayerNotFoundError(
            f"district {district} has no walkable walk_network (步行网络) for walking "
            "distances; import one (tanmap walk import FILE, or tanmap import-osm) or use "
            f"{option_hint('distance', 'straight')}.")
    return arrays


def _costs(cands: gpd.GeoDataFrame, budget: float | None) -> np.ndarray | None:
    if "cost_wan_yuan" not in cands.columns:
        if budget is not None:
            raise MetricParameterError(
                "a budget needs candidate costs (cost_wan_yuan, 费用 in 万元); the candidates "
                "have none.")
        return None
    cost = pd.to_numeric(cands["cost_wan_yuan"], errors="coerce")
    if cost.isna().all():
        if budget is not None:
            raise MetricParameterError(
                "a budget needs candidate costs (cost_wan_yuan); every candidate lacks one.")
        return None
    if cost.isna().any():
        missing = cands.loc[cost.isna(), "id"].astype(str).tolist()
        raise MetricParameterError(
            f"{len(missing)} candidate site(s) have no cost (cost_wan_yuan) while others do: "
            f"{', '.join(missing[:10])}; give every cost or none.")
    return np.asarray(cost.to_numpy(dtype=float), dtype=float)


def _candidates(store: Store, district: str, kind: str, epsg: int,
                given: gpd.GeoDataFrame | None, available_by: int | None,
                ) -> tuple[gpd.GeoDataFrame | None, str]:
    if given is not None:
        frame, source = given, "file"
    else:
        frame, source = store.read("candidate_site", district=district), "store"
        if frame.empty:
            return None, "grid"
    if "for_kind" in frame.columns:
        for_kind = frame["for_kind"].astype("object")
        frame = frame[for_kind.isna() | (for_kind == kind)]
    if available_by is not None and "available_year" in frame.columns:
        year = pd.to_numeric(frame["available_year"], errors="coerce")
        frame = frame[year.isna() | (year <= available_by)]
    if frame.empty:
        raise LayerNotFoundError(
            f"no candidate site for {kind} in {district} (by for_kind / available_year); add "
            "lots to the candidate_site layer, or drop it to generate candidates in the gaps.")
    frame = frame.to_crs(epsg).reset_index(drop=True)
    if "id" not in frame.columns:
        frame["id"] = [f"C{i + 1}" for i in range(len(frame))]
    return frame, source


def _to_4326(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs(4326) if frame.crs is not None else frame


def _lineage(versions: list[LayerVersion | None]) -> list[dict[str, Any]]:
    return [{"kind": str(v.kind), "district": v.district, "version": v.version,
             "updated_at": v.updated_at} for v in versions if v is not None]


_SITE_COLUMNS = ("id", "name", "area_m2", "cost_wan_yuan", "available_year", "land_use",
                 "ownership", "origin", "origin_detail", "planned_year")


def _site_rows(cands: gpd.GeoDataFrame, result: SitingResult, epsg: int, *,
               weight_total: float, units: np.ndarray | None = None,
               weight_unit: str = "m2",
               backup: tuple[tuple[int, ...], tuple[float, ...]] = ((), ()),
               ) -> gpd.GeoDataFrame:
    """Return the chosen candidates ranked by gain (EPSG:4326).

    Columns: rank, gain_m2 (m² demand) or gain with gain_unit (buildings, residents),
    gain_share; ``backup`` sites (second stage) follow with gain 0 and ``backup_gain`` (the
    weight they serve a second time).
    """
    order = list(result.chosen) + list(backup[0])
    result = replace(result, gain=tuple(result.gain) + (0.0,) * len(backup[0]))
    picked = cands.iloc[order].reset_index(drop=True)
    columns = {c: picked[c].to_numpy() for c in _SITE_COLUMNS if c in picked.columns}
    if "origin" not in columns:
        columns["origin"] = np.full(len(picked), "file", dtype=object)
    gains = np.asarray(result.gain, dtype=float)
    frame = gpd.GeoDataFrame(
        {"rank": np.arange(1, len(order) + 1), **columns,
         **({"gain_m2": np.round(gains, 1) if units is None else np.zeros(len(order))}
            if weight_unit == "m2" else
            {"gain": np.round(gains, 1), "gain_unit": np.full(len(order), weight_unit)}),
         "gain_share": gains / weight_total if weight_total and units is None
         else np.zeros(len(order)),
         **({} if units is None else {"unit_id": units[order]}),
         **({"backup_gain": np.round(np.r_[np.zeros(len(order) - len(backup[0])),
                                           np.asarray(backup[1], dtype=float)], 1)}
            if backup[0] else {})},
        geometry=picked.geometry.to_numpy(), crs=epsg)
    return frame.to_crs(4326)


def _per_unit(store: Store, district: str, kind: str, epsg: int, area: Any,
              defaults: SitingDefaults, existing: gpd.GeoSeries,
              cands: gpd.GeoDataFrame | None, source: str, spacing_m: float | None,
              min_count: int, budget: float | None, time_limit_s: float | None,
              lineage: list[LayerVersion | None]) -> SitingRun:
    unit_kind = defaults.unit_kind or "subdistrict"
    units = store.read(unit_kind, district=district)
    lineage.append(store.version(unit_kind, district))
    if units.empty:
        raise LayerNotFoundError(
            f"district {district} has no {unit_kind} layer, the units of per-unit siting of "
            f"{kind}; import it (街道/社区 boundaries) first.")
    units = units.to_crs(epsg)
    unit_ids = units["id"].astype(str).tolist()
    if cands is None:
        cands = generate_candidates(
            area, spacing_m or defaults.spacing_m, crs=epsg,
            exclusions=_exclusions(store, district, epsg),
            detail=f"whole district for {kind} per {unit_kind}; excluding water, wetland, "
                   "eco_zone level 1, buildings, parks").assign(for_kind=kind)
        source = "grid"
    cand_units = units_of(cands.geometry, units.geometry, unit_ids)
    have_units = units_of(existing, units.geometry, unit_ids)
    cost = _costs(cands, budget)
    result = per_unit_cover(cand_units, have_units, unit_ids, min_count, cost=cost,
                            budget=budget, time_limit_s=time_limit_s)
    sites = _site_rows(cands, result, epsg, weight_total=0.0, units=cand_units)
    return SitingRun(kind, district, "per_unit", None, result, sites, _to_4326(cands), source,
                     len(unit_ids), epsg, defaults.citation, _lineage(lineage))


def planned_sites_run(store: Store, district: str, question: PlanQuestion, *,
                      until: int | None = None, **options: Any) -> SitingRun | None:
    """Return what the planned ``question.kind`` features bring (the what-if, 按计划).

    中文：规划设施（如已保存的选址结果）带来的覆盖：现状与计入规划两组数字、每处增益。

    The planned (or under-construction) features with a ``planned_year`` (at most ``until``)
    and the question's field values are the candidates, all of them chosen: coverage models
    give the share with existing facilities only (``share_before``) and with the planned ones
    (``share_after``), each site ranked by the weight it adds (sites adding nothing are left
    out of ``sites``); per-unit questions give the units served before and after.
    None when nothing is planned.
    """
    from tanmap.geo.audit import PLANNED_STATUSES

    frame = store.read(question.kind, district=district)
    if frame.empty or "status" not in frame.columns:
        return None
    year = pd.to_numeric(frame.get("planned_year"), errors="coerce")
    keep = frame["status"].astype("object").isin(PLANNED_STATUSES) & year.notna()
    if until is not None:
        keep &= year <= until
    for name, value in question.fields:
        if name in frame.columns:
            keep &= frame[name].astype("object").astype(str).str.lower() == value.lower()
    planned = frame[keep]
    if planned.empty:
        return None
    columns = [c for c in ("id", "name", "planned_year", "area_m2") if c in planned.columns]
    lots = gpd.GeoDataFrame(planned[columns].assign(origin="planned"),
                            geometry=planned.geometry, crs=planned.crs)
    if question.min_count is None:
        question = replace(question, count=len(lots), target_share=None)
    run = plan_sites(store, district, question.kind, question=question, candidates=lots,
                     **options)
    return replace(run, candidate_source="planned")


def sites_for_export(run: SitingRun) -> gpd.GeoDataFrame:
    """Return the chosen sites with the run's figures on every row, for a file (EPSG:4326).

    中文：导出选址结果（每处：名次、增益、占比；并附模型、半径、前后覆盖率、目标编号）。

    Beside each site's rank and gain: ``kind``, ``model``, ``radius_m``, ``demand``,
    ``distance``, ``target_id``, ``share_before`` / ``share_after`` (coverage models; per unit:
    ``units_before`` / ``units_after``), ``mip_gap`` and ``solve_s``, so the file stands alone.
    Written with :func:`tanmap.layers.ingest.io.write_layer` (GeoJSON, GeoPackage, zipped Shapefile,
    whose ``fields.csv`` keeps the full names).
    """
    r = run.result
    figures: dict[str, Any] = {
        "kind": run.kind, "model": run.model, "radius_m": run.radius_m,
        "demand": run.demand_basis, "distance": run.distance, "target_id": run.target_id}
    if run.model == "per_unit":
        figures.update(units_before=r.existing_weight, units_after=r.covered_weight)
    else:
        figures.update(share_before=r.share_before, share_after=r.share_after)
    figures.update(mip_gap=r.mip_gap, solve_s=round(r.solve_s, 4))
    frame = run.sites.copy()
    geometry = frame.geometry.name
    for name, value in figures.items():
        frame[name] = value
    columns = [c for c in frame.columns if c != geometry] + [geometry]
    return frame[columns]


def save_planned_sites(store: Store, run: SitingRun, year: int, *,
                       author: str | None = None) -> LayerVersion:
    """Append the chosen sites to the district's ``kind`` layer as planned features (规划).

    中文：将选址结果保存为规划设施（状态“规划”，计划年份）。

    Each site keeps its candidate id (``SITE-<id>``) and records where it came from in
    ``source``; point kinds get the lot's representative point.
    """
    from tanmap.layers.kinds import SPECS, LayerKind

    if run.sites.empty:
        raise MetricParameterError("the siting run chose no new site; nothing to save.")
    spec = SPECS[LayerKind(run.kind)]
    geoms = run.sites.geometry
    if spec.geometry.value == "point":
        geoms = geoms.to_crs(run.planning_epsg).representative_point().to_crs(4326)
    frame = gpd.GeoDataFrame(
        {"id": [f"SITE-{i}" for i in run.sites["id"].astype(str)],
         "name": [f"选址 {r}" for r in run.sites["rank"]],
         "status": "planned", "planned_year": int(year),
         "source": f"tanmap site {run.model} ({run.candidate_source} candidates)"},
        geometry=geoms.to_numpy(), crs=4326)
    if "area_m2" in {f.name for f in spec.fields} and "area_m2" in run.sites.columns:
        frame["area_m2"] = run.sites["area_m2"].to_numpy()
    for name, value in run.fields:
        frame[name] = value == "true" if SPECS[LayerKind(run.kind)].get_field(
            name).dtype == "bool" else value
    if run.kind == "charging_station":
        frame["access"] = "public"
    if run.kind == "park":
        frame["park_class"] = "G14"
    return store.write(run.kind, frame, district=run.district, mode="append",
                       source=f"tanmap site ({run.model})", author=author)

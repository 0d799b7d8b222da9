"""Living circles (生活圈): which required facilities each home reaches on foot (GB 50180-2018).

GB 50180-2018 城市居住区规划设计标准 grades residential areas by walking distance: the
15-minute living circle (800–1000 m), the 10-minute (500 m) and the 5-minute (300 m), each
with the facilities (配套设施) a residence should reach. Per residential building and per
required facility type, one multi-source walk from all facilities of that type
(:func:`tanmap.geo.walking.walking_reach`, exact partial edges, off-network legs at both ends)
says whether the type is reached within the level's distance.

The facility types are the codes of the ``living_circle_facility`` layer (school,
kindergarten, clinic, market, elderly_care, sports_ground): the standard's finer classes
(小学 vs 初中, 卫生服务中心 vs 卫生服务站) are not separated by that layer, so a level names
the coarse type and its label says which facility of the standard it stands for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tanmap.geo.metric import MetricContext, MetricDef, MetricResult, params_to_dict
from tanmap.geo.walking import AccessPoints, attach, graph_arrays, walking_reach

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "FACILITY_LABELS",
    "LIVING_CIRCLE_RULES",
    "METRIC_DEFS",
    "LivingCircleLevel",
    "LivingCircleParams",
    "LivingCircleReport",
    "LivingCircleRule",
    "living_circle_reach",
]


@dataclass(frozen=True)
class LivingCircleLevel:
    """One level of a living-circle rule: walking distance and required facility types.

    Attributes
    ----------
    minutes
        5, 10 or 15.
    walk_m
        Walking distance (m) within which each required facility must be reached.
    facility_types
        ``living_circle_facility.facility_type`` codes required at this level.
    zh, en
        Names of the level.
    """

    minutes: int
    walk_m: float
    facility_types: tuple[str, ...]
    zh: str
    en: str


@dataclass(frozen=True)
class LivingCircleRule:
    """A versioned living-circle rule set (citation, levels).

    Attributes
    ----------
    id, version
        Rule id and version (results name both).
    clause
        Where the distances and facility lists come from.
    levels
        Levels by minutes.
    verify
        Statements still to check against the printed standard.
    """

    id: str
    version: int
    clause: str
    levels: Mapping[int, LivingCircleLevel]
    verify: tuple[str, ...] = ()

    @property
    def citation(self) -> str:
        """Return the rule string stored with results."""
        return f"{self.clause} (tanmap rule {self.id} v{self.version})"


#: What each facility code stands for at each level (标准中的设施名称).
FACILITY_LABELS: dict[str, tuple[str, str]] = {
    "school": ("中小学（15分钟：初中；10分钟：小学）",
               "School (15-min: middle school; 10-min: primary school)"),
    "kindergarten": ("幼儿园", "Kindergarten"),
    "clinic": ("社区卫生服务中心/站", "Community health centre / station"),
    "market": ("菜市场或生鲜超市", "Food market or fresh-food supermarket"),
    "elderly_care": ("养老院/老年人日间照料中心", "Care home / elderly day care"),
    "sports_ground": ("多功能运动场地", "Multi-purpose sports ground"),
}

#: GB 50180-2018: walking distances of Table 3.0.4 (居住区分级控制规模: 15-min 800–1000 m, the
#: upper value used; 10-min 500 m; 5-min 300 m) and facilities of Appendix B (配套设施设置规定).
LIVING_CIRCLE_RULES: dict[str, LivingCircleRule] = {
    "gb50180_2018": LivingCircleRule(
        id="gb50180_2018",
        version=1,
        clause="GB 50180-2018 表3.0.4（步行距离）、附录B 表B.0.1（配套设施）",
        levels={
            15: LivingCircleLevel(15, 1000.0, ("school", "clinic", "sports_ground",
                                              "elderly_care"),
                                  "十五分钟生活圈", "15-minute living circle"),
            10: LivingCircleLevel(10, 500.0, ("school", "market", "sports_ground"),
                                  "十分钟生活圈", "10-minute living circle"),
            5: LivingCircleLevel(5, 300.0, ("kindergarten", "elderly_care", "clinic"),
                                 "五分钟生活圈", "5-minute living circle"),
        },
        verify=("table and appendix numbers of GB 50180-2018",
                "facility lists per level follow common practice (DOMAIN.md §10)"),
    ),
}


@dataclass(frozen=True)
class LivingCircleParams:
    """Parameters of the ``living_circle`` metric.

    中文：生活圈设施步行可达参数。
    """

    level: int = 15
    rule: str = "gb50180_2018"
    walk_m: float | None = None
    facility_types: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.rule not in LIVING_CIRCLE_RULES:
            problems.append(f"rule {self.rule!r} is not one of {sorted(LIVING_CIRCLE_RULES)}")
        elif int(self.level) not in LIVING_CIRCLE_RULES[self.rule].levels:
            problems.append(f"level {self.level!r} is not one of "
                            f"{sorted(LIVING_CIRCLE_RULES[self.rule].levels)} (minutes)")
        if self.walk_m is not None and not (self.walk_m > 0 and math.isfinite(self.walk_m)):
            problems.append(f"walk_m must be a finite number > 0 metres, got {self.walk_m!r}")
        if self.facility_types is not None:
            if isinstance(self.facility_types, str):
                object.__setattr__(self, "facility_types", (self.facility_types,))
            bad = [t for t in self.facility_types or () if t not in FACILITY_LABELS]
            if bad or not self.facility_types:
                problems.append(f"facility_types {bad or '(none)'} not among "
                                f"{sorted(FACILITY_LABELS)}")
        if problems:
            raise ValueError("; ".join(problems))
        object.__setattr__(self, "level", int(self.level))

    @property
    def required_margin_m(self) -> float:
        """Return how far beyond the district facilities and streets must be loaded."""
        return self.level_def().walk_m

    def level_def(self) -> LivingCircleLevel:
        """Return the level with the overrides applied."""
        base = LIVING_CIRCLE_RULES[self.rule].levels[self.level]
        return LivingCircleLevel(
            base.minutes, self.walk_m if self.walk_m is not None else base.walk_m,
            tuple(self.facility_types) if self.facility_types else base.facility_types,
            base.zh, base.en,
        )


@dataclass(frozen=True)
class LivingCircleReport:
    """Which required facility types each residential building reaches on foot.

    Attributes
    ----------
    reached
        Boolean frame, one column per required type, one row per counted building.
    share_all
        Share of buildings reaching every required type (None without buildings).
    share_by_type
        Share reaching each type.
    buildings
        The counted buildings with ``reached_all``, ``missing`` (codes, comma-separated),
        ``missing_zh`` and one ``walk_<type>_m`` column (inf = not within the distance).
    """

    reached: pd.DataFrame
    share_all: float | None
    share_by_type: dict[str, float | None]
    buildings: gpd.GeoDataFrame


def living_circle_reach(
    buildings: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    level: LivingCircleLevel,
    *,
    district: shapely.Geometry | None = None,
) -> LivingCircleReport:
    """Return, per residential building, which required facility types it reaches on foot.

    中文：生活圈配套设施步行可达（逐栋住宅、逐类设施）。

    Parameters
    ----------
    buildings
        Buildings (``use_category == "residential"`` counted; all without the column), planning
        CRS; inside ``district`` by representative point.
    facilities
        ``living_circle_facility`` points with ``facility_type``, same CRS.
    edges
        ``walk_network`` edges, same CRS.
    level
        The level (distance and required types).
    district
        District polygon, or None.
    """
    homes = buildings
    if "use_category" in homes.columns:
        homes = homes[homes["use_category"].astype(object) == "residential"]
    if district is not None and len(homes):
        homes = homes[shapely.covered_by(shapely.point_on_surface(homes.geometry.to_numpy()),
                                         district)]

    def col(name: str) -> np.ndarray | None:
        return edges[name].astype(object).to_numpy() if name in edges.columns else None

    net = graph_arrays(edges.geometry.to_numpy(), col("from_node"), col("to_node"),
                       col("walkable"))
    targets = attach(homes.geometry.to_numpy(), net.lines, net.length_m)
    types = facilities["facility_type"].astype(object).to_numpy() if len(facilities) else (
        np.zeros(0, dtype=object))
    walks: dict[str, np.ndarray] = {}
    for ftype in level.facility_types:
        pts = facilities.geometry.to_numpy()[types == ftype] if len(facilities) else (
            np.zeros(0, dtype=object))
        at = attach(pts, net.lines, net.length_m)
        ok = at.edge >= 0
        sources = AccessPoints(
            park=np.arange(int(ok.sum())), origin=np.full(int(ok.sum()), "facility", object),
            entrance=np.arange(int(ok.sum())), geometry=at.point[ok], edge=at.edge[ok],
            offset_m=at.offset_m[ok], gap_m=at.gap_m[ok],
        )
        walks[ftype] = walking_reach(net.from_node, net.to_node, net.length_m, net.n_nodes,
                                     sources, targets, level.walk_m).distance_m
    reached = pd.DataFrame({t: np.isfinite(w) for t, w in walks.items()}, index=homes.index)
    all_ok = reached.all(axis=1).to_numpy() if len(reached.columns) else np.ones(len(homes), bool)
    n = len(homes)
    out = gpd.GeoDataFrame(homes[["id"]].copy() if "id" in homes.columns else
                           pd.DataFrame(index=homes.index),
                           geometry=homes.geometry, crs=homes.crs)
    out["reached_all"] = all_ok
    missing = [[t for t in level.facility_types if not reached.at[i, t]] for i in homes.index]
    out["missing"] = [",".join(m) for m in missing]
    out["missing_zh"] = ["、".join(FACILITY_LABELS[t][0] for t in m) for m in missing]
    for t, w in walks.items():
        out[f"walk_{t}_m"] = np.where(np.isfinite(w), w, np.nan)
    return LivingCircleReport(
        reached=reached,
        share_all=float(all_ok.mean()) if n else None,
        share_by_type={t: (float(reached[t].mean()) if n else None) for t in reached.columns},
        buildings=out,
    )


def _per_unit(units: Mapping[str, gpd.GeoDataFrame], homes: gpd.GeoDataFrame
              ) -> pd.DataFrame | None:
    tables = []
    points = shapely.point_on_surface(homes.geometry.to_numpy())
    ok = homes["reached_all"].to_numpy()
    for kind, frame in units.items():
        tree = shapely.STRtree(frame.geometry.to_numpy())
        pi, ui = tree.query(points, predicate="within")
        n = len(frame)
        total = np.bincount(ui, minlength=n)
        good = np.bincount(ui, weights=ok[pi].astype(float), minlength=n)
        tables.append(pd.DataFrame({
            "unit_kind": kind,
            "unit_id": frame["id"].astype(object).to_numpy() if "id" in frame else np.arange(n),
            "unit_name": frame["name"].astype(object).to_numpy() if "name" in frame else None,
            "buildings": total, "reached_all": good.astype(int),
            "share": np.where(total > 0, good / np.where(total > 0, total, 1), np.nan),
        }))
    return pd.concat(tables, ignore_index=True) if tables else None


def _compute(frames: Mapping[str, gpd.GeoDataFrame], params: LivingCircleParams,
             context: MetricContext) -> MetricResult:
    rule = LIVING_CIRCLE_RULES[params.rule]
    level = params.level_def()
    report = living_circle_reach(frames["building"], frames["living_circle_facility"],
                                 frames["walk_network"], level, district=context.district)
    units = {k: v for k, v in context.units.items() if v is not None and len(v)}
    missing_layer = report.buildings[~report.buildings["reached_all"]].reset_index(drop=True)
    facilities = frames["living_circle_facility"]
    counts = (facilities["facility_type"].astype(object).value_counts().to_dict()
              if len(facilities) else {})
    details: dict[str, Any] = {
        "level": level.minutes, "level_zh": level.zh, "level_en": level.en,
        "walk_m": level.walk_m, "facility_types": list(level.facility_types),
        "facility_labels": {t: FACILITY_LABELS[t][0] for t in level.facility_types},
        "buildings": len(report.buildings),
        "buildings_reached_all": int(report.buildings["reached_all"].sum()),
        "share_by_type": report.share_by_type,
        "facilities_by_type": {t: int(counts.get(t, 0)) for t in level.facility_types},
        "rule": {"id": rule.id, "version": rule.version, "citation": rule.clause,
                 "verify": list(rule.verify)},
        "method": "multi-source Dijkstra per facility type on the walk_network "
                  "(scipy.sparse.csgraph), nearest-edge legs at both ends",
    }
    return MetricResult(
        name="living_circle", value=report.share_all, unit="share",
        params=params_to_dict(params), rule=rule.citation, details=details,
        per_unit=_per_unit(units, report.buildings),
        layers={"missing_facilities": missing_layer, "buildings_reach": report.buildings},
    )


METRIC_DEFS: tuple[MetricDef, ...] = (
    MetricDef(
        name="living_circle", zh="生活圈配套设施步行可达率",
        en="Living-circle facilities reached on foot",
        inputs=("building", "living_circle_facility", "walk_network"),
        params=LivingCircleParams, compute=_compute, unit="share",
        margin_m=max(lv.walk_m for r in LIVING_CIRCLE_RULES.values() for lv in r.levels.values()),
    ),
)

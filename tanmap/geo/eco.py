"""Ecological barrier zones (生态屏障区): 蓝绿空间占比 and 森林覆盖率 per control level."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tanmap.geo.crs import require_projected
from tanmap.geo.errors import MetricParameterError
from tanmap.geo.metric import MetricContext, MetricDef, MetricResult, params_to_dict

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from shapely.geometry.base import BaseGeometry

__all__ = [
    "BLUE_GREEN_CLASSES",
    "CONTROL_LEVELS",
    "FARMLAND_CLASS",
    "FOREST_CLASSES",
    "FOREST_MIN_CANOPY_CLOSURE",
    "LAND_COVER_SOURCES",
    "METRIC_DEFS",
    "BlueGreenShareParams",
    "ForestCoverParams",
    "blue_green_classes",
    "class_areas_m2",
    "class_share",
    "forest_area_m2",
]

#: 蓝绿空间 = water + wetland + forest + shrub + grass/green land (DOMAIN.md §6; 天津双城生态屏障区
#: 规划). Whether farmland counts is the caller's decision: see :func:`blue_green_classes`.
BLUE_GREEN_CLASSES: tuple[str, ...] = ("water", "wetland", "forest", "shrub", "grass")
#: Farmland (耕地): in 蓝绿空间 only with ``count_farmland=True``.
FARMLAND_CLASS = "farmland"
#: Classes that are forest (森林) for 森林覆盖率 (乔木林; add "shrub" for 特别规定灌木林).
FOREST_CLASSES: tuple[str, ...] = ("forest",)
#: 乔木林 needs canopy closure (郁闭度) >= 0.2: definition of 有林地 in
#: 国家森林资源连续清查技术规定 (2014).
FOREST_MIN_CANOPY_CLOSURE = 0.2
#: 生态屏障区 管控等级 一级/二级/三级.
CONTROL_LEVELS: tuple[int, ...] = (1, 2, 3)
#: Where ``forest_cover`` and ``blue_green_share`` read land cover (``land_cover_source``):
#: ``auto`` = the vector ``land_cover`` layer when it has features (a survey such as 国土调查,
#: which carries 郁闭度), else the district's land-cover raster, else the vector layer (known
#: empty: 0; never loaded: 数据不足); ``vector`` / ``raster`` force one. The runner resolves it.
LAND_COVER_SOURCES: tuple[str, ...] = ("auto", "vector", "raster")
#: What a result says about its source when the vector layer was read.
VECTOR_SOURCE_LABEL = "vector land_cover layer (土地覆盖矢量图层)"


def blue_green_classes(*, count_farmland: bool = False) -> tuple[str, ...]:
    """Return the land-cover classes counted as 蓝绿空间.

    中文：蓝绿空间地类（是否计入耕地为显式设置）。

    Examples
    --------
    >>> blue_green_classes(count_farmland=True)[-1]
    'farmland'
    """
    return (*BLUE_GREEN_CLASSES, FARMLAND_CLASS) if count_farmland else BLUE_GREEN_CLASSES


def class_areas_m2(
    zones: gpd.GeoSeries, land_cover: gpd.GeoDataFrame, *, class_field: str = "cover_class"
) -> pd.DataFrame:
    """Return the area (m²) of each land-cover class inside each zone (exact polygon overlay).

    中文：分区各地类面积（矢量叠加）。

    Land-cover polygons are taken to be a partition; overlapping ones count twice.

    Returns
    -------
    DataFrame
        Indexed like ``zones``, one column per class present, m².

    Raises
    ------
    GeographicCRSError
        If the inputs are in degrees.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> zones = gpd.GeoSeries([box(0, 0, 4, 4)], crs=4548)
    >>> lc = gpd.GeoDataFrame({"cover_class": ["water", "forest"]},
    ...     geometry=[box(0, 0, 1, 4), box(1, 0, 6, 1)], crs=4548)
    >>> class_areas_m2(zones, lc).to_dict("records")
    [{'forest': 3.0, 'water': 4.0}]
    """
    require_projected(zones, what="zones")
    require_projected(land_cover.geometry, what="land cover")
    classes = sorted(land_cover[class_field].dropna().astype(str).unique().tolist())
    out = pd.DataFrame(0.0, index=zones.index, columns=classes)
    if len(zones) == 0 or len(land_cover) == 0:
        return out
    zone_pos, lc_pos = land_cover.sindex.query(zones.to_numpy(), predicate="intersects")
    pieces = shapely.intersection(land_cover.geometry.to_numpy()[lc_pos],
                                  zones.to_numpy()[zone_pos])
    frame = pd.DataFrame({
        "zone": zone_pos,
        "cls": land_cover[class_field].astype(str).to_numpy()[lc_pos],
        "area": shapely.area(pieces),
    })
    table = frame.pivot_table(index="zone", columns="cls", values="area", aggfunc="sum")
    values = out.to_numpy(copy=True)
    for j, cls in enumerate(classes):
        if cls in table.columns:
            col = table[cls].fillna(0.0)
            values[col.index.to_numpy(), j] = col.to_numpy()
    return pd.DataFrame(values, index=zones.index, columns=classes)


def class_share(
    areas_m2: Mapping[str, float], zone_area_m2: float, classes: Sequence[str]
) -> float | None:
    """Return the share of a zone covered by ``classes`` given per-class areas (m²).

    中文：地类面积占比（由分类面积计算，矢量与栅格两条路径共用）。

    Works for both paths: polygon overlay (:func:`class_areas_m2`) and exact raster cell
    fractions (``tanmap.layers.raster.zonal.raster_class_areas_m2``). None when the zone has no
    area.

    Examples
    --------
    >>> class_share({"water": 4.0, "forest": 3.0, "built": 9.0}, 16.0, ("water", "forest"))
    0.4375
    """
    if zone_area_m2 <= 0:
        return None
    covered = sum(float(areas_m2.get(c, 0.0)) for c in classes)
    return min(covered / zone_area_m2, 1.0)


def forest_area_m2(
    zone: BaseGeometry,
    land_cover: gpd.GeoDataFrame,
    *,
    forest_classes: Sequence[str] = FOREST_CLASSES,
    min_canopy_closure: float = FOREST_MIN_CANOPY_CLOSURE,
) -> tuple[float, float]:
    """Return (forest area m², growing stock m³) inside ``zone``.

    中文：森林面积与森林蓄积量。

    A polygon counts as forest when its class is in ``forest_classes`` and its
    ``canopy_closure`` is at least ``min_canopy_closure`` (a missing closure is taken as
    qualifying: the survey classed it forest). Stock (``stock_m3``) is split pro rata by area.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> lc = gpd.GeoDataFrame({"cover_class": ["forest", "forest"], "canopy_closure": [0.5, 0.1],
    ...     "stock_m3": [100.0, 50.0]}, geometry=[box(0, 0, 2, 2), box(2, 0, 4, 2)], crs=4548)
    >>> forest_area_m2(box(1, 0, 4, 2), lc)
    (2.0, 50.0)
    """
    require_projected(land_cover.geometry, what="land cover")
    forest = land_cover.loc[land_cover["cover_class"].astype(object).isin(list(forest_classes))]
    if "canopy_closure" in forest.columns:
        closure = pd.to_numeric(forest["canopy_closure"], errors="coerce")
        forest = forest.loc[(closure.isna() | (closure >= min_canopy_closure)).to_numpy()]
    if len(forest) == 0:
        return 0.0, 0.0
    geoms = forest.geometry.to_numpy()
    inside = shapely.area(shapely.intersection(geoms, zone))
    full = shapely.area(geoms)
    stock = 0.0
    if "stock_m3" in forest.columns:
        s = pd.to_numeric(forest["stock_m3"], errors="coerce").fillna(0.0).to_numpy()
        frac = np.divide(inside, full, out=np.zeros_like(inside), where=full > 0)
        stock = float((s * frac).sum())
    return float(inside.sum()), stock


# --------------------------------------------------------------------------------------------
# Metric definitions


def _check_source(source: str) -> None:
    if source not in LAND_COVER_SOURCES:
        raise MetricParameterError(
            f"land_cover_source must be one of {', '.join(LAND_COVER_SOURCES)}, got {source!r}")


def _check_level(level: int | None) -> None:
    if level is not None and level not in CONTROL_LEVELS:
        raise MetricParameterError(
            f"control_level must be one of {list(CONTROL_LEVELS)} or empty (all levels), "
            f"got {level}"
        )


@dataclass(frozen=True)
class BlueGreenShareParams:
    """Parameters of ``blue_green_share`` (东丽: 屏障区 65 %, 一级管控区 85 %).

    中文：蓝绿空间占比参数。

    Parameters
    ----------
    control_level
        管控等级 1, 2 or 3; None: every eco zone (the whole 屏障区).
    count_farmland
        Count farmland (耕地) as 蓝绿空间.
    classes
        Replace the class mapping entirely (``cover_class`` values); empty: the default.
    land_cover_source
        ``auto`` (vector layer with features, else the land-cover raster), ``vector`` or
        ``raster`` (:data:`LAND_COVER_SOURCES`).
    """

    control_level: int | None = None
    count_farmland: bool = False
    classes: tuple[str, ...] = ()  # override the class mapping entirely (empty: the default)
    land_cover_source: Literal["auto", "vector", "raster"] = "auto"

    def __post_init__(self) -> None:
        _check_level(self.control_level)
        _check_source(self.land_cover_source)


@dataclass(frozen=True)
class ForestCoverParams:
    """Parameters of ``forest_cover``.

    中文：森林覆盖率参数。

    Parameters
    ----------
    control_level
        管控等级 of the eco zones measured; None: the whole district.
    forest_classes
        ``cover_class`` values that are forest.
    min_canopy_closure
        Minimum 郁闭度 for a forest polygon to count (missing values count). A class raster has
        no 郁闭度: on the raster path every forest cell counts.
    land_cover_source
        ``auto`` (vector layer with features, else the land-cover raster), ``vector`` or
        ``raster`` (:data:`LAND_COVER_SOURCES`).
    """

    control_level: int | None = None
    forest_classes: tuple[str, ...] = FOREST_CLASSES
    min_canopy_closure: float = FOREST_MIN_CANOPY_CLOSURE
    land_cover_source: Literal["auto", "vector", "raster"] = "auto"

    def __post_init__(self) -> None:
        _check_level(self.control_level)
        _check_source(self.land_cover_source)
        if not 0 <= self.min_canopy_closure <= 1:
            raise MetricParameterError(
                f"min_canopy_closure must be in [0, 1], got {self.min_canopy_closure}"
            )


def _zone_union(eco: gpd.GeoDataFrame, level: int | None, district: BaseGeometry) -> BaseGeometry:
    """Dissolve the eco zones of ``level`` (all when None), clipped to the district."""
    if level is not None:
        levels = pd.to_numeric(eco["control_level"], errors="coerce")
        eco = eco.loc[(levels == level).to_numpy()]
    if len(eco) == 0:
        return shapely.Polygon()
    return shapely.intersection(eco.geometry.union_all(), district)


def _raster_covered_share(areas: pd.Series, zone_m2: float) -> float | None:
    """Share of the zone the raster's valid cells cover (nodata and outside count as not)."""
    return min(float(areas.sum()) / zone_m2, 1.0) if zone_m2 > 0 else None


def _compute_blue_green(frames: Mapping[str, gpd.GeoDataFrame], params: BlueGreenShareParams,
                        context: MetricContext) -> MetricResult:
    name = "blue_green_share"
    raster = context.land_cover_areas
    needed = ("eco_zone",) if raster is not None else ("eco_zone", "land_cover")
    missing = [k for k in needed if k not in frames]
    if missing:
        return MetricResult(name=name, value=None, unit="share", params=params_to_dict(params),
                            missing=tuple(missing))
    eco = frames["eco_zone"]
    classes = params.classes or blue_green_classes(count_farmland=params.count_farmland)
    levels: list[int | None] = [None, *CONTROL_LEVELS]
    zones = gpd.GeoSeries([_zone_union(eco, lv, context.district) for lv in levels],
                          crs=eco.crs)
    areas = (class_areas_m2(zones, frames["land_cover"]) if raster is None
             else raster(zones).reindex(zones.index).fillna(0.0))
    shares: dict[str, float | None] = {}
    for i, lv in enumerate(levels):
        shares["all" if lv is None else f"level_{lv}"] = class_share(
            areas.iloc[i].to_dict(), float(zones.iloc[i].area), classes)
    pos = levels.index(params.control_level)
    value = shares["all" if params.control_level is None else f"level_{params.control_level}"]
    zone_m2 = float(zones.iloc[pos].area)
    details: dict[str, object] = {
        "zone_area_m2": zone_m2,
        "class_areas_m2": {k: float(v) for k, v in areas.iloc[pos].items()},
        "blue_green_classes": list(classes),
        "share_by_level": shares,
        "land_cover_source": VECTOR_SOURCE_LABEL if raster is None else raster.label,
    }
    if raster is not None:
        details["raster_covered_share"] = _raster_covered_share(areas.iloc[pos], zone_m2)
    source = "" if raster is None else "; 土地覆盖栅格 land-cover raster"
    return MetricResult(
        name=name, value=value, unit="share", params=params_to_dict(params),
        rule=f"蓝绿空间 = {'+'.join(classes)}{source} (tanmap rule v1)",
        details=details,
        missing=() if value is not None else ("eco_zone",),
    )


def _compute_forest(frames: Mapping[str, gpd.GeoDataFrame], params: ForestCoverParams,
                    context: MetricContext) -> MetricResult:
    name = "forest_cover"
    raster = context.land_cover_areas
    needed = ([] if raster is not None else ["land_cover"]) + (
        ["eco_zone"] if params.control_level is not None else [])
    missing = [k for k in needed if k not in frames]
    if missing:
        return MetricResult(name=name, value=None, unit="share", params=params_to_dict(params),
                            missing=tuple(missing))
    zone = (context.district if params.control_level is None
            else _zone_union(frames["eco_zone"], params.control_level, context.district))
    land_m2 = float(zone.area)
    details: dict[str, object]
    if raster is None:
        forest_m2, stock_m3 = forest_area_m2(
            zone, frames["land_cover"], forest_classes=params.forest_classes,
            min_canopy_closure=params.min_canopy_closure,
        )
        details = {"forest_area_m2": forest_m2, "land_area_m2": land_m2,
                   "growing_stock_m3": stock_m3, "land_cover_source": VECTOR_SOURCE_LABEL}
        rule = "森林覆盖率 = 森林面积 / 土地总面积 (郁闭度 >= 0.2; tanmap rule v1)"
    else:
        areas = raster(_zone_series(zone, context.planning_epsg)).iloc[0]
        forest_m2 = float(sum(float(areas.get(c, 0.0)) for c in params.forest_classes))
        details = {
            "forest_area_m2": forest_m2, "land_area_m2": land_m2, "growing_stock_m3": None,
            "land_cover_source": raster.label,
            "class_areas_m2": {str(k): float(v) for k, v in areas.items()},
            "raster_covered_share": _raster_covered_share(areas, land_m2),
            "canopy_closure_rule": ("not applied: a class raster has no 郁闭度; every "
                                    f"{'/'.join(params.forest_classes)} cell counts"),
        }
        rule = ("森林覆盖率 = 森林面积 / 土地总面积 (土地覆盖栅格：林地像元计入，未判郁闭度; "
                "tanmap rule v1)")
    value = min(forest_m2 / land_m2, 1.0) if land_m2 > 0 else None
    return MetricResult(
        name=name, value=value, unit="share", params=params_to_dict(params), rule=rule,
        details=details,
        missing=() if value is not None else ("eco_zone",),
    )


def _zone_series(zone: BaseGeometry, epsg: int) -> gpd.GeoSeries:
    return gpd.GeoSeries([zone], crs=epsg)


METRIC_DEFS: tuple[MetricDef, ...] = (
    MetricDef(name="blue_green_share", zh="蓝绿空间占比", en="Blue-green space share",
              inputs=("eco_zone", "land_cover"), params=BlueGreenShareParams,
              compute=_compute_blue_green, unit="share"),
    MetricDef(name="forest_cover", zh="森林覆盖率", en="Forest cover", inputs=("land_cover",),
              optional_inputs=("eco_zone",), params=ForestCoverParams, compute=_compute_forest,
              unit="share"),
)

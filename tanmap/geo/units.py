"""Per-unit rules (每个社区/街道至少N处) and feature counts, lengths and area shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

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
    "METRIC_DEFS",
    "UNIT_KINDS",
    "AreaShareParams",
    "FeatureCountParams",
    "FeatureLengthParams",
    "IndicatorParams",
    "PerUnitMinCountParams",
    "anchor_points",
    "area_share",
    "assign_to_units",
    "count_per_unit",
    "length_km_per_unit",
    "measure_within",
    "per_unit_min_count",
    "select_features",
    "zone_geometry",
]

#: Unit kinds a per-unit rule can be evaluated over (layer kind values).
UNIT_KINDS: tuple[str, ...] = ("community", "subdistrict")

#: Minimum features per unit when a plan says "每个社区至少一处" (e.g. 再生资源回收点, 和平 seed).
DEFAULT_MIN_COUNT_PER_UNIT = 1


def _match_values(column: pd.Series, values: Sequence[str]) -> np.ndarray:
    """Return where ``column`` equals one of ``values``, compared as lower-case text.

    Booleans compare as ``"true"``/``"false"`` so ``connected=true`` works from the command line.
    """
    wanted = {str(v).strip().lower() for v in values}
    text = column.map(lambda v: None if pd.isna(v) else str(v).strip().lower())
    return np.asarray(text.isin(wanted).to_numpy(dtype=bool))


def select_features(
    features: gpd.GeoDataFrame,
    *,
    statuses: Sequence[str] = (),
    field: str | None = None,
    values: Sequence[str] = (),
    year_field: str = "completion_year",
    since_year: int | None = None,
    until_year: int | None = None,
    where: Mapping[str, Any] | None = None,
    exclude: Mapping[str, Any] | None = None,
    name_contains: Sequence[str] = (),
) -> gpd.GeoDataFrame:
    """Return the features passing the status, field-value, name and year filters.

    中文：按状态、字段取值和年份筛选要素。

    Parameters
    ----------
    features
        Any layer.
    statuses
        Keep features whose ``status`` is one of these; empty keeps all.
    field, values
        Keep features whose ``field`` equals one of ``values`` (compared as lower-case text, so a
        boolean field matches ``"true"``); ``field=None`` keeps all.
    year_field
        Year column used by ``since_year`` / ``until_year``.
    since_year, until_year
        Inclusive year range; features with no year are dropped when a bound is given (a feature of
        unknown date cannot be shown to be new).
    where
        Further filters ``{field: value or [values]}``, all of which must hold (e.g. riverside
        *and* connected greenways).
    exclude
        ``{field: [values]}``: drop features whose field has one of these values (a null is kept).
    name_contains
        Keep features whose ``name`` contains one of these texts (named projects such as
        程林公园); empty keeps all.

    Raises
    ------
    KeyError
        If ``field`` (or ``year_field`` with a bound) is not a column; the message lists the
        columns.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> gdf = gpd.GeoDataFrame(
    ...     {"status": ["existing", "planned", None], "completion_year": [2019, 2024, None]},
    ...     geometry=[Point(0, 0), Point(1, 0), Point(2, 0)], crs=4548)
    >>> len(select_features(gdf, statuses=("existing", "planned"), since_year=2020))
    1
    """
    keep = np.ones(len(features), dtype=bool)
    if statuses:
        if "status" in features.columns:
            keep &= _match_values(features["status"], statuses)
        else:
            keep[:] = False
    checks = [(field, field is not None), (year_field, bool(since_year or until_year)),
              ("name", bool(name_contains))]
    checks += [(k, True) for k in (*(where or {}), *(exclude or {}))]
    for name, needed in checks:
        if needed and name not in features.columns:
            raise KeyError(
                f"field {name!r} is not in the layer; its columns are "
                f"{[c for c in features.columns if c != features.geometry.name]}"
            )
    if field is not None:
        keep &= _match_values(features[field], values)
    for column, wanted in (where or {}).items():
        keep &= _match_values(features[column], _as_list(wanted))
    for column, unwanted in (exclude or {}).items():
        keep &= ~_match_values(features[column], _as_list(unwanted))
    if name_contains:
        names = features["name"].map(lambda v: "" if pd.isna(v) else str(v))
        hit = np.zeros(len(features), dtype=bool)
        for text in name_contains:
            hit |= names.str.contains(str(text), regex=False).to_numpy(dtype=bool)
        keep &= hit
    if since_year is not None or until_year is not None:
        years = pd.to_numeric(features[year_field], errors="coerce").to_numpy(dtype=float)
        ok = ~np.isnan(years)
        if since_year is not None:
            ok &= years >= since_year
        if until_year is not None:
            ok &= years <= until_year
        keep &= ok
    return features.loc[keep]


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


def zone_geometry(
    zones: gpd.GeoDataFrame | None, zone_type: str, district: BaseGeometry
) -> BaseGeometry | None:
    """Return the part of the district inside planning zones of ``zone_type`` (None: no zone).

    中文：规划分区范围（城区核心区/中心城区/建成区）与区界的交集。

    Examples
    --------
    >>> from shapely.geometry import box
    >>> zones = gpd.GeoDataFrame({"zone_type": ["central_urban", "built_up"]},
    ...     geometry=[box(0, 0, 5, 10), box(0, 0, 10, 10)], crs=4548)
    >>> zone_geometry(zones, "central_urban", box(0, 0, 10, 10)).area
    50.0
    >>> zone_geometry(zones, "core_area", box(0, 0, 10, 10)) is None
    True
    """
    if zones is None or len(zones) == 0 or "zone_type" not in zones.columns:
        return None
    chosen = zones.loc[_match_values(zones["zone_type"], [zone_type])]
    if len(chosen) == 0:
        return None
    area = shapely.intersection(chosen.geometry.union_all(), district)
    return None if area.is_empty else area


def anchor_points(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Return one point on each feature: the point, a line's midpoint, a polygon's inner point.

    中文：要素锚点（用于归属街道/社区）。

    Examples
    --------
    >>> from shapely.geometry import LineString, box
    >>> s = gpd.GeoSeries([LineString([(0, 0), (4, 0)]), box(0, 0, 2, 2)], crs=4548)
    >>> [p.wkt for p in anchor_points(s)]
    ['POINT (2 0)', 'POINT (1 1)']
    """
    arr = geoms.to_numpy()
    out = arr.copy()
    dim = shapely.get_dimensions(arr)
    lines = dim == 1
    polys = dim == 2
    out[lines] = shapely.line_interpolate_point(arr[lines], 0.5, normalized=True)
    out[polys] = shapely.point_on_surface(arr[polys])
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs)


def assign_to_units(geoms: gpd.GeoSeries, units: gpd.GeoDataFrame) -> pd.Series:
    """Return the ``id`` of the unit holding each feature's anchor point (NA outside all units).

    中文：要素归属单元（街道/社区）。

    A point on a shared boundary belongs to the unit whose ``id`` sorts first, so the answer does
    not depend on row order.

    Raises
    ------
    GeographicCRSError
        If the inputs are in degrees.
    """
    require_projected(geoms, what="features")
    require_projected(units.geometry, what="units")
    anchors = anchor_points(geoms)
    out = pd.Series(pd.NA, index=geoms.index, dtype=object)
    if len(geoms) == 0 or len(units) == 0:
        return out
    feat_pos, unit_pos = units.sindex.query(anchors.to_numpy(), predicate="intersects")
    unit_ids = units["id"].astype(str).to_numpy()
    pairs = pd.DataFrame({"feat": feat_pos, "unit": unit_ids[unit_pos]})
    first = pairs.sort_values(["feat", "unit"]).drop_duplicates("feat")
    out.iloc[first["feat"].to_numpy()] = first["unit"].to_numpy()
    return out


def _unit_frame(units: gpd.GeoDataFrame) -> pd.DataFrame:
    names = units["name"] if "name" in units.columns else units["id"]
    return pd.DataFrame(
        {"unit_id": units["id"].astype(str).to_numpy(), "unit_name": names.astype(str).to_numpy()}
    )


def count_per_unit(features: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Count features per unit (by anchor point).

    中文：各单元要素数量。

    Returns
    -------
    DataFrame
        ``unit_id``, ``unit_name``, ``count``: one row per unit, in the units' order.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> units = gpd.GeoDataFrame({"id": ["a", "b"], "name": ["甲", "乙"]},
    ...     geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=4548)
    >>> pts = gpd.GeoDataFrame(geometry=[Point(1, 1), Point(10, 5), Point(15, 5)], crs=4548)
    >>> count_per_unit(pts, units)["count"].tolist()
    [2, 1]
    """
    table = _unit_frame(units)
    owners = assign_to_units(features.geometry, units)
    counts = owners.dropna().value_counts()
    table["count"] = table["unit_id"].map(counts).fillna(0).astype(int).to_numpy()
    return table


def measure_within(
    geoms: gpd.GeoSeries, zones: gpd.GeoSeries, *, measure: Literal["length", "area"]
) -> np.ndarray:
    """Return, per zone, the summed length or area of ``geoms`` clipped to the zone (metres, m²).

    中文：单元内要素长度/面积（裁剪后）。

    Overlapping features count once each; union them first for a footprint area.

    Examples
    --------
    >>> from shapely.geometry import LineString, box
    >>> zones = gpd.GeoSeries([box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=4548)
    >>> lines = gpd.GeoSeries([LineString([(5, 5), (15, 5)])], crs=4548)
    >>> measure_within(lines, zones, measure="length").tolist()
    [5.0, 5.0]
    """
    require_projected(geoms, what="features")
    require_projected(zones, what="zones")
    out = np.zeros(len(zones), dtype=float)
    if len(geoms) == 0 or len(zones) == 0:
        return out
    zone_pos, geom_pos = geoms.sindex.query(zones.to_numpy(), predicate="intersects")
    pieces = shapely.intersection(geoms.to_numpy()[geom_pos], zones.to_numpy()[zone_pos])
    values = shapely.length(pieces) if measure == "length" else shapely.area(pieces)
    np.add.at(out, zone_pos, values)
    return out


def length_km_per_unit(features: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return ``unit_id``, ``unit_name``, ``length_km`` of the features clipped to each unit.

    中文：各单元要素长度（公里）。
    """
    table = _unit_frame(units)
    table["length_km"] = measure_within(features.geometry, units.geometry, measure="length") / 1e3
    return table


def per_unit_min_count(
    features: gpd.GeoDataFrame, units: gpd.GeoDataFrame, min_count: int
) -> pd.DataFrame:
    """Return per unit the feature count and whether it reaches ``min_count``.

    中文：每个社区/街道至少N处设施的达标情况。

    Returns
    -------
    DataFrame
        ``unit_id``, ``unit_name``, ``count``, ``meets`` (bool).

    Raises
    ------
    ValueError
        If ``min_count`` is negative.
    """
    if min_count < 0:
        raise ValueError(f"min_count must be >= 0, got {min_count}; use 1 for '每个单元至少一处'.")
    table = count_per_unit(features, units)
    table["meets"] = table["count"] >= min_count
    return table


def area_share(
    features: gpd.GeoSeries, denominator: BaseGeometry
) -> tuple[float | None, float, float]:
    """Return (share, covered m², denominator m²) of the union of ``features`` inside a region.

    中文：面积占比（要素并集在分母区域内的面积 / 分母面积）。

    The share is None when the region has no area.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> f = gpd.GeoSeries([box(0, 0, 1, 2), box(0, 0, 2, 1)], crs=4548)
    >>> area_share(f, box(0, 0, 2, 2))
    (0.75, 3.0, 4.0)
    """
    require_projected(features, what="features")
    total = float(denominator.area)
    covered = 0.0
    if len(features) and total > 0:
        covered = float(shapely.intersection(features.union_all(), denominator).area)
    return (covered / total if total > 0 else None), covered, total


# --------------------------------------------------------------------------------------------
# Metric definitions


@dataclass(frozen=True)
class PerUnitMinCountParams:
    """Parameters of ``per_unit_min_count`` (每个社区/街道至少N处).

    中文：每个社区/街道设施数量参数。

    Parameters
    ----------
    kind
        Layer kind of the facilities (e.g. ``recycling_point``, ``transfer_station``).
    unit_kind
        ``"community"`` (社区) or ``"subdistrict"`` (街道).
    min_count
        Features each unit needs.
    statuses
        Plan statuses counted; empty: all.
    field, values
        Count only features whose ``field`` is one of ``values`` (e.g. ``station_type`` =
        ``recyclables`` for 废旧物资回收中转站, ``access`` = ``public``).
    unit_field, unit_values
        Evaluate only units whose ``unit_field`` is one of ``unit_values`` (e.g.
        ``community_type`` = ``village`` where the clause says 村).
    """

    kind: str = "recycling_point"
    unit_kind: Literal["community", "subdistrict"] = "community"
    min_count: int = DEFAULT_MIN_COUNT_PER_UNIT
    statuses: tuple[str, ...] = ()
    field: str | None = None
    values: tuple[str, ...] = ()
    unit_field: str | None = None
    unit_values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.min_count < 0:
            raise MetricParameterError(f"min_count must be >= 0, got {self.min_count}")
        if self.unit_kind not in UNIT_KINDS:
            raise MetricParameterError(
                f"unit_kind must be one of {list(UNIT_KINDS)}, got {self.unit_kind!r}"
            )


@dataclass(frozen=True)
class FeatureCountParams:
    """Parameters of ``feature_count`` (e.g. 20 口袋花园: kind=pocket_garden).

    中文：要素数量参数。

    Parameters
    ----------
    kind
        Layer kind counted.
    statuses
        Plan statuses counted; empty: all.
    field, values
        Keep features whose ``field`` is one of ``values`` (text, case-insensitive).
    year_field, since_year, until_year
        Inclusive year range on ``year_field``.
    where, exclude
        More field filters (all must hold) and values to leave out, e.g. greenways
        ``exclude: {greenway_type: [riverside]}`` when another target measures the riverside.
    name_contains
        Named projects (新建程林公园、程盛公园): keep features whose ``name`` contains one of these.
    """

    kind: str = "pocket_garden"
    statuses: tuple[str, ...] = ()
    field: str | None = None
    values: tuple[str, ...] = ()
    year_field: str = "completion_year"
    since_year: int | None = None
    until_year: int | None = None
    where: dict[str, Any] | None = None
    exclude: dict[str, Any] | None = None
    name_contains: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeatureLengthParams(FeatureCountParams):
    """Parameters of ``feature_length`` (e.g. 贯通滨水绿道 km: kind=greenway, field=connected).

    中文：要素长度参数。

    Parameters
    ----------
    kind
        Line layer kind measured (clipped to the district).
    statuses, field, values, year_field, since_year, until_year
        Filters as in :class:`FeatureCountParams`.
    """

    kind: str = "greenway"


@dataclass(frozen=True)
class AreaShareParams:
    """Parameters of ``area_share``: area of ``kind`` inside the district or inside ``of``.

    中文：面积占比参数。

    Parameters
    ----------
    kind
        Polygon layer kind whose (dissolved) area is the numerator.
    of
        None or ``"district"``: the district area; otherwise a layer kind (e.g. ``land_cover``
        with ``of_field="cover_class"``, ``of_values=("built",)`` for 建成区).
    of_field, of_values
        Filter on the ``of`` layer.
    statuses
        Plan statuses of ``kind`` counted; empty: all.
    """

    kind: str = "sponge_area"
    of: str | None = None
    of_field: str | None = None
    of_values: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.of == "district":
            object.__setattr__(self, "of", None)


@dataclass(frozen=True)
class IndicatorParams:
    """Parameters of ``indicator``: a tracked, user-entered value (no geometry).

    中文：跟踪指标参数。

    Parameters
    ----------
    key
        Indicator key, e.g. ``"led_share"``.
    value
        The entered value, or None when not entered yet (the result is then "no data").
    unit
        Unit of the value.
    """

    key: str = ""
    value: float | None = None
    unit: str = ""


def _missing(
    name: str, unit: str, params: Any, missing: Sequence[str], **details: Any
) -> MetricResult:
    return MetricResult(
        name=name, value=None, unit=unit, params=params_to_dict(params),
        details=details, missing=tuple(missing),
    )


def _labels(column: pd.Series) -> pd.Series:
    """Text labels for grouping: whole-number floats (years) without ".0", nulls as "(none)"."""
    return column.map(lambda v: "(none)" if pd.isna(v)
                      else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))


def _in_district(features: gpd.GeoDataFrame, district: BaseGeometry) -> gpd.GeoDataFrame:
    anchors = anchor_points(features.geometry).to_numpy()
    return features.loc[shapely.covers(district, anchors)]


def _unit_word(params: PerUnitMinCountParams) -> str:
    if params.unit_kind == "subdistrict":
        return "街道"
    return "村" if tuple(params.unit_values) == ("village",) else "社区"


def _compute_per_unit_min_count(
    frames: Mapping[str, gpd.GeoDataFrame], params: PerUnitMinCountParams, context: MetricContext
) -> MetricResult:
    name = "per_unit_min_count"
    units = context.units.get(params.unit_kind)
    missing = [params.kind] if params.kind not in frames else []
    if units is None or len(units) == 0:
        missing.append(params.unit_kind)
    if missing or units is None:
        return _missing(name, "share", params, missing)
    features = select_features(frames[params.kind], statuses=params.statuses,
                               field=params.field, values=params.values)
    if params.unit_field is not None:
        if params.unit_field not in units.columns:
            return _missing(name, "share", params, [f"{params.unit_kind}.{params.unit_field}"])
        units = select_features(units, field=params.unit_field, values=params.unit_values)
        if len(units) == 0:
            return _missing(name, "share", params, [
                f"{params.unit_kind}.{params.unit_field}={'/'.join(params.unit_values)}"])
    table = per_unit_min_count(features, units, params.min_count)
    failing = table.loc[~table["meets"], "unit_name"].tolist()
    return MetricResult(
        name=name,
        value=float(table["meets"].mean()),
        unit="share",
        params=params_to_dict(params),
        rule=f"每个{_unit_word(params)}至少{params.min_count}处 (tanmap rule v1)",
        details={
            "n_units": len(table),
            "n_meeting": int(table["meets"].sum()),
            "n_failing": len(failing),
            "failing_units": failing,
            "n_features": len(features),
        },
        per_unit=table,
    )


def _compute_feature_count(
    frames: Mapping[str, gpd.GeoDataFrame], params: FeatureCountParams, context: MetricContext
) -> MetricResult:
    name = "feature_count"
    if params.kind not in frames:
        return _missing(name, "count", params, [params.kind])
    features = select_features(
        frames[params.kind], statuses=params.statuses, field=params.field, values=params.values,
        year_field=params.year_field, since_year=params.since_year, until_year=params.until_year,
        where=params.where, exclude=params.exclude, name_contains=params.name_contains,
    )
    features = _in_district(features, context.district)
    per_unit = None
    sub = context.units.get("subdistrict")
    if sub is not None and len(sub):
        per_unit = count_per_unit(features, sub)
    details = {}
    for key, col in (("by_status", "status"), ("by_year", params.year_field)):
        counts = (_labels(features[col]).value_counts().sort_index().to_dict()
                  if col in features.columns else {})
        details[key] = {str(k): int(v) for k, v in counts.items()}
    return MetricResult(
        name=name, value=float(len(features)), unit="count", params=params_to_dict(params),
        details=details, per_unit=per_unit,
    )


def _compute_feature_length(
    frames: Mapping[str, gpd.GeoDataFrame], params: FeatureLengthParams, context: MetricContext
) -> MetricResult:
    name = "feature_length"
    if params.kind not in frames:
        return _missing(name, "km", params, [params.kind])
    features = select_features(
        frames[params.kind], statuses=params.statuses, field=params.field, values=params.values,
        year_field=params.year_field, since_year=params.since_year, until_year=params.until_year,
        where=params.where, exclude=params.exclude, name_contains=params.name_contains,
    )
    district = gpd.GeoSeries([context.district], crs=features.crs)
    length_m = float(measure_within(features.geometry, district, measure="length")[0])
    per_unit = None
    sub = context.units.get("subdistrict")
    if sub is not None and len(sub):
        per_unit = length_km_per_unit(features, sub)
    return MetricResult(
        name=name, value=length_m / 1e3, unit="km", params=params_to_dict(params),
        details={"n_features": len(features), "length_m": length_m}, per_unit=per_unit,
    )


def _compute_area_share(
    frames: Mapping[str, gpd.GeoDataFrame], params: AreaShareParams, context: MetricContext
) -> MetricResult:
    name = "area_share"
    missing = [k for k in (params.kind, params.of) if k is not None and k not in frames]
    if missing:
        return _missing(name, "share", params, missing)
    features = select_features(frames[params.kind], statuses=params.statuses)
    region: BaseGeometry = context.district
    if params.of is not None:
        base = select_features(frames[params.of], field=params.of_field, values=params.of_values)
        region = shapely.intersection(base.geometry.union_all(), context.district)
    share, covered_m2, total_m2 = area_share(features.geometry, region)
    per_unit = None
    sub = context.units.get("subdistrict")
    if sub is not None and len(sub) and len(features):
        dissolved = gpd.GeoSeries([features.geometry.union_all()], crs=features.crs)
        regions = gpd.GeoSeries(shapely.intersection(sub.geometry.to_numpy(), region), crs=sub.crs)
        covered = measure_within(dissolved, regions, measure="area")
        totals = regions.area.to_numpy()
        per_unit = _unit_frame(sub)
        per_unit["covered_m2"] = covered
        per_unit["total_m2"] = totals
        per_unit["share"] = np.where(totals > 0, covered / np.where(totals > 0, totals, 1), np.nan)
    return MetricResult(
        name=name, value=share, unit="share", params=params_to_dict(params),
        details={"covered_m2": covered_m2, "total_m2": total_m2}, per_unit=per_unit,
        missing=() if share is not None else ((params.of or "district"),),
    )


def _compute_indicator(
    frames: Mapping[str, gpd.GeoDataFrame], params: IndicatorParams, context: MetricContext
) -> MetricResult:
    name = "indicator"
    if params.value is None:
        return _missing(name, params.unit or "value", params, [f"indicator:{params.key}"])
    return MetricResult(
        name=name, value=float(params.value), unit=params.unit or "value",
        params=params_to_dict(params), details={"key": params.key},
    )


METRIC_DEFS: tuple[MetricDef, ...] = (
    MetricDef(
        name="per_unit_min_count", zh="每个社区/街道设施数量达标率",
        en="Share of units with at least N facilities", inputs=(),
        params=PerUnitMinCountParams, compute=_compute_per_unit_min_count, unit="share",
        param_inputs=("kind",),
    ),
    MetricDef(
        name="feature_count", zh="要素数量", en="Feature count", inputs=(),
        params=FeatureCountParams, compute=_compute_feature_count, unit="count",
        param_inputs=("kind",),
    ),
    MetricDef(
        name="feature_length", zh="要素长度", en="Feature length", inputs=(),
        params=FeatureLengthParams, compute=_compute_feature_length, unit="km",
        param_inputs=("kind",),
    ),
    MetricDef(
        name="area_share", zh="面积占比", en="Area share", inputs=(),
        params=AreaShareParams, compute=_compute_area_share, unit="share",
        param_inputs=("kind", "of"),
    ),
    MetricDef(
        name="indicator", zh="跟踪指标", en="Tracked indicator", inputs=(),
        params=IndicatorParams, compute=_compute_indicator, unit="value",
    ),
)

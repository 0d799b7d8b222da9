"""EV charging (充电桩/充电站): spacing, service radius, route intervals and pile counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.ops import substring

from tanmap.geo.crs import require_projected
from tanmap.geo.errors import MetricParameterError
from tanmap.geo.metric import MetricContext, MetricDef, MetricResult, params_to_dict
from tanmap.geo.units import select_features, zone_geometry

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from shapely.geometry.base import BaseGeometry

__all__ = [
    "BUFFER_QUAD_SEGS",
    "DEFAULT_SNAP_TOLERANCE_M",
    "FAST_CHARGE_SHARE_HUANGPU_2025",
    "FAST_CHARGE_SHARE_HUANGPU_2030",
    "JINSHI_CORE_SERVICE_RADIUS_M",
    "JINSHI_ROUTE_INTERVAL_KM",
    "METRIC_DEFS",
    "TIANJIN_CENTRAL_SERVICE_RADIUS_M",
    "TIANJIN_OUTER_SERVICE_RADIUS_M",
    "ChargingPilesParams",
    "ChargingRouteIntervalParams",
    "ChargingServiceRadiusParams",
    "ChargingSpacingParams",
    "FastChargeShareParams",
    "ServiceRadiusAudit",
    "buffer_area_deficit_m2",
    "equivalent_radius_m",
    "farthest_point",
    "farthest_points",
    "fast_charge_share",
    "nearest_neighbour_distances",
    "pile_counts",
    "route_gaps",
    "service_radius_audit",
    "spacing_statistics",
]

#: 津市 seed (2024): "到2025年底,城区核心区公共充电设施服务半径小于2公里".
JINSHI_CORE_SERVICE_RADIUS_M = 2000.0
#: 津市 seed (2024): "高速公路和国省干线充电站间隔少于50公里".
JINSHI_ROUTE_INTERVAL_KM = 50.0
#: 天津市电动汽车充电基础设施发展规划 (2018–2020): 中心市区/滨海新区建成区 average radius 0.9 km.
TIANJIN_CENTRAL_SERVICE_RADIUS_M = 900.0
#: Same plan: outer districts 5 km (the largest radius we load stations for beyond the border).
TIANJIN_OUTER_SERVICE_RADIUS_M = 5000.0
#: 黄浦 seed (2023): 直流快充 share of public piles >= 30 % by 2025 ...
FAST_CHARGE_SHARE_HUANGPU_2025 = 0.30
#: ... and >= 40 % by 2030.
FAST_CHARGE_SHARE_HUANGPU_2030 = 0.40
#: How far a station may lie from a route's centre line and still serve it (服务区/加油站 set back
#: from the carriageway) [verify]: overridable.
DEFAULT_SNAP_TOLERANCE_M = 500.0
#: Segments per quarter circle of service buffers: the 256-gon loses 0.01 % of the disc area.
BUFFER_QUAD_SEGS = 64

_PILE_FIELDS = {"fast": ("fast_piles",), "slow": ("slow_piles",),
                "total": ("fast_piles", "slow_piles")}


# --------------------------------------------------------------------------------------------
# Spacing


def nearest_neighbour_distances(stations: gpd.GeoSeries) -> pd.Series:
    """Return each station's distance (m) to the nearest other station.

    中文：充电站最近邻间距。

    Two stations at the same place are 0 m apart; with fewer than two stations every value is NaN.

    Parameters
    ----------
    stations
        Station points in a projected CRS (metres).

    Raises
    ------
    GeographicCRSError
        If ``stations`` is in degrees.

    Examples
    --------
    >>> s = gpd.GeoSeries.from_xy([0, 3, 3], [0, 4, 0], crs=4548)
    >>> nearest_neighbour_distances(s).tolist()
    [3.0, 4.0, 3.0]
    """
    require_projected(stations, what="stations")
    out = pd.Series(np.nan, index=stations.index, dtype=float)
    if len(stations) < 2:
        return out
    geoms = stations.to_numpy()
    # STRtree's exclusive=True skips *equal* geometries, so co-located stations are handled apart.
    dup = pd.Series(shapely.to_wkb(geoms)).duplicated(keep=False).to_numpy()
    tree = shapely.STRtree(geoms)
    (src, _dst), dist = tree.query_nearest(
        geoms, exclusive=True, return_distance=True, all_matches=False
    )
    values = np.full(len(geoms), np.nan)
    values[src] = dist
    values[dup] = 0.0
    out[:] = values
    return out


def spacing_statistics(
    stations: gpd.GeoSeries, *, within: BaseGeometry | None = None
) -> dict[str, float | int | None]:
    """Return count, mean, median, min and max nearest-neighbour distance (m) among stations.

    中文：充电站间距统计。

    With ``within`` (e.g. the district), the figures are over the stations inside it, while
    their nearest neighbours may lie outside (stations across the border are real neighbours).

    Examples
    --------
    >>> s = gpd.GeoSeries.from_xy([0, 3, 3], [0, 4, 0], crs=4548)
    >>> spacing_statistics(s)["mean_m"]
    3.3333333333333335
    """
    d = nearest_neighbour_distances(stations)
    if within is not None:
        d = d[shapely.covers(within, stations.to_numpy())]
    n = len(d)
    d = d.dropna()
    if d.empty:
        return {"n": n, "mean_m": None, "median_m": None, "min_m": None, "max_m": None}
    return {"n": n, "mean_m": float(d.mean()), "median_m": float(d.median()),
            "min_m": float(d.min()), "max_m": float(d.max())}


# --------------------------------------------------------------------------------------------
# Service radius


def buffer_area_deficit_m2(radius_m: float, quad_segs: int = BUFFER_QUAD_SEGS) -> float:
    """Return the area a disc of ``radius_m`` loses as a buffer polygon (m²).

    中文：缓冲区多边形相对圆的面积差（误差界）。

    A buffer with ``quad_segs`` segments per quarter circle is the regular polygon of
    ``4 * quad_segs`` vertices inscribed in the circle.

    Examples
    --------
    >>> round(buffer_area_deficit_m2(1000.0, 1))  # square inscribed in a 1 km circle
    1141593
    """
    n = 4 * quad_segs
    return math.pi * radius_m**2 - 0.5 * n * radius_m**2 * math.sin(2 * math.pi / n)


def equivalent_radius_m(zone_area_m2: float, n_stations: int) -> float | None:
    """Return the equivalent service radius √(A / (π N)) in metres (None without stations).

    中文：平均服务半径（等效半径）。

    Examples
    --------
    >>> round(equivalent_radius_m(math.pi * 4e6, 4), 6)
    1000.0
    """
    if n_stations <= 0:
        return None
    return math.sqrt(zone_area_m2 / (math.pi * n_stations))


def farthest_point(zone: BaseGeometry, stations: gpd.GeoSeries) -> tuple[float, Point] | None:
    """Return the largest distance from any point of ``zone`` to its nearest station, and where.

    中文：区域内距最近充电站最远的点及其距离。

    Exact: within a station's Voronoi cell the distance to that station is convex, so its maximum
    over (cell ∩ zone) is at a vertex of that polygon. Returns None when there are no stations
    or the zone is empty.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> d, p = farthest_point(box(0, 0, 4, 2), gpd.GeoSeries.from_xy([0, 4], [0, 0], crs=4548))
    >>> round(d, 9), p.wkt
    (2.828427125, 'POINT (2 2)')
    """
    require_projected(stations, what="stations")
    if len(stations) == 0 or zone.is_empty:
        return None
    dist, xy = farthest_points(gpd.GeoSeries([zone], crs=stations.crs), stations)
    return float(dist[0]), Point(xy[0])


def farthest_points(
    zones: gpd.GeoSeries, stations: gpd.GeoSeries
) -> tuple[np.ndarray, np.ndarray]:
    """Return, per zone, the largest distance to the nearest station (m) and where (x, y).

    中文：各分区内距最近充电站最远的点（批量）。

    One Voronoi diagram serves every zone (see :func:`farthest_point`). Zones that are empty,
    or all zones when there are no stations, get NaN.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> zones = gpd.GeoSeries([box(0, 0, 4, 2), box(4, 0, 6, 2)], crs=4548)
    >>> d, xy = farthest_points(zones, gpd.GeoSeries.from_xy([0, 4], [0, 0], crs=4548))
    >>> d.round(6).tolist(), xy.tolist()
    ([2.828427, 2.828427], [[2.0, 2.0], [6.0, 2.0]])
    """
    require_projected(stations, what="stations")
    dist = np.full(len(zones), np.nan)
    xy = np.full((len(zones), 2), np.nan)
    if len(stations) == 0 or len(zones) == 0:
        return dist, xy
    sites = np.unique(shapely.get_coordinates(stations.to_numpy()), axis=0)
    zone_geoms = zones.to_numpy()
    everything = shapely.union(shapely.union_all(zone_geoms), shapely.multipoints(sites))
    frame = shapely.box(*shapely.bounds(everything).tolist()).buffer(1.0)
    if len(sites) == 1:
        cells = np.array([frame])
    else:  # ordered=True: cell i belongs to sites[i] (duplicates were removed above)
        diagram = shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=frame,
                                           ordered=True)
        cells = np.asarray(shapely.get_parts(diagram))
    zone_pos, cell_pos = shapely.STRtree(cells).query(zone_geoms, predicate="intersects")
    pieces = shapely.intersection(zone_geoms[zone_pos], cells[cell_pos])
    coords, piece = shapely.get_coordinates(pieces, return_index=True)
    if len(coords) == 0:
        return dist, xy
    site_xy = sites[cell_pos[piece]]
    d = np.hypot(coords[:, 0] - site_xy[:, 0], coords[:, 1] - site_xy[:, 1])
    best = pd.Series(d).groupby(zone_pos[piece]).idxmax()
    dist[best.index.to_numpy()] = d[best.to_numpy()]
    xy[best.index.to_numpy()] = coords[best.to_numpy()]
    return dist, xy


@dataclass(frozen=True)
class ServiceRadiusAudit:
    """Result of :func:`service_radius_audit` (areas in m², distances in m).

    中文：充电设施服务半径评估结果。
    """

    radius_m: float
    n_stations: int
    zone_area_m2: float
    covered_area_m2: float
    area_share: float | None
    residential_area_m2: float | None
    residential_covered_m2: float | None
    residential_share: float | None
    farthest_distance_m: float | None
    farthest_point: Point | None
    equivalent_radius_m: float | None
    covered: BaseGeometry
    uncovered: BaseGeometry
    reach: BaseGeometry


def service_radius_audit(
    zone: BaseGeometry,
    stations: gpd.GeoSeries,
    radius_m: float,
    *,
    residential: gpd.GeoSeries | None = None,
) -> ServiceRadiusAudit:
    """Audit a zone against a charging service radius.

    中文：充电设施服务半径覆盖评估（面积占比、居住用地占比、最远点、等效半径）。

    Parameters
    ----------
    zone
        The area audited (e.g. 城区核心区 or the district), in the stations' projected CRS.
    stations
        Public station points (those outside the zone still serve it).
    radius_m
        Service radius in metres, >= 0.
    residential
        Residential land polygons; when given, the share of their area (within the zone) covered.

    Raises
    ------
    ValueError
        If ``radius_m`` is negative.
    GeographicCRSError
        If the inputs are in degrees.

    Notes
    -----
    Covered area uses buffers with :data:`BUFFER_QUAD_SEGS` segments per quarter circle (area
    error about 0.01 %); the farthest-point distance is exact. N in √(A/πN) counts the stations
    inside the zone.
    """
    if radius_m < 0 or not math.isfinite(radius_m):
        raise ValueError(f"radius_m must be a finite number >= 0, got {radius_m}")
    require_projected(stations, what="stations")
    zone_area = float(zone.area)
    if len(stations) and radius_m > 0:
        reach = shapely.union_all(shapely.buffer(stations.to_numpy(), radius_m,
                                                 quad_segs=BUFFER_QUAD_SEGS))
    else:
        reach = shapely.Polygon()
    covered = shapely.intersection(zone, reach)
    covered_area = float(covered.area)
    n_inside = int(shapely.covers(zone, stations.to_numpy()).sum()) if len(stations) else 0
    res_area = res_cov = res_share = None
    if residential is not None:
        require_projected(residential, what="residential land")
        land = shapely.intersection(residential.union_all(), zone) if len(residential) else None
        res_area = float(land.area) if land is not None else 0.0
        res_cov = float(shapely.intersection(land, reach).area) if land is not None else 0.0
        res_share = res_cov / res_area if res_area > 0 else None
    far = farthest_point(zone, stations)
    return ServiceRadiusAudit(
        radius_m=radius_m,
        n_stations=n_inside,
        zone_area_m2=zone_area,
        covered_area_m2=covered_area,
        area_share=min(covered_area / zone_area, 1.0) if zone_area > 0 else None,
        residential_area_m2=res_area,
        residential_covered_m2=res_cov,
        residential_share=min(res_share, 1.0) if res_share is not None else None,
        farthest_distance_m=far[0] if far else None,
        farthest_point=far[1] if far else None,
        equivalent_radius_m=equivalent_radius_m(zone_area, n_inside),
        covered=covered,
        uncovered=shapely.difference(zone, reach),
        reach=reach,
    )


# --------------------------------------------------------------------------------------------
# Route intervals (linear referencing)


def route_gaps(
    routes: gpd.GeoDataFrame, stations: gpd.GeoSeries, *, snap_tolerance_m: float
) -> gpd.GeoDataFrame:
    """Return every gap between consecutive stations along each route, ends included.

    中文：沿线充电站间隔（线性参考，含两端）。

    Each route is merged into continuous parts (``line_merge``); a station within
    ``snap_tolerance_m`` of a part is placed at its chainage (``line_locate_point``). The gaps of a
    part are the differences of the sorted chainages [0, s1, ..., sk, L].

    Parameters
    ----------
    routes
        Route lines (projected CRS); an ``id`` column is carried to the output when present.
    stations
        Station points.
    snap_tolerance_m
        Largest station-to-route distance (m) for a station to count on the route, >= 0.

    Returns
    -------
    GeoDataFrame
        ``route_id``, ``part``, ``from_km``, ``to_km``, ``gap_km`` and the stretch as a line,
        sorted by route, part and chainage.

    Raises
    ------
    ValueError
        If ``snap_tolerance_m`` is negative.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> r = gpd.GeoDataFrame({"id": ["G1"]}, geometry=[LineString([(0, 0), (100_000, 0)])],
    ...                      crs=4548)
    >>> s = gpd.GeoSeries.from_xy([30_000, 40_000], [100, 0], crs=4548)
    >>> route_gaps(r, s, snap_tolerance_m=500)["gap_km"].tolist()
    [30.0, 10.0, 60.0]
    """
    if snap_tolerance_m < 0:
        raise ValueError(f"snap_tolerance_m must be >= 0, got {snap_tolerance_m}")
    require_projected(routes.geometry, what="routes")
    require_projected(stations, what="stations")
    columns = ["route_id", "part", "from_km", "to_km", "gap_km"]
    if len(routes) == 0:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=float) for c in columns}, geometry=[], crs=routes.crs
        )
    ids = (routes["id"].astype(str) if "id" in routes.columns
           else pd.Series(routes.index.astype(str), index=routes.index)).to_numpy()
    merged = shapely.line_merge(routes.geometry.to_numpy())
    parts, route_pos = shapely.get_parts(merged, return_index=True)
    part_no = pd.Series(route_pos).groupby(route_pos).cumcount().to_numpy()
    lengths = shapely.length(parts)
    n_parts = len(parts)
    mark_part = [np.arange(n_parts), np.arange(n_parts)]  # every part's two ends ...
    mark_at = [np.zeros(n_parts), lengths]
    if len(stations):
        tree = shapely.STRtree(parts)
        st_pos, part_pos = tree.query(stations.to_numpy(), predicate="dwithin",
                                      distance=snap_tolerance_m)
        mark_part.append(part_pos)  # ... and the chainage of every station snapped to it
        mark_at.append(shapely.line_locate_point(parts[part_pos], stations.to_numpy()[st_pos]))
    marks = pd.DataFrame({"part": np.concatenate(mark_part), "at": np.concatenate(mark_at)})
    marks = marks.sort_values(["part", "at"], kind="stable")
    start_m = marks.groupby("part")["at"].shift()
    gaps = marks.assign(start=start_m).dropna(subset=["start"])
    part_idx = gaps["part"].to_numpy(dtype=int)
    a_m, b_m = gaps["start"].to_numpy(dtype=float), gaps["at"].to_numpy(dtype=float)
    # substring() is scalar-only in shapely 2; one call per gap, and gaps are few.
    stretches = [substring(parts[p], a, b) for p, a, b in zip(part_idx, a_m, b_m, strict=True)]
    rows = {"route_id": ids[route_pos[part_idx]], "part": part_no[part_idx].astype(int),
            "from_km": a_m / 1e3, "to_km": b_m / 1e3, "gap_km": (b_m - a_m) / 1e3,
            "geometry": stretches}
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=routes.crs)


# --------------------------------------------------------------------------------------------
# Piles


def _piles(stations: pd.DataFrame, pile: str) -> np.ndarray:
    total = np.zeros(len(stations), dtype=float)
    for col in _PILE_FIELDS[pile]:
        if col in stations.columns:
            total += pd.to_numeric(stations[col], errors="coerce").fillna(0).to_numpy(dtype=float)
    return total


def pile_counts(
    stations: gpd.GeoDataFrame, pile: Literal["fast", "slow", "total"] = "total"
) -> dict[str, Any]:
    """Return the pile total and its breakdown by status, completion year and access.

    中文：充电桩数量（按状态、建成年份、类型）。

    Raises
    ------
    ValueError
        If ``pile`` is not fast, slow or total.

    Examples
    --------
    >>> gdf = gpd.GeoDataFrame({"fast_piles": [2, 1], "slow_piles": [3, None],
    ...     "status": ["existing", "planned"], "completion_year": [2021, None],
    ...     "access": ["public", "public"]}, geometry=gpd.points_from_xy([0, 1], [0, 0]), crs=4548)
    >>> pile_counts(gdf, "total")["total"], pile_counts(gdf, "fast")["by_status"]
    (6, {'existing': 2, 'planned': 1})
    """
    if pile not in _PILE_FIELDS:
        raise ValueError(f"pile must be one of {list(_PILE_FIELDS)}, got {pile!r}")
    n = _piles(stations, pile)
    out: dict[str, Any] = {"total": int(n.sum())}
    for key, col in (("by_status", "status"), ("by_year", "completion_year"),
                     ("by_access", "access")):
        if col in stations.columns:
            labels = stations[col].map(
                lambda v: "(none)" if pd.isna(v)
                else str(int(v)) if isinstance(v, float) else str(v)
            )
            grouped = pd.Series(n, index=stations.index).groupby(labels.to_numpy()).sum()
            out[key] = {str(k): int(v) for k, v in grouped.sort_index().items()}
        else:
            out[key] = {}
    return out


def fast_charge_share(stations: pd.DataFrame) -> float | None:
    """Return fast (DC) piles / all piles, or None when there are no piles.

    中文：直流快充桩占比。

    Examples
    --------
    >>> fast_charge_share(pd.DataFrame({"fast_piles": [3, 0], "slow_piles": [1, 6]}))
    0.3
    """
    total = _piles(stations, "total").sum()
    return float(_piles(stations, "fast").sum() / total) if total > 0 else None


# --------------------------------------------------------------------------------------------
# Metric definitions


@dataclass(frozen=True)
class ChargingSpacingParams:
    """Parameters of ``charging_spacing``.

    中文：充电站间距参数。

    Parameters
    ----------
    access
        Station access types counted (``public``, ``dedicated``, ``private``); empty: all.
    statuses
        Plan statuses counted; empty: all the caller passed in.
    """

    access: tuple[str, ...] = ("public",)
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChargingServiceRadiusParams:
    """Parameters of ``charging_service_radius`` (default: Tianjin 中心市区 0.9 km).

    中文：公共充电设施服务半径参数。

    Parameters
    ----------
    radius_m
        Service radius (m), 0–5000; 津市 城区核心区 uses 2000.
    access
        Station access types that serve the public (default ``("public",)``).
    weight
        ``"zone"``: share of the district area; ``"residential_land"``: share of residential land.
    statuses
        Plan statuses counted; empty: all.
    zone_unit_ids
        Audit only these 街道 (``subdistrict`` ids), e.g. the ones forming 城区核心区; empty: the
        whole district.
    zone_type
        Audit only the planning zone (``planning_zone`` layer) of this type, e.g. ``core_area``
        for 城区核心区 (津市); None: the whole district (or ``zone_unit_ids``).
    """

    radius_m: float = TIANJIN_CENTRAL_SERVICE_RADIUS_M
    access: tuple[str, ...] = ("public",)
    weight: Literal["zone", "residential_land"] = "zone"
    statuses: tuple[str, ...] = ()
    zone_unit_ids: tuple[str, ...] = ()
    zone_type: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.radius_m <= TIANJIN_OUTER_SERVICE_RADIUS_M:
            raise MetricParameterError(
                f"radius_m must be in [0, {TIANJIN_OUTER_SERVICE_RADIUS_M:g}] m (stations are "
                f"loaded that far beyond the border), got {self.radius_m}"
            )


@dataclass(frozen=True)
class ChargingRouteIntervalParams:
    """Parameters of ``charging_route_interval`` (津市: 间隔少于50公里).

    中文：干线充电站间隔参数。

    Parameters
    ----------
    max_interval_km
        Largest allowed gap between consecutive stations (km).
    route_classes
        ``route_class`` values audited (高速公路, 国道, 省道 by default).
    snap_tolerance_m
        Largest station-to-route distance (m) for a station to count on a route [verify].
    access, statuses
        Stations counted (public by default; empty statuses: all).
    strict
        True: a gap equal to the maximum offends ("少于"); False: only longer gaps do.
    """

    max_interval_km: float = JINSHI_ROUTE_INTERVAL_KM
    route_classes: tuple[str, ...] = ("expressway", "national", "provincial")
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M
    access: tuple[str, ...] = ("public",)
    statuses: tuple[str, ...] = ()
    strict: bool = True  # "少于": a gap equal to the maximum offends

    def __post_init__(self) -> None:
        if self.max_interval_km <= 0:
            raise MetricParameterError(f"max_interval_km must be > 0, got {self.max_interval_km}")
        if self.snap_tolerance_m < 0:
            raise MetricParameterError(
                f"snap_tolerance_m must be >= 0, got {self.snap_tolerance_m}"
            )


@dataclass(frozen=True)
class ChargingPilesParams:
    """Parameters of ``charging_piles`` (e.g. 黄浦: 600 new public/dedicated piles since 2021).

    中文：充电桩数量参数。

    Parameters
    ----------
    pile
        ``"fast"`` (直流快充), ``"slow"`` (交流慢充) or ``"total"``.
    statuses
        Plan statuses counted; empty: all.
    since_year, until_year
        Inclusive ``completion_year`` range (stations without a year are then left out).
    access
        Access types counted; empty: all.
    """

    pile: Literal["fast", "slow", "total"] = "total"
    statuses: tuple[str, ...] = ()
    since_year: int | None = None
    until_year: int | None = None
    access: tuple[str, ...] = ()


@dataclass(frozen=True)
class FastChargeShareParams:
    """Parameters of ``fast_charge_share`` (黄浦: >= 30 % by 2025, >= 40 % by 2030).

    中文：直流快充桩占比参数。

    Parameters
    ----------
    access
        Access types counted (default public).
    statuses
        Plan statuses counted; empty: all.
    since_year
        Only stations completed in or after this year (new piles), or None for all.
    """

    access: tuple[str, ...] = ("public",)
    statuses: tuple[str, ...] = ()
    since_year: int | None = None


def _stations(frames: Mapping[str, gpd.GeoDataFrame], access: Sequence[str],
              statuses: Sequence[str], since_year: int | None = None,
              until_year: int | None = None) -> gpd.GeoDataFrame:
    return select_features(
        frames["charging_station"], statuses=statuses,
        field="access" if access else None, values=access,
        since_year=since_year, until_year=until_year,
    )


def _no_data(name: str, unit: str, params: Any, missing: Sequence[str]) -> MetricResult:
    return MetricResult(name=name, value=None, unit=unit, params=params_to_dict(params),
                        missing=tuple(missing))


def _compute_spacing(frames: Mapping[str, gpd.GeoDataFrame], params: ChargingSpacingParams,
                     context: MetricContext) -> MetricResult:
    if "charging_station" not in frames:
        return _no_data("charging_spacing", "m", params, ["charging_station"])
    stations = _stations(frames, params.access, params.statuses)
    stats = spacing_statistics(stations.geometry, within=context.district)
    return MetricResult(name="charging_spacing", value=stats["mean_m"], unit="m",
                        params=params_to_dict(params), details=stats)


def _compute_service_radius(frames: Mapping[str, gpd.GeoDataFrame],
                            params: ChargingServiceRadiusParams,
                            context: MetricContext) -> MetricResult:
    name = "charging_service_radius"
    missing = ["charging_station"] if "charging_station" not in frames else []
    if params.weight == "residential_land" and "residential_land" not in frames:
        missing.append("residential_land")
    sub = context.units.get("subdistrict")
    if params.zone_unit_ids and (sub is None or len(sub) == 0):
        missing.append("subdistrict")
    if missing:
        return _no_data(name, "share", params, missing)
    zone = context.district
    if params.zone_unit_ids and sub is not None:
        ids = sub["id"].astype(str)
        unknown = sorted(set(params.zone_unit_ids) - set(ids))
        if unknown:
            raise MetricParameterError(
                f"zone_unit_ids {unknown} are not 街道 ids of district {context.adcode}; "
                f"known ids: {sorted(ids)}"
            )
        chosen = sub.loc[ids.isin(params.zone_unit_ids).to_numpy()]
        zone = shapely.intersection(chosen.geometry.union_all(), context.district)
    if params.zone_type is not None:
        planned_zone = zone_geometry(frames.get("planning_zone"), params.zone_type, zone)
        if planned_zone is None:
            return _no_data(name, "share", params,
                            [f"planning_zone.zone_type={params.zone_type}"])
        zone = planned_zone
    stations = _stations(frames, params.access, params.statuses)
    residential = frames["residential_land"].geometry if "residential_land" in frames else None
    audit = service_radius_audit(zone, stations.geometry, params.radius_m,
                                 residential=residential)
    value = audit.residential_share if params.weight == "residential_land" else audit.area_share
    per_unit = None
    if sub is not None and len(sub):
        unit_geoms = sub.geometry.to_numpy()
        unit_m2 = shapely.area(unit_geoms)
        covered_m2 = shapely.area(shapely.intersection(unit_geoms, audit.reach))
        far_m, _ = farthest_points(sub.geometry, stations.geometry)
        _, unit_hit = shapely.STRtree(unit_geoms).query(stations.geometry.to_numpy(),
                                                        predicate="covered_by")
        n_in = np.bincount(unit_hit, minlength=len(sub))
        per_unit = pd.DataFrame({
            "unit_id": sub["id"].astype(str).to_numpy(),
            "unit_name": sub.get("name", sub["id"]).astype(str).to_numpy(),
            "share": np.divide(covered_m2, unit_m2, out=np.full(len(sub), np.nan),
                               where=unit_m2 > 0).clip(max=1.0),
            "farthest_distance_m": far_m,
            "n_stations": n_in.astype(int),
            "equivalent_radius_m": [equivalent_radius_m(a, int(n))
                                    for a, n in zip(unit_m2, n_in, strict=True)],
        })
    crs = stations.crs
    far = audit.farthest_point
    return MetricResult(
        name=name, value=value, unit="share", params=params_to_dict(params),
        rule=f"charging service radius {params.radius_m:g} m (tanmap rule v1)",
        details={
            "n_stations_in_zone": audit.n_stations,
            "zone_area_m2": audit.zone_area_m2,
            "covered_area_m2": audit.covered_area_m2,
            "area_share": audit.area_share,
            "residential_area_m2": audit.residential_area_m2,
            "residential_covered_m2": audit.residential_covered_m2,
            "residential_share": audit.residential_share,
            "farthest_distance_m": audit.farthest_distance_m,
            "farthest_point_xy": [far.x, far.y] if far is not None else None,
            "equivalent_radius_m": audit.equivalent_radius_m,
            # Buffers are inscribed polygons: the covered area is a lower bound, short by at
            # most the disc-minus-polygon area of each station counted.
            "area_error_bound_m2": len(stations) * buffer_area_deficit_m2(params.radius_m),
        },
        per_unit=per_unit,
        layers={
            "gaps": gpd.GeoDataFrame(geometry=[audit.uncovered], crs=crs),
            "service_areas": gpd.GeoDataFrame(geometry=[audit.covered], crs=crs),
        },
    )


def _compute_route_interval(frames: Mapping[str, gpd.GeoDataFrame],
                            params: ChargingRouteIntervalParams,
                            context: MetricContext) -> MetricResult:
    name = "charging_route_interval"
    missing = [k for k in ("route", "charging_station") if k not in frames]
    if missing:
        return _no_data(name, "km", params, missing)
    routes = select_features(frames["route"], field="route_class", values=params.route_classes)
    stations = _stations(frames, params.access, params.statuses)
    gaps = route_gaps(routes, stations.geometry, snap_tolerance_m=params.snap_tolerance_m)
    if gaps.empty:
        return _no_data(name, "km", params, ["route"])
    limit = params.max_interval_km
    offending = gaps["gap_km"] >= limit if params.strict else gaps["gap_km"] > limit
    return MetricResult(
        name=name, value=float(gaps["gap_km"].max()), unit="km", params=params_to_dict(params),
        rule=f"charging stations every < {limit:g} km along routes (津市 seed; tanmap rule v1)",
        details={"n_routes": len(routes), "n_gaps": len(gaps),
                 "n_offending": int(offending.sum()),
                 "offending_km": float(gaps.loc[offending, "gap_km"].sum())},
        layers={"gaps": gaps.loc[offending].reset_index(drop=True)},
    )


def _compute_piles(frames: Mapping[str, gpd.GeoDataFrame], params: ChargingPilesParams,
                   context: MetricContext) -> MetricResult:
    if "charging_station" not in frames:
        return _no_data("charging_piles", "count", params, ["charging_station"])
    stations = _stations(frames, params.access, params.statuses, params.since_year,
                         params.until_year)
    counts = pile_counts(stations, params.pile)
    return MetricResult(name="charging_piles", value=float(counts["total"]), unit="count",
                        params=params_to_dict(params), details=counts)


def _compute_fast_share(frames: Mapping[str, gpd.GeoDataFrame], params: FastChargeShareParams,
                        context: MetricContext) -> MetricResult:
    if "charging_station" not in frames:
        return _no_data("fast_charge_share", "share", params, ["charging_station"])
    stations = _stations(frames, params.access, params.statuses, params.since_year)
    share = fast_charge_share(stations)
    return MetricResult(
        name="fast_charge_share", value=share, unit="share", params=params_to_dict(params),
        details={"fast_piles": int(_piles(stations, "fast").sum()),
                 "all_piles": int(_piles(stations, "total").sum())},
        missing=() if share is not None else ("fast_piles", "slow_piles"),
    )


METRIC_DEFS: tuple[MetricDef, ...] = (
    MetricDef(name="charging_spacing", zh="充电站最近邻平均间距", en="Charging station spacing",
              inputs=("charging_station",), params=ChargingSpacingParams,
              compute=_compute_spacing, unit="m", margin_m=TIANJIN_OUTER_SERVICE_RADIUS_M),
    MetricDef(name="charging_service_radius", zh="公共充电设施服务半径覆盖率",
              en="Charging service-radius coverage", inputs=("charging_station",),
              optional_inputs=("residential_land", "planning_zone"),
              params=ChargingServiceRadiusParams,
              compute=_compute_service_radius, unit="share",
              margin_m=TIANJIN_OUTER_SERVICE_RADIUS_M),
    MetricDef(name="charging_route_interval", zh="干线充电站间隔",
              en="Charging interval along routes", inputs=("route", "charging_station"),
              params=ChargingRouteIntervalParams, compute=_compute_route_interval, unit="km"),
    MetricDef(name="charging_piles", zh="充电桩数量", en="Charging piles",
              inputs=("charging_station",), params=ChargingPilesParams,
              compute=_compute_piles, unit="count"),
    MetricDef(name="fast_charge_share", zh="直流快充桩占比", en="Fast-charge share",
              inputs=("charging_station",), params=FastChargeShareParams,
              compute=_compute_fast_share, unit="share"),
)

"""Signs that undeclared lon/lat data comes from a Chinese web map (GCJ-02 / BD-09 疑似火星坐标).

Amap/Gaode, Tencent (GCJ-02) and Baidu (BD-09) publish coordinates offset from WGS84 by about
300–600 m (more for BD-09). A boundary from such a source stored as WGS84 is silently shifted by
that much. tanmap never converts without being told (``coord_system``), but it can say when a
source plausibly needs it: by its file name, by field names typical of those exports (Aliyun DataV
GeoAtlas, Amap district API), or because it matches a known WGS84 boundary only after conversion.
Pure functions: the callers in ``tanmap.layers`` read the files and the reference boundaries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from tanmap.geo.chinacoords import COORD_SYSTEMS, out_of_china, transform_geometries
from tanmap.geo.crs import planning_epsg

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "MATCH_IOU",
    "MAX_FEATURES_TESTED",
    "MIN_SHIFT_M",
    "WEB_MAP_FIELDS",
    "WEB_MAP_NAME_WORDS",
    "OffsetMatch",
    "offset_match",
    "web_map_field_hints",
    "web_map_name_hints",
]

#: Words in a file name that point to a Chinese web map (compared case-insensitively).
WEB_MAP_NAME_WORDS: tuple[str, ...] = (
    "amap", "gaode", "autonavi", "高德", "datav", "geoatlas", "阿里云",
    "tencent", "qqmap", "腾讯", "baidu", "bmap", "百度", "gcj", "火星", "bd09",
)
#: Field names (lower case) typical of Amap-derived exports: Aliyun DataV GeoAtlas
#: (childrenNum, subFeatureIndex, acroutes, centroid), the Amap district API (citycode), or
#: explicit GCJ-02/BD-09 coordinate columns.
WEB_MAP_FIELDS: frozenset[str] = frozenset({
    "childrennum", "subfeatureindex", "acroutes", "citycode",
    "gcj02", "gcj_lng", "gcj_lat", "bd09", "bd_lng", "bd_lat",
})
#: A web-map offset is only claimed when converting moves the data onto the reference by at
#: least this much (m); GCJ-02 shifts by 300–600 m in eastern China, WGS84 sources differ by less.
MIN_SHIFT_M = 100.0
#: Only the first features of a large file are compared (the hint needs one match, not all).
MAX_FEATURES_TESTED = 50
#: Intersection over union a converted boundary must reach with a reference boundary to count
#: as "the same district" (generalised sources differ in detail, not in a 500 m shift).
MATCH_IOU = 0.9


@dataclass(frozen=True)
class OffsetMatch:
    """A boundary that matches a reference only after converting from a web-map system.

    中文：坐标偏移检测结果。

    Parameters
    ----------
    system
        ``"gcj02"`` or ``"bd09"``: the system the data is plausibly in.
    reference
        Index label of the matching reference boundary.
    shift_m
        Distance (m) between the centroids of the data as given and the reference.
    residual_m
        The same distance after converting from ``system`` to WGS84.
    iou
        Intersection over union with the reference after conversion.
    """

    system: str
    reference: object
    shift_m: float
    residual_m: float
    iou: float


def web_map_name_hints(name: str) -> list[str]:
    """Return the web-map words found in a file name.

    中文：文件名中的网络地图来源线索。

    Examples
    --------
    >>> web_map_name_hints("和平区_高德_AMap.geojson"), web_map_name_hints("heping_wgs84.shp")
    (['amap', '高德'], [])
    """
    lowered = name.lower()
    return [w for w in WEB_MAP_NAME_WORDS if w in lowered]


def web_map_field_hints(columns: Iterable[object]) -> list[str]:
    """Return the columns whose names are typical of Amap/DataV/Baidu exports.

    中文：字段名中的网络地图来源线索。

    Examples
    --------
    >>> web_map_field_hints(["adcode", "name", "childrenNum", "acroutes", "geometry"])
    ['childrenNum', 'acroutes']
    """
    return [str(c) for c in columns if re.sub(r"\s", "", str(c)).lower() in WEB_MAP_FIELDS]


def _iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    union = shapely.area(shapely.union(a, b))
    return float(shapely.area(shapely.intersection(a, b)) / union) if union > 0 else 0.0


def offset_match(
    boundary: gpd.GeoSeries,
    references: gpd.GeoSeries,
    *,
    min_shift_m: float = MIN_SHIFT_M,
    match_iou: float = MATCH_IOU,
) -> OffsetMatch | None:
    """Return how a boundary matches a reference only after a GCJ-02/BD-09 conversion, if it does.

    中文：与内置（WGS84）边界比对，检测数据是否疑似 GCJ-02/BD-09 坐标。

    Each feature of the boundary (the first :data:`MAX_FEATURES_TESTED`) and their union are
    compared with every reference they overlap, as given and after
    converting it from GCJ-02 and from BD-09 to WGS84, in the planning CRS of the place
    (metres). A match is reported when a conversion gives an intersection over union of at
    least ``match_iou``, the data as given is further from the reference by at least
    ``min_shift_m``, and the conversion brings the centroids at least three times closer.

    Parameters
    ----------
    boundary
        Polygons in a lon/lat CRS, as declared by the file (taken to be WGS84).
    references
        Known WGS84 boundaries (e.g. tanmap's bundled districts), lon/lat.
    min_shift_m, match_iou
        Thresholds, see above.

    Returns
    -------
    OffsetMatch or None
        None outside China, without an overlapping reference, or when no conversion helps.

    Examples
    --------
    A 2 km square in Tianjin, published shifted to GCJ-02, found against its WGS84 original:

    >>> from shapely.geometry import box
    >>> from tanmap.geo.chinacoords import wgs84_to_gcj02
    >>> truth = gpd.GeoSeries([box(117.19, 39.11, 117.213, 39.128)], crs=4326, index=["A"])
    >>> match = offset_match(transform_geometries(truth, wgs84_to_gcj02), truth)
    >>> match.system, match.reference, round(match.shift_m, -1) > 100, match.residual_m < 1
    ('gcj02', 'A', True, True)
    >>> offset_match(truth, truth) is None
    True
    """
    parts = shapely.make_valid(np.asarray(boundary.array, dtype=object)[:MAX_FEATURES_TESTED])
    union = shapely.union_all(parts)
    if union.is_empty:
        return None
    centre = union.centroid
    if bool(out_of_china(centre.x, centre.y)):
        return None
    west, south, east, north = union.bounds
    pad = 0.05  # degrees, ~5 km: a 500 m shift still overlaps
    near = references[references.intersects(shapely.box(west - pad, south - pad, east + pad,
                                                        north + pad))]
    if near.empty:
        return None
    metric = planning_epsg(centre.x, centre.y)
    # Each feature (one district of a multi-district file) and the whole, as given and converted.
    given = gpd.GeoSeries([*parts, union] if len(parts) > 1 else [union], crs=references.crs)
    versions = {"given": given.to_crs(metric).make_valid()}
    for system in ("gcj02", "bd09"):
        versions[system] = (transform_geometries(given, COORD_SYSTEMS[system])
                            .to_crs(metric).make_valid())
    refs_m = near.to_crs(metric).make_valid()
    best: OffsetMatch | None = None
    for label, ref in refs_m.items():
        for k in range(len(given)):
            shift = float(versions["given"].iloc[k].centroid.distance(ref.centroid))
            for system in ("gcj02", "bd09"):
                moved = versions[system].iloc[k]
                residual = float(moved.centroid.distance(ref.centroid))
                iou = _iou(moved, ref)
                if (iou >= match_iou and shift >= min_shift_m and residual * 3 <= shift
                        and (best is None or iou > best.iou)):
                    best = OffsetMatch(system, label, shift, residual, iou)
    return best

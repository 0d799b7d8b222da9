"""Planning CRS choice (CGCS2000 3° Gauss–Krüger zone, UTM elsewhere) and CRS guards (坐标参考系).

tanmap measures in metres only. The planning CRS of a district is the CGCS2000 3-degree
Gauss–Krüger zone (2000国家大地坐标系 3度带, EPSG:4534–4554, no false-easting zone prefix) whose
central meridian is nearest the district's centroid; outside China it is the local WGS84 UTM zone.

"Inside China" means inside the GCJ-02 rectangle of :mod:`tanmap.geo.chinacoords`
(72.004–137.8347 °E, 0.8293–55.8271 °N), so that the CRS choice and the GCJ-02 offset agree on
which points are "Chinese". The rectangle also covers Korea, Mongolia and parts of other neighbours;
they get a CGCS2000 GK zone, which measures there exactly as well as UTM does (CGCS2000 and WGS84
differ by centimetres), so nothing is lost. Every GK zone used is within 1.5° of the point.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from pyproj.exceptions import CRSError as PyprojCRSError
from shapely.geometry.base import BaseGeometry

from tanmap.geo.chinacoords import out_of_china
from tanmap.geo.errors import CRSError, CRSMismatchError, GeographicCRSError, MissingCRSError

__all__ = [
    "AREA_OF_USE_MARGIN_DEG",
    "CRS_ALIASES",
    "GK_EPSG_FIRST",
    "GK_EPSG_LAST",
    "Bounds",
    "district_planning_epsg",
    "gk_central_meridian",
    "looks_like_degrees",
    "looks_swapped",
    "outside_area_of_use",
    "parse_crs",
    "planning_epsg",
    "require_crs",
    "require_projected",
    "require_same_crs",
]

#: First and last CGCS2000 3° GK zone without zone prefix (CM 75 °E and 135 °E).
GK_EPSG_FIRST = 4534
GK_EPSG_LAST = 4554
_GK_CM0_DEG = 75.0
_GK_ZONE_WIDTH_DEG = 3.0
#: UTM is defined between 80 °S and 84 °N; beyond, a polar CRS must be chosen by hand.
_UTM_SOUTH_DEG = -80.0
_UTM_NORTH_DEG = 84.0

#: How far (degrees) beyond a CRS's area of use coordinates may lie before they count as "far
#: outside": one 3° GK zone, so a district that spills into the neighbouring zone still loads.
AREA_OF_USE_MARGIN_DEG = 3.0
#: A projected point whose lon/lat round trip moves it by more than this (CRS units) is not a
#: point of the projection's domain (e.g. a transverse Mercator far beyond its zone wraps around).
_ROUND_TRIP_TOLERANCE = 1.0

#: Friendly names accepted by :func:`parse_crs` (lower case, ``-``/``_``/space removed).
CRS_ALIASES: dict[str, int] = {
    "wgs84": 4326,
    "cgcs2000": 4490,
}

#: EPSG codes of Web Mercator and its historic aliases (kept explicit: some lack method names).
_WEB_MERCATOR_EPSG = frozenset({3857, 3785, 900913, 102100, 102113})


class Bounds(NamedTuple):
    """A bounding box (west, south, east, north) in the units of its CRS.

    中文：范围（西、南、东、北）。

    Examples
    --------
    >>> Bounds.from_total_bounds([0.0, 1.0, 2.0, 3.0])
    Bounds(west=0.0, south=1.0, east=2.0, north=3.0)
    """

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def from_total_bounds(cls, arr: npt.ArrayLike) -> Bounds:
        """Build from a ``total_bounds``-style ``[minx, miny, maxx, maxy]`` array.

        中文：由 total_bounds 数组构造范围。

        Parameters
        ----------
        arr
            Four numbers ``minx, miny, maxx, maxy`` (e.g. ``GeoSeries.total_bounds``).

        Raises
        ------
        ValueError
            If ``arr`` does not hold exactly four numbers, or west > east or south > north.
        """
        values = np.asarray(arr, dtype=np.float64).ravel()
        if values.shape != (4,):
            raise ValueError(
                f"Bounds need 4 numbers (west, south, east, north); got {values.size}: {arr!r}."
            )
        west, south, east, north = (float(v) for v in values)
        if west > east or south > north:
            raise ValueError(
                f"Bounds {values.tolist()} have west > east or south > north; "
                "pass [minx, miny, maxx, maxy] (x = longitude/easting first)."
            )
        return cls(west, south, east, north)


def gk_central_meridian(epsg: int) -> float:
    """Return the central meridian (°E) of a CGCS2000 3° GK zone EPSG:4534–4554.

    中文：3度带中央经线。

    Raises
    ------
    CRSError
        If ``epsg`` is not one of the 21 zone codes.

    Examples
    --------
    >>> gk_central_meridian(4548)
    117.0
    """
    if not GK_EPSG_FIRST <= epsg <= GK_EPSG_LAST:
        raise CRSError(
            f"EPSG:{epsg} is not a CGCS2000 3-degree GK zone without prefix "
            f"(EPSG:{GK_EPSG_FIRST}–{GK_EPSG_LAST})."
        )
    return _GK_CM0_DEG + _GK_ZONE_WIDTH_DEG * (epsg - GK_EPSG_FIRST)


def planning_epsg(lon: float, lat: float) -> int:
    """Return the EPSG code of the planning CRS (metres) for a lon/lat point.

    中文：规划坐标系（CGCS2000 3度带高斯-克吕格投影；境外用 UTM）。

    Inside China (the GCJ-02 rectangle, see module docstring) this is the CGCS2000 3° GK zone
    without prefix whose central meridian ``75 + 3·(code − 4534)`` °E is nearest ``lon`` (ties go
    east). Elsewhere it is the standard WGS84 UTM zone, 326xx north of the equator and 327xx south
    (the Norway/Svalbard zone exceptions are not applied).

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees (WGS84 or CGCS2000).

    Returns
    -------
    int
        An EPSG code: 4534–4554, 32601–32660 or 32701–32760.

    Raises
    ------
    CRSError
        If the values are not finite degrees (e.g. metres were passed), or the point is polar
        (beyond 80 °S / 84 °N, where UTM is undefined).

    Examples
    --------
    >>> planning_epsg(117.2, 39.12)    # 天津 和平区
    4548
    >>> planning_epsg(121.48, 31.23)   # 上海 黄浦区
    4549
    >>> planning_epsg(111.88, 29.6)    # 湖南 津市市
    4546
    >>> planning_epsg(-0.1276, 51.5072)  # London
    32630
    >>> planning_epsg(151.21, -33.87)  # Sydney
    32756
    """
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        raise CRSError(
            f"({lon}, {lat}) is not a lon/lat point in degrees; planning_epsg needs longitude "
            "first, then latitude, in degrees. Reproject metres to EPSG:4326 first."
        )
    if not bool(out_of_china(lon, lat)):
        zone = math.floor((lon - _GK_CM0_DEG) / _GK_ZONE_WIDTH_DEG + 0.5)
        return GK_EPSG_FIRST + min(max(zone, 0), GK_EPSG_LAST - GK_EPSG_FIRST)
    if not _UTM_SOUTH_DEG <= lat <= _UTM_NORTH_DEG:
        raise CRSError(
            f"No UTM zone at latitude {lat}° (UTM covers {_UTM_SOUTH_DEG}° to {_UTM_NORTH_DEG}°); "
            "pass an explicit polar projected CRS (e.g. EPSG:3413 or EPSG:3031) as planning CRS."
        )
    utm_zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + utm_zone


def district_planning_epsg(geom_wgs84: BaseGeometry | Any) -> int:
    """Return the planning CRS EPSG code for a district from its lon/lat centroid.

    中文：按区县质心确定规划坐标系。

    The centroid is computed in a Lambert azimuthal equal-area projection centred on the
    geometry's bounding box (not on raw degrees, which would weight high latitudes wrongly),
    then taken back to lon/lat for :func:`planning_epsg`.

    Parameters
    ----------
    geom_wgs84
        A shapely geometry in lon/lat degrees, or a GeoSeries/GeoDataFrame in a geographic CRS
        (all its geometries are combined).

    Raises
    ------
    CRSError
        If a GeoSeries/GeoDataFrame is not in a geographic CRS, or the geometry is empty.
    MissingCRSError
        If a GeoSeries/GeoDataFrame has no CRS.

    Examples
    --------
    >>> from shapely import box
    >>> district_planning_epsg(box(117.15, 39.10, 117.22, 39.14))   # around 天津 和平区
    4548
    """
    if isinstance(geom_wgs84, BaseGeometry):
        geom = geom_wgs84
    else:
        crs = require_crs(geom_wgs84, what="The district boundary")
        if not crs.is_geographic:
            raise CRSError(
                f"The district boundary is in {crs.to_string()}; district_planning_epsg needs "
                "lon/lat. Call .to_crs('EPSG:4326') first."
            )
        geom = shapely.union_all(np.asarray(geom_wgs84.geometry.array, dtype=object))
    if geom is None or geom.is_empty:
        raise CRSError("The district boundary is empty; cannot choose a planning CRS for it.")
    west, south, east, north = geom.bounds
    lon_0, lat_0 = (west + east) / 2.0, (south + north) / 2.0
    laea = pyproj.CRS.from_proj4(
        f"+proj=laea +lat_0={lat_0} +lon_0={lon_0} +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    )
    to_laea = pyproj.Transformer.from_crs(4326, laea, always_xy=True)
    centroid = shapely.centroid(shapely.transform(geom, lambda c: np.column_stack(
        to_laea.transform(c[:, 0], c[:, 1]))))
    lon, lat = to_laea.transform(centroid.x, centroid.y, direction="INVERSE")
    return planning_epsg(float(lon), float(lat))


def parse_crs(value: Any) -> pyproj.CRS:
    """Parse a user-supplied CRS into a :class:`pyproj.CRS`.

    中文：解析坐标参考系（EPSG 代码、名称或 CRS 对象）。

    Parameters
    ----------
    value
        ``"EPSG:4548"``, ``4548``, ``"cgcs2000"`` (EPSG:4490), ``"wgs84"`` (EPSG:4326), a WKT or
        PROJ string, or a :class:`pyproj.CRS`.

    Raises
    ------
    CRSError
        If pyproj cannot parse the value (chained from pyproj's own error), or it names GCJ-02 /
        BD-09, which are not CRSs (convert those with ``tanmap.geo.chinacoords.to_wgs84``).
    TypeError
        If ``value`` is neither a string, an int nor a CRS.

    Examples
    --------
    >>> parse_crs("cgcs2000").to_epsg(), parse_crs(4548).to_epsg(), parse_crs("EPSG:4549").to_epsg()
    (4490, 4548, 4549)
    """
    if isinstance(value, pyproj.CRS):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(
            f"A CRS must be an EPSG code, a string such as 'EPSG:4548' or a pyproj.CRS; "
            f"got {type(value).__name__}: {value!r}."
        )
    if isinstance(value, str):
        key = value.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
        if key in {"gcj02", "bd09"}:
            raise CRSError(
                f"{value!r} is a Chinese map offset, not a CRS pyproj knows. Treat the data as "
                "EPSG:4326 and convert it with tanmap.geo.chinacoords.to_wgs84(x, y, "
                f"{key!r}) (or the coord_system option of the importer)."
            )
        value = CRS_ALIASES.get(key, value)
    try:
        return pyproj.CRS.from_user_input(value)
    except PyprojCRSError as err:
        raise CRSError(
            f"Cannot parse CRS {value!r}: {err}. Use an EPSG code such as 'EPSG:4548' "
            "(CGCS2000 GK zone CM 117°E), 'EPSG:4326' (WGS84) or 'cgcs2000'."
        ) from err


def require_crs(obj: Any, *, what: str) -> pyproj.CRS:
    """Return the CRS of a GeoSeries/GeoDataFrame, raising if it has none.

    中文：检查数据是否带坐标参考系。

    Parameters
    ----------
    obj
        A GeoSeries or GeoDataFrame.
    what
        Name of the data in messages, e.g. ``"parks"``.

    Raises
    ------
    MissingCRSError
        If ``obj.crs`` is None. tanmap never guesses a CRS from coordinate ranges.
    TypeError
        If ``obj`` has no ``crs`` attribute.
    """
    if not hasattr(obj, "crs"):
        raise TypeError(
            f"{what} must be a GeoSeries or GeoDataFrame; got {type(obj).__name__}."
        )
    if obj.crs is None:
        raise MissingCRSError(
            f"{what} has no CRS; tanmap does not guess one. Call .set_crs(<source CRS>) first, "
            "e.g. .set_crs('EPSG:4326') for lon/lat or .set_crs('EPSG:4548') for CGCS2000 GK "
            "zone metres."
        )
    crs: pyproj.CRS = obj.crs
    return crs


def _is_mercator_like(crs: pyproj.CRS) -> bool:
    if crs.to_epsg() in _WEB_MERCATOR_EPSG:
        return True
    operation = crs.coordinate_operation
    method = operation.method_name.lower() if operation is not None else ""
    return "mercator" in method and "transverse" not in method and "oblique" not in method


def require_projected(obj: Any, *, what: str) -> pyproj.CRS:
    """Return the CRS of ``obj`` after checking it measures in metres.

    中文：检查数据为以米为单位的投影坐标系（用于距离、面积、缓冲区计算）。

    Parameters
    ----------
    obj
        A GeoSeries or GeoDataFrame.
    what
        Name of the data in messages.

    Raises
    ------
    MissingCRSError
        If ``obj`` has no CRS.
    GeographicCRSError
        If the CRS is geographic (degrees); if it is Web Mercator or another normal-aspect
        Mercator, whose scale grows as 1/cos(latitude) (+15 % at 30°N, +30 % at 40°N), so
        distances and areas are wrong; or if its unit is not the metre.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> require_projected(gpd.GeoSeries([Point(0, 0)], crs=4548), what="pts").to_epsg()
    4548
    """
    crs = require_crs(obj, what=what)
    if not crs.is_projected:
        raise GeographicCRSError(
            f"{what} is in {crs.to_string()} (degrees); distances and areas need metres. "
            f"Reproject first, e.g. {what}.to_crs(planning_epsg(lon, lat)) "
            "(EPSG:4548 for Tianjin)."
        )
    if _is_mercator_like(crs):
        raise GeographicCRSError(
            f"{what} is in {crs.to_string()} (Web Mercator-like); its scale grows as "
            "1/cos(latitude), about +15 % at 30°N, so lengths and areas would be wrong. "
            f"Reproject to the planning CRS, e.g. {what}.to_crs(planning_epsg(lon, lat))."
        )
    units = {axis.unit_name.lower() for axis in crs.axis_info}
    if not units <= {"metre", "meter"}:
        raise GeographicCRSError(
            f"{what} is in {crs.to_string()} with units {sorted(units)}; tanmap measures in "
            f"metres. Reproject first, e.g. {what}.to_crs(planning_epsg(lon, lat))."
        )
    return crs


def require_same_crs(a: Any, b: Any, *, what_a: str, what_b: str) -> pyproj.CRS:
    """Return the common CRS of two inputs, raising if they differ.

    中文：检查两组数据坐标参考系一致。

    Raises
    ------
    MissingCRSError
        If either input has no CRS.
    CRSMismatchError
        If the CRSs differ; the message names both and the ``to_crs`` fix.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> parks = gpd.GeoSeries([Point(0, 0)], crs=4548)
    >>> require_same_crs(parks, parks, what_a="parks", what_b="homes").to_epsg()
    4548
    """
    crs_a = require_crs(a, what=what_a)
    crs_b = require_crs(b, what=what_b)
    if crs_a != crs_b:
        raise CRSMismatchError(
            f"{what_a} is in {crs_a.to_string()} but {what_b} is in {crs_b.to_string()}; "
            "both must share one CRS. Reproject one, e.g. "
            f"{what_b} = {what_b}.to_crs({what_a}.crs)."
        )
    return crs_a


def _finite_xy(
    x: npt.ArrayLike, y: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    xa, ya = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    keep = np.isfinite(xa) & np.isfinite(ya)
    return xa[keep], ya[keep]


def looks_like_degrees(x: npt.ArrayLike, y: npt.ArrayLike) -> bool:
    """Return True if every finite point is a plausible lon/lat (|x| ≤ 180, |y| ≤ 90).

    中文：坐标是否像经纬度（度）。

    A validation helper only: tanmap never assigns a CRS from this. False for no finite points.

    Examples
    --------
    >>> looks_like_degrees([117.2, 121.5], [39.1, 31.2])
    True
    >>> looks_like_degrees([500123.0], [4331000.0])   # GK zone metres
    False
    """
    xa, ya = _finite_xy(x, y)
    return bool(xa.size) and bool(np.all(np.abs(xa) <= 180.0) and np.all(np.abs(ya) <= 90.0))


def looks_swapped(x: npt.ArrayLike, y: npt.ArrayLike) -> bool:
    """Return True if the points look like (lat, lon) given as (x, y) for a place in China.

    中文：坐标是否疑似经纬度颠倒（纬度在前）。

    True when every finite point lies in China's rectangle only after swapping x and y, and
    none lies in it as given. A validation helper: it suggests a fix, it never silently swaps.

    Examples
    --------
    >>> looks_swapped([39.12], [117.2])
    True
    >>> looks_swapped([117.2], [39.12])
    False
    """
    xa, ya = _finite_xy(x, y)
    if not xa.size:
        return False
    # Reuse out_of_china so the CRS choice, the GCJ-02 offset and this check agree on "China".
    as_given = ~out_of_china(xa, ya)
    swapped = ~out_of_china(ya, xa)
    return bool(np.all(swapped) and not np.any(as_given))


def outside_area_of_use(
    x: npt.ArrayLike, y: npt.ArrayLike, crs: Any, *, margin_deg: float = AREA_OF_USE_MARGIN_DEG
) -> npt.NDArray[np.bool_]:
    """Return True where a point of ``crs`` lies far outside the CRS's area of use.

    中文：坐标是否远超坐标系适用范围（如把错误单位或错误坐标系的数值当作投影坐标）。

    A point is "far outside" when it is not finite, cannot be converted to the CRS's lon/lat
    (or does not survive the round trip back), or its lon/lat lies more than ``margin_deg``
    beyond the bounds of pyproj's ``CRS.area_of_use``. A CRS without an area of use only gets
    the first two tests. Such coordinates become infinite or wrap around when reprojected.

    Parameters
    ----------
    x, y
        Coordinates in ``crs`` (x = easting or longitude).
    crs
        Anything :func:`parse_crs` accepts.
    margin_deg
        Tolerance beyond the area of use, in degrees.

    Returns
    -------
    numpy.ndarray of bool
        One value per (broadcast) point.

    Examples
    --------
    >>> outside_area_of_use([516_500.0, 1e12, 2e6], [4_331_500.0, 1e12, 4_331_500.0],
    ...                     "EPSG:4548").tolist()   # 和平区; huge; 16° east of the zone
    [False, True, True]
    """
    parsed = parse_crs(crs)
    xa, ya = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    outside = ~(np.isfinite(xa) & np.isfinite(ya))
    geodetic = parsed.geodetic_crs
    if parsed.is_geographic or geodetic is None:
        lon, lat = xa, ya
    else:
        forward = pyproj.Transformer.from_crs(parsed, geodetic, always_xy=True)
        with np.errstate(invalid="ignore"):
            lon, lat = (np.asarray(v, dtype=np.float64)
                        for v in forward.transform(xa, ya, errcheck=False))
            back_x, back_y = forward.transform(lon, lat, direction="INVERSE", errcheck=False)
            moved = np.hypot(np.asarray(back_x) - xa, np.asarray(back_y) - ya)
        outside |= ~(np.isfinite(lon) & np.isfinite(lat)) | ~(moved <= _ROUND_TRIP_TOLERANCE)
    area = parsed.area_of_use
    if area is None:
        return np.asarray(outside)
    west, south, east, north = area.bounds
    with np.errstate(invalid="ignore"):
        lat_ok = (lat >= south - margin_deg) & (lat <= north + margin_deg)
        if west <= east:
            lon_ok = (lon >= west - margin_deg) & (lon <= east + margin_deg)
        else:  # the area crosses the antimeridian
            lon_ok = (lon >= west - margin_deg) | (lon <= east + margin_deg)
    return np.asarray(outside | ~(lat_ok & lon_ok))

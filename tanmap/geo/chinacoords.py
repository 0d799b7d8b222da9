"""Chinese map coordinate systems (GCJ-02 火星坐标, BD-09 百度坐标) to and from WGS84, vectorised.

Amap/Gaode and Tencent publish coordinates in GCJ-02 (国测局坐标), an obfuscated WGS84 with a
smooth, position-dependent offset of a few hundred metres inside China; Baidu adds a second shift on
top (BD-09). tanmap stores WGS84/CGCS2000, so every import from these sources goes through
:func:`to_wgs84`.

The forward GCJ-02 formulas below are the widely published public description of the algorithm (the
Krasovsky 1940 ellipsoid, a = 6 378 245 m, e² = 0.00669342162296594323, and two trigonometric series
in ``lon - 105``, ``lat - 35``); the BD-09 step is the published polar-coordinate shift around the
GCJ-02 point. Written for tanmap from that description. The inverses are iterative fixed-point
solutions, accurate to far better than 0.5 m everywhere inside the GCJ-02 rectangle.

Outside the rectangle 72.004–137.8347 °E, 0.8293–55.8271 °N (:func:`out_of_china`) the GCJ-02
offset is exactly zero, as in the published algorithm. That rectangle is coarse: it contains all of
China but also Korea, Mongolia and parts of neighbouring countries, which therefore also receive an
offset, exactly as Amap's own service would apply it.

CGCS2000 (2000国家大地坐标系, EPSG:4490) and WGS84 differ by a few centimetres at most; at planning
accuracy (≥ 0.1 m) tanmap treats them as the same lon/lat, so ``"cgcs2000"`` converts as identity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TypeVar, cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely

from tanmap.geo.errors import CRSError, MissingCRSError

__all__ = [
    "CHINA_RECT",
    "COORD_SYSTEMS",
    "CoordFunc",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "transform_geometries",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = npt.NDArray[np.float64]
#: A vectorised coordinate conversion: ``(x, y) -> (x, y)`` on lon/lat arrays.
CoordFunc = Callable[[npt.ArrayLike, npt.ArrayLike], tuple[FloatArray, FloatArray]]

#: The GCJ-02 rectangle (west, south, east, north) in degrees, as in the published algorithm.
CHINA_RECT: tuple[float, float, float, float] = (72.004, 0.8293, 137.8347, 55.8271)

#: Krasovsky 1940 semi-major axis (m) and first eccentricity squared used by GCJ-02.
_KRASOVSKY_A_M = 6378245.0
_KRASOVSKY_E2 = 0.00669342162296594323
#: BD-09 angular factor (π · 3000 / 180).
_BD_X_PI = np.pi * 3000.0 / 180.0
#: BD-09 constant shifts (degrees).
_BD_DLON_DEG = 0.0065
_BD_DLAT_DEG = 0.006
#: Inverse iteration: stop when every coordinate moved less than this (degrees, ~1e-5 m).
_INVERSE_TOL_DEG = 1e-10
_INVERSE_MAX_ITER = 30

T = TypeVar("T", gpd.GeoSeries, npt.NDArray[np.object_])


def _as_xy(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    xa, ya = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return xa.astype(np.float64, copy=True), ya.astype(np.float64, copy=True)


def out_of_china(x: npt.ArrayLike, y: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Return True where a lon/lat point lies outside the GCJ-02 rectangle (no offset applies).

    中文：判断是否在中国范围（GCJ-02 矩形）之外。

    Parameters
    ----------
    x, y
        Longitude and latitude in degrees (arrays or scalars, broadcast together).

    Returns
    -------
    numpy.ndarray of bool
        Same shape as the broadcast inputs. NaN counts as outside.

    Examples
    --------
    >>> out_of_china([117.2, -0.12], [39.12, 51.5]).tolist()
    [False, True]
    """
    xa, ya = _as_xy(x, y)
    west, south, east, north = CHINA_RECT
    inside = (xa >= west) & (xa <= east) & (ya >= south) & (ya <= north)
    return np.asarray(~inside)


def _gcj_offset(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the GCJ-02 offset (dlon, dlat) in degrees at WGS84 points; zero outside China."""
    dx = x - 105.0
    dy = y - 35.0
    sqrt_abs_dx = np.sqrt(np.abs(dx))
    common = (20.0 * np.sin(6.0 * np.pi * dx) + 20.0 * np.sin(2.0 * np.pi * dx)) * 2.0 / 3.0
    lat_series = (
        -100.0 + 2.0 * dx + 3.0 * dy + 0.2 * dy * dy + 0.1 * dx * dy + 0.2 * sqrt_abs_dx
        + common
        + (20.0 * np.sin(np.pi * dy) + 40.0 * np.sin(np.pi * dy / 3.0)) * 2.0 / 3.0
        + (160.0 * np.sin(np.pi * dy / 12.0) + 320.0 * np.sin(np.pi * dy / 30.0)) * 2.0 / 3.0
    )
    lon_series = (
        300.0 + dx + 2.0 * dy + 0.1 * dx * dx + 0.1 * dx * dy + 0.1 * sqrt_abs_dx
        + common
        + (20.0 * np.sin(np.pi * dx) + 40.0 * np.sin(np.pi * dx / 3.0)) * 2.0 / 3.0
        + (150.0 * np.sin(np.pi * dx / 12.0) + 300.0 * np.sin(np.pi * dx / 30.0)) * 2.0 / 3.0
    )
    lat_rad = np.radians(y)
    magic = 1.0 - _KRASOVSKY_E2 * np.sin(lat_rad) ** 2
    sqrt_magic = np.sqrt(magic)
    # Metres along the meridian / parallel on the Krasovsky ellipsoid -> degrees.
    meridian_radius_m = _KRASOVSKY_A_M * (1.0 - _KRASOVSKY_E2) / (magic * sqrt_magic)
    dlat = lat_series * 180.0 / (meridian_radius_m * np.pi)
    dlon = lon_series * 180.0 / (_KRASOVSKY_A_M / sqrt_magic * np.cos(lat_rad) * np.pi)
    outside = out_of_china(x, y)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 lon/lat to GCJ-02 (the coordinates Amap/Gaode and Tencent use).

    中文：WGS84 转 GCJ-02（火星坐标）。

    Parameters
    ----------
    x, y
        WGS84 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude (degrees); unchanged outside :data:`CHINA_RECT`.

    Examples
    --------
    >>> gx, gy = wgs84_to_gcj02(116.391, 39.907)   # Tiananmen, Beijing
    >>> round(float(gx), 4), round(float(gy), 4)
    (116.3972, 39.9084)
    >>> wgs84_to_gcj02(2.35, 48.85)[0].item()       # Paris: no offset outside China
    2.35
    """
    xa, ya = _as_xy(x, y)
    dlon, dlat = _gcj_offset(xa, ya)
    return xa + dlon, ya + dlat


def gcj02_to_wgs84(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat back to WGS84 by fixed-point iteration.

    中文：GCJ-02（火星坐标）转 WGS84（迭代反算）。

    Solves ``wgs84_to_gcj02(w) == g`` for ``w``. The offset changes by well under 1e-3 per degree,
    so ``w <- w - (wgs84_to_gcj02(w) - g)`` contracts fast: 3–5 iterations reach 1e-10 degree.
    Near the edges of :data:`CHINA_RECT` (far from any Chinese territory) the forward map is not
    one-to-one; there a point whose GCJ-02 value falls outside the rectangle is returned unchanged.

    Parameters
    ----------
    x, y
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude (degrees).

    Examples
    --------
    >>> wx, wy = gcj02_to_wgs84(*wgs84_to_gcj02(117.2, 39.12))
    >>> round(float(wx), 9), round(float(wy), 9)
    (117.2, 39.12)
    """
    gx, gy = _as_xy(x, y)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = wgs84_to_gcj02(wx, wy)
        step_x, step_y = fx - gx, fy - gy
        wx, wy = wx - step_x, wy - step_y
        finite = np.isfinite(step_x) & np.isfinite(step_y)
        if not finite.any() or max(
            np.abs(step_x[finite]).max(), np.abs(step_y[finite]).max()
        ) < _INVERSE_TOL_DEG:
            break
    return wx, wy


def gcj02_to_bd09(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat to BD-09 (Baidu).

    中文：GCJ-02 转 BD-09（百度坐标）。

    Parameters
    ----------
    x, y
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude (degrees). Unlike GCJ-02, BD-09 shifts every point.

    Examples
    --------
    >>> bx, by = gcj02_to_bd09(116.404, 39.915)
    >>> round(float(bx), 4), round(float(by), 4)
    (116.4104, 39.9213)
    """
    gx, gy = _as_xy(x, y)
    radius = np.hypot(gx, gy) + 0.00002 * np.sin(gy * _BD_X_PI)
    theta = np.arctan2(gy, gx) + 0.000003 * np.cos(gx * _BD_X_PI)
    return radius * np.cos(theta) + _BD_DLON_DEG, radius * np.sin(theta) + _BD_DLAT_DEG


def _bd09_to_gcj02_approx(bx: FloatArray, by: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = bx - _BD_DLON_DEG
    y = by - _BD_DLAT_DEG
    radius = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return radius * np.cos(theta), radius * np.sin(theta)


def bd09_to_gcj02(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 lon/lat to GCJ-02.

    中文：BD-09（百度坐标）转 GCJ-02。

    The published closed-form inverse is only approximate (errors of a few decimetres), so it is
    used as the starting point of a fixed-point iteration on :func:`gcj02_to_bd09`.

    Parameters
    ----------
    x, y
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude (degrees).

    Examples
    --------
    >>> gx, gy = bd09_to_gcj02(*gcj02_to_bd09(121.48, 31.23))
    >>> round(float(gx), 9), round(float(gy), 9)
    (121.48, 31.23)
    """
    bx, by = _as_xy(x, y)
    gx, gy = _bd09_to_gcj02_approx(bx, by)
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = gcj02_to_bd09(gx, gy)
        step_x, step_y = fx - bx, fy - by
        gx, gy = gx - step_x, gy - step_y
        finite = np.isfinite(step_x) & np.isfinite(step_y)
        if not finite.any() or max(
            np.abs(step_x[finite]).max(), np.abs(step_y[finite]).max()
        ) < _INVERSE_TOL_DEG:
            break
    return gx, gy


def wgs84_to_bd09(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 lon/lat to BD-09 (via GCJ-02).

    中文：WGS84 转 BD-09（百度坐标）。

    Parameters
    ----------
    x, y
        WGS84 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude (degrees).
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(x, y))


def bd09_to_wgs84(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 lon/lat to WGS84 (via GCJ-02, both steps iterative).

    中文：BD-09（百度坐标）转 WGS84。

    Parameters
    ----------
    x, y
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude (degrees).
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(x, y))


def _identity(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    return _as_xy(x, y)


#: Source coordinate system -> conversion to WGS84 lon/lat; ``cgcs2000`` is identity (module doc).
COORD_SYSTEMS: Mapping[str, CoordFunc] = MappingProxyType(
    {
        "wgs84": _identity,
        "cgcs2000": _identity,
        "gcj02": gcj02_to_wgs84,
        "bd09": bd09_to_wgs84,
    }
)


def to_wgs84(
    x: npt.ArrayLike, y: npt.ArrayLike, system: str
) -> tuple[FloatArray, FloatArray]:
    """Convert lon/lat in a named source coordinate system to WGS84.

    中文：将 WGS84 / CGCS2000 / GCJ-02 / BD-09 坐标统一转换为 WGS84。

    Parameters
    ----------
    x, y
        Longitude and latitude in degrees in ``system``.
    system
        One of :data:`COORD_SYSTEMS`: ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"`` (Amap/Gaode,
        Tencent), ``"bd09"`` (Baidu). Case-insensitive; ``-`` and ``_`` are ignored.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude (degrees).

    Raises
    ------
    CRSError
        If ``system`` is not one of the four names.

    Examples
    --------
    >>> to_wgs84(117.2, 39.12, "CGCS2000")[0].item()
    117.2
    """
    key = system.lower().replace("-", "").replace("_", "")
    try:
        func = COORD_SYSTEMS[key]
    except KeyError:
        raise CRSError(
            f"Unknown coordinate system {system!r}; tanmap converts from "
            f"{', '.join(sorted(COORD_SYSTEMS))}. Amap/Gaode and Tencent use 'gcj02', "
            "Baidu uses 'bd09'; data in a projected CRS should be reprojected with to_crs instead."
        ) from None
    return func(x, y)


def _lonlat_crs_check(geoms: gpd.GeoSeries) -> None:
    if geoms.crs is None:
        raise MissingCRSError(
            "The geometries have no CRS; GCJ-02/BD-09 conversion works on lon/lat. "
            "Call .set_crs('EPSG:4326') first if the coordinates are degrees."
        )
    if not geoms.crs.is_geographic:
        raise CRSError(
            f"The geometries are in {geoms.crs.to_string()}, not lon/lat degrees; GCJ-02/BD-09 "
            "conversion works on lon/lat. Reproject first with .to_crs('EPSG:4326')."
        )


def transform_geometries(geoms: T, func: CoordFunc) -> T:
    """Apply a vectorised lon/lat conversion to every vertex of every geometry.

    中文：批量转换几何坐标（如 GCJ-02 → WGS84）。

    Parameters
    ----------
    geoms
        A GeoSeries in a geographic (lon/lat) CRS, or an array of shapely geometries whose
        coordinates are lon/lat degrees.
    func
        A conversion such as :func:`gcj02_to_wgs84` or ``COORD_SYSTEMS["bd09"]``.

    Returns
    -------
    GeoSeries or numpy.ndarray
        The same type as ``geoms``. A GeoSeries keeps its index and name and is returned in
        EPSG:4326 (the converted coordinates are WGS84 or GCJ-02/BD-09 lon/lat, which pyproj
        cannot name; tanmap labels them 4326). Z values are dropped.

    Raises
    ------
    MissingCRSError
        If a GeoSeries has no CRS.
    CRSError
        If a GeoSeries is in a projected CRS (metres).

    Examples
    --------
    >>> from shapely import Point
    >>> out = transform_geometries(gpd.GeoSeries([Point(2.35, 48.85)], crs=4326), wgs84_to_gcj02)
    >>> out.iloc[0].wkt, out.crs.to_epsg()
    ('POINT (2.35 48.85)', 4326)
    """

    def _apply(coords: FloatArray) -> FloatArray:
        out_x, out_y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([out_x, out_y])

    if isinstance(geoms, gpd.GeoSeries):
        _lonlat_crs_check(geoms)
        converted = shapely.transform(np.asarray(geoms.array, dtype=object), _apply)
        out = gpd.GeoSeries(converted, index=geoms.index, name=geoms.name,
                            crs=pyproj.CRS.from_epsg(4326))
        return cast("T", out)
    converted_arr: npt.NDArray[np.object_] = np.asarray(
        shapely.transform(np.asarray(geoms, dtype=object), _apply), dtype=object
    )
    return converted_arr

"""Shared hypothesis strategies: valid-by-construction geometry in metres (EPSG:4548, Tianjin)."""

from __future__ import annotations

from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

__all__ = [
    "EPSG_M",
    "ORIGIN_X_M",
    "ORIGIN_Y_M",
    "boxes_m",
    "lonlat_china",
    "points_m",
    "radii_m",
]

#: Projected CRS of the strategies (CGCS2000 / 3-degree Gauss-Kruger CM 117E, metres).
EPSG_M = 4548
#: False easting of EPSG:4548 (the central meridian 117E, in metres).
ORIGIN_X_M = 500_000.0
#: Northing of about 39.1N (Tianjin), in metres.
ORIGIN_Y_M = 4_330_000.0

_offsets_m = st.integers(min_value=-5_000, max_value=5_000)
_sizes_m = st.integers(min_value=1, max_value=2_000)


@st.composite
def boxes_m(draw: st.DrawFn) -> Polygon:
    """Axis-aligned boxes on a 1 m grid near Tianjin, 1–2000 m a side (always valid)."""
    x0 = ORIGIN_X_M + draw(_offsets_m)
    y0 = ORIGIN_Y_M + draw(_offsets_m)
    return box(x0, y0, x0 + draw(_sizes_m), y0 + draw(_sizes_m))


@st.composite
def points_m(draw: st.DrawFn) -> Point:
    """Points on a 1 m grid within ±5 km of the strategies' origin."""
    return Point(ORIGIN_X_M + draw(_offsets_m), ORIGIN_Y_M + draw(_offsets_m))


#: Service radii in metres (0 excluded), e.g. for coverage properties.
radii_m = st.floats(min_value=1.0, max_value=5_000.0, allow_nan=False, allow_infinity=False)


@st.composite
def lonlat_china(draw: st.DrawFn) -> tuple[float, float]:
    """(lon, lat) pairs in eastern China (lon 100–125 E, lat 20–45 N), degrees."""
    lon = draw(st.floats(min_value=100.0, max_value=125.0, allow_nan=False))
    lat = draw(st.floats(min_value=20.0, max_value=45.0, allow_nan=False))
    return lon, lat

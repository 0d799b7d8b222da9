"""Planning CRS choice, CRS guards, parse_crs, Bounds and the degree heuristics."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely import Point, box

from tanmap.geo.chinacoords import CHINA_RECT
from tanmap.geo.crs import (
    GK_EPSG_FIRST,
    GK_EPSG_LAST,
    Bounds,
    district_planning_epsg,
    gk_central_meridian,
    looks_like_degrees,
    looks_swapped,
    parse_crs,
    planning_epsg,
    require_crs,
    require_projected,
    require_same_crs,
)
from tanmap.geo.errors import (
    CRSError,
    CRSMismatchError,
    GeographicCRSError,
    MissingCRSError,
    TanmapError,
)

# --- planning_epsg ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (117.2, 39.12, 4548),      # 天津 和平区: CM 117
        (117.15, 39.11, 4548),     # 天津 南开区
        (117.35, 39.1, 4548),      # 天津 东丽区
        (121.48, 31.23, 4549),     # 上海 黄浦区: CM 120
        (111.88, 29.6, 4546),      # 湖南 津市市: CM 111
        (75.99, 39.47, 4534),      # Kashgar: CM 75, first zone
        (134.3, 47.7, 4554),       # Fuyuan, Heilongjiang: CM 135, last zone
        (118.5, 30.0, 4549),       # tie between CM 117 and CM 120 goes east
        (-0.1276, 51.5072, 32630),  # London
        (-74.0, 40.7, 32618),      # New York
        (151.21, -33.87, 32756),   # Sydney, southern hemisphere
        (139.69, 35.69, 32654),    # Tokyo, east of the GCJ-02 rectangle
        (180.0, 10.0, 32660),      # antimeridian stays in zone 60
    ],
    ids=["heping", "nankai", "dongli", "huangpu", "jinshi", "kashgar", "fuyuan", "tie_east",
         "london", "new_york", "sydney", "tokyo", "antimeridian"],
)
def test_planning_epsg_table(lon, lat, epsg) -> None:
    assert planning_epsg(lon, lat) == epsg


@given(lon=st.floats(CHINA_RECT[0], CHINA_RECT[2]), lat=st.floats(CHINA_RECT[1], CHINA_RECT[3]))
def test_gk_zone_central_meridian_is_nearest(lon, lat) -> None:
    """Inside China the chosen zone's CM is within 1.5° of the point (except beyond the outer
    zones' edges, where the first/last zone is clamped)."""
    epsg = planning_epsg(lon, lat)
    assert GK_EPSG_FIRST <= epsg <= GK_EPSG_LAST
    cm = gk_central_meridian(epsg)
    assert abs(lon - cm) <= 1.5 or cm in (75.0, 135.0)


@given(lon=st.floats(-180.0, 180.0), lat=st.floats(-80.0, 84.0))
def test_planning_crs_is_projected_in_metres(lon, lat) -> None:
    crs = pyproj.CRS.from_epsg(planning_epsg(lon, lat))
    assert crs.is_projected
    assert {a.unit_name for a in crs.axis_info} == {"metre"}


def test_gk_central_meridian_follows_formula() -> None:
    assert [gk_central_meridian(c) for c in (4534, 4546, 4548, 4549, 4554)] == [
        75.0, 111.0, 117.0, 120.0, 135.0]
    # The formula agrees with the EPSG definitions themselves.
    for code in (4534, 4548, 4554):
        params = pyproj.CRS.from_epsg(code).coordinate_operation.params
        lon0 = next(p.value for p in params if "longitude" in p.name.lower())
        assert lon0 == gk_central_meridian(code)


def test_gk_central_meridian_rejects_other_codes() -> None:
    with pytest.raises(CRSError, match=r"EPSG:4490 is not a CGCS2000 3-degree GK zone"):
        gk_central_meridian(4490)


@pytest.mark.parametrize(
    ("lon", "lat"), [(500_000.0, 4_330_000.0), (float("nan"), 30.0), (117.0, 95.0)],
    ids=["metres", "nan", "lat_out_of_range"],
)
def test_planning_epsg_rejects_non_degrees(lon, lat) -> None:
    with pytest.raises(CRSError, match=r"is not a lon/lat point in degrees.*longitude first"):
        planning_epsg(lon, lat)


def test_planning_epsg_rejects_polar_points() -> None:
    with pytest.raises(CRSError, match=r"No UTM zone at latitude -85.0.*polar projected CRS"):
        planning_epsg(0.0, -85.0)


# --- district_planning_epsg -------------------------------------------------------------------

def test_district_planning_epsg_from_shapely_and_geoseries() -> None:
    heping = box(117.17, 39.10, 117.22, 39.13)
    assert district_planning_epsg(heping) == 4548
    assert district_planning_epsg(gpd.GeoSeries([heping], crs=4326)) == 4548
    assert district_planning_epsg(gpd.GeoDataFrame(geometry=[heping], crs=4490)) == 4548


def test_district_centroid_is_area_weighted_not_degree_weighted() -> None:
    """Two 2° × 5° boxes: one at 105–107 °E, 50–55 °N, one at 127–129 °E, 18–23 °N.

    In raw degrees both weigh the same, so the centroid is at 117 °E → EPSG:4548 (CM 117). On the
    ground the southern box is ~1.5× larger (cos 20.5° / cos 52.5°), pulling the centroid past
    118.5 °E → EPSG:4549 (CM 120).
    """
    shape = box(105.0, 50.0, 107.0, 55.0).union(box(127.0, 18.0, 129.0, 23.0))
    naive = shape.centroid
    assert (naive.x, naive.y) == (117.0, 36.5)
    assert planning_epsg(naive.x, naive.y) == 4548
    assert district_planning_epsg(shape) == 4549


def test_district_planning_epsg_errors() -> None:
    with pytest.raises(CRSError, match=r"is empty"):
        district_planning_epsg(box(0, 0, 1, 1).difference(box(0, 0, 1, 1)))
    with pytest.raises(CRSError, match=r"EPSG:4548.*needs lon/lat.*to_crs\('EPSG:4326'\)"):
        district_planning_epsg(gpd.GeoSeries([box(0, 0, 1, 1)], crs=4548))
    with pytest.raises(MissingCRSError, match=r"has no CRS"):
        district_planning_epsg(gpd.GeoSeries([box(0, 0, 1, 1)]))


# --- require_* --------------------------------------------------------------------------------

def _pts(crs) -> gpd.GeoSeries:
    return gpd.GeoSeries([Point(0.0, 0.0), Point(3.0, 4.0)], crs=crs)


def test_require_crs_returns_crs_or_raises() -> None:
    assert require_crs(_pts(4548), what="parks").to_epsg() == 4548
    with pytest.raises(MissingCRSError, match=r"parks has no CRS.*\.set_crs\('EPSG:4326'\)"):
        require_crs(_pts(None), what="parks")
    with pytest.raises(TypeError, match=r"parks must be a GeoSeries or GeoDataFrame; got list"):
        require_crs([Point(0, 0)], what="parks")


def test_require_projected_accepts_metric_crs() -> None:
    """(0,0)-(3,4) in EPSG:4548 metres: the 3-4-5 triangle is 5 m, as a reviewer expects."""
    pts = _pts(4548)
    assert require_projected(pts, what="pts").to_epsg() == 4548
    assert pts.iloc[0].distance(pts.iloc[1]) == 5.0
    assert require_projected(gpd.GeoDataFrame(geometry=pts), what="pts").to_epsg() == 4548


@pytest.mark.parametrize(
    ("crs", "message"),
    [
        (4326, r"parks is in EPSG:4326 \(degrees\).*to_crs\(planning_epsg"),
        (4490, r"parks is in EPSG:4490 \(degrees\)"),
        (3857, r"parks is in EPSG:3857 \(Web Mercator-like\).*\+15 % at 30°N"),
        (3395, r"EPSG:3395 \(Web Mercator-like\)"),
        (2263, r"EPSG:2263 with units \['us survey foot'\].*metres"),
    ],
    ids=["wgs84", "cgcs2000", "web_mercator", "world_mercator", "us_feet"],
)
def test_require_projected_rejects(crs, message) -> None:
    with pytest.raises(GeographicCRSError, match=message):
        require_projected(_pts(crs), what="parks")


def test_require_projected_runs_the_suggested_fix() -> None:
    parks = gpd.GeoSeries([Point(117.2, 39.12)], crs=4326)
    with pytest.raises(GeographicCRSError):
        require_projected(parks, what="parks")
    fixed = parks.to_crs(planning_epsg(117.2, 39.12))
    assert require_projected(fixed, what="parks").to_epsg() == 4548


def test_web_mercator_really_inflates_lengths() -> None:
    """Why 3857 is refused: 1 km east-west at 31.23 °N measures 1168.4 m in EPSG:3857.

    1/cos(31.23°) = 1.169 on the sphere; on the ellipsoid the parallel is slightly longer, 1.168.
    """
    geod = pyproj.Geod(ellps="WGS84")
    lon2, _, _ = geod.fwd(121.48, 31.23, 90.0, 1000.0)
    pts = gpd.GeoSeries([Point(121.48, 31.23), Point(lon2, 31.23)], crs=4326)
    merc = pts.to_crs(3857)
    assert merc.iloc[0].distance(merc.iloc[1]) == pytest.approx(1168.4, abs=0.1)
    gk = pts.to_crs(4549)
    assert gk.iloc[0].distance(gk.iloc[1]) == pytest.approx(1000.0, abs=0.5)


def test_require_same_crs() -> None:
    assert require_same_crs(_pts(4548), _pts(4548), what_a="a", what_b="b").to_epsg() == 4548
    with pytest.raises(
        CRSMismatchError,
        match=r"parks is in EPSG:4548 but homes is in EPSG:4549;.*"
        r"homes = homes\.to_crs\(parks\.crs\)",
    ):
        require_same_crs(_pts(4548), _pts(4549), what_a="parks", what_b="homes")
    with pytest.raises(MissingCRSError, match=r"homes has no CRS"):
        require_same_crs(_pts(4548), _pts(None), what_a="parks", what_b="homes")


def test_require_same_crs_fix_works() -> None:
    parks, homes = _pts(4548), _pts(4326)
    homes = homes.to_crs(parks.crs)
    assert require_same_crs(parks, homes, what_a="parks", what_b="homes").to_epsg() == 4548


def test_crs_errors_are_value_errors_and_tanmap_errors() -> None:
    for cls in (CRSError, MissingCRSError, GeographicCRSError, CRSMismatchError):
        assert issubclass(cls, ValueError)
        assert issubclass(cls, TanmapError)


# --- parse_crs --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "epsg"),
    [("EPSG:4548", 4548), ("epsg:4326", 4326), (4548, 4548), ("cgcs2000", 4490),
     ("CGCS-2000", 4490), ("WGS84", 4326), ("wgs_84", 4326), (pyproj.CRS.from_epsg(32650), 32650)],
    ids=["epsg_str", "lower", "int", "cgcs2000", "cgcs_dash", "wgs84", "wgs_underscore", "crs"],
)
def test_parse_crs_accepts(value, epsg) -> None:
    assert parse_crs(value).to_epsg() == epsg


def test_parse_crs_wraps_pyproj_error() -> None:
    with pytest.raises(CRSError, match=r"Cannot parse CRS 'EPSG:999999'.*'EPSG:4548'") as info:
        parse_crs("EPSG:999999")
    assert isinstance(info.value.__cause__, pyproj.exceptions.CRSError)


@pytest.mark.parametrize("value", ["gcj02", "GCJ-02", "bd09"])
def test_parse_crs_explains_gcj02_is_not_a_crs(value) -> None:
    with pytest.raises(CRSError, match=r"Chinese map offset, not a CRS.*chinacoords\.to_wgs84"):
        parse_crs(value)


@pytest.mark.parametrize(
    "value", [None, 4548.0, True, [4548]], ids=["none", "float", "bool", "list"]
)
def test_parse_crs_rejects_wrong_types(value) -> None:
    with pytest.raises(TypeError, match=r"A CRS must be an EPSG code"):
        parse_crs(value)


# --- Bounds -----------------------------------------------------------------------------------

def test_bounds_from_total_bounds_of_unit_square() -> None:
    gs = gpd.GeoSeries([box(0, 0, 1, 1), box(2, 3, 4, 5)], crs=4548)
    bounds = Bounds.from_total_bounds(gs.total_bounds)
    assert bounds == Bounds(west=0.0, south=0.0, east=4.0, north=5.0)
    assert bounds.east - bounds.west == 4.0


def test_bounds_errors() -> None:
    with pytest.raises(ValueError, match=r"Bounds need 4 numbers.*got 3"):
        Bounds.from_total_bounds([0, 1, 2])
    with pytest.raises(ValueError, match=r"west > east or south > north"):
        Bounds.from_total_bounds([2, 0, 1, 1])


# --- heuristics -------------------------------------------------------------------------------

def test_looks_like_degrees() -> None:
    assert looks_like_degrees([117.2, -0.1], [39.1, 51.5])
    assert not looks_like_degrees([500_123.0], [4_331_000.0])
    assert not looks_like_degrees([181.0], [0.0])
    assert not looks_like_degrees([], [])
    assert looks_like_degrees([117.2, np.nan], [39.1, np.nan])


def test_looks_swapped() -> None:
    assert looks_swapped([39.12, 31.23], [117.2, 121.48])
    assert not looks_swapped([117.2, 121.48], [39.12, 31.23])
    # One point as given inside China: not a consistent swap.
    assert not looks_swapped([39.12, 117.2], [117.2, 39.12])
    assert not looks_swapped([], [])
    # London in (lat, lon) order is not flagged: the heuristic only knows China.
    assert not looks_swapped([51.5], [-0.12])


@given(lon=st.floats(73.5, 135.0), lat=st.floats(18.0, 53.5))
def test_looks_swapped_property(lon, lat) -> None:
    """Any point in mainland China: as given never 'swapped'; swapped always is."""
    assert not looks_swapped([lon], [lat])
    assert looks_swapped([lat], [lon])

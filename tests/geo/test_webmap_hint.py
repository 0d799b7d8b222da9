"""Web-map (GCJ-02 / BD-09) hints for undeclared lon/lat boundaries (issue 15, point 9).

Squares of 0.02° near 和平区 (Tianjin, 117.2 °E 39.12 °N); GCJ-02 shifts them ~560 m there.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from tanmap.geo.chinacoords import transform_geometries, wgs84_to_bd09, wgs84_to_gcj02

#: A 0.02° x 0.02° "district" in Tianjin, WGS84 (the reference), and a far one in Shanghai.
TIANJIN = box(117.19, 39.11, 117.21, 39.13)
SHANGHAI = box(121.47, 31.22, 121.49, 31.24)


@pytest.fixture
def references() -> gpd.GeoSeries:
    return gpd.GeoSeries([TIANJIN, SHANGHAI], index=["T", "S"], crs=4326)


def _hint():  # imported here so that each test fails on its own before the module existed
    from tanmap.geo import webmap_hint

    return webmap_hint


@pytest.mark.parametrize(("convert", "system"), [(wgs84_to_gcj02, "gcj02"),
                                                  (wgs84_to_bd09, "bd09")], ids=["gcj02", "bd09"])
def test_offset_match_finds_the_system_that_puts_the_boundary_back(references, convert, system):
    published = transform_geometries(gpd.GeoSeries([TIANJIN], crs=4326), convert)
    match = _hint().offset_match(published, references)
    assert (match.system, match.reference) == (system, "T")
    # GCJ-02 moves Tianjin by 500-600 m; BD-09 adds roughly another 600-800 m.
    assert (500 < match.shift_m < 600) if system == "gcj02" else (1000 < match.shift_m < 1500)
    assert match.residual_m < 1.0
    assert match.iou > 0.999


def test_offset_match_sees_one_district_among_several(references):
    """A file with two districts, one of them the published (GCJ-02) reference."""
    published = transform_geometries(gpd.GeoSeries([TIANJIN], crs=4326), wgs84_to_gcj02)
    other = box(117.30, 39.20, 117.32, 39.22)  # no reference there
    both = gpd.GeoSeries([published.iloc[0], other], crs=4326)
    assert _hint().offset_match(both, references).reference == "T"


@pytest.mark.parametrize(
    "geom",
    [TIANJIN, box(117.195, 39.115, 117.205, 39.125), box(2.3, 48.8, 2.4, 48.9),
     box(117.50, 39.50, 117.52, 39.52)],
    ids=["same-wgs84", "smaller-part", "paris", "no-reference-near"],
)
def test_no_offset_claimed_without_evidence(references, geom):
    assert _hint().offset_match(gpd.GeoSeries([geom], crs=4326), references) is None


def test_name_and_field_hints():
    hint = _hint()
    assert hint.web_map_name_hints("天津_高德地图_district.geojson") == ["高德"]
    assert hint.web_map_name_hints("BaiduMap-export.shp") == ["baidu"]
    assert hint.web_map_name_hints("heping_cgcs2000.gpkg") == []
    columns = ["adcode", "name", "center", "centroid", "childrenNum", "level", "subFeatureIndex",
               "acroutes", "parent"]  # an Aliyun DataV GeoAtlas district file
    assert hint.web_map_field_hints(columns) == ["childrenNum", "subFeatureIndex", "acroutes"]
    assert hint.web_map_field_hints(["id", "name", "geometry"]) == []

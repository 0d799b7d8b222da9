"""Several districts from one file, and the GCJ-02 hint for boundaries (issue 15, points 5, 9).

Files hold 0.02° squares near Tianjin (WGS84), or bundled districts shifted to GCJ-02 the way
Amap publishes them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from tanmap.geo.chinacoords import transform_geometries, wgs84_to_gcj02
from tanmap.geo.errors import DataFormatError, PlanWarning
from tanmap.layers import boundaries
from tanmap.layers.boundaries import DISTRICT_COLUMNS, bundled_districts, read_user_boundary

#: Three squares: two districts, the second in two parts (an island), east of Tianjin's centre.
SQUARES = [box(117.30, 39.20, 117.32, 39.22), box(117.33, 39.20, 117.35, 39.22),
           box(117.36, 39.20, 117.37, 39.21)]


def _file(tmp_path: Path, name: str, data: dict, geoms, crs=4326) -> Path:
    path = tmp_path / name
    gpd.GeoDataFrame(data, geometry=list(geoms), crs=crs).to_file(path)
    return path


@pytest.fixture
def two_districts(tmp_path) -> Path:
    return _file(tmp_path, "districts.geojson",
                 {"code": ["T1", "T2", "T2"], "名称": ["一区", "二区", "二区"],
                  "name_en": ["One", "Two", "Two"]}, SQUARES)


def test_one_district_per_code(two_districts):
    rows = boundaries.read_user_boundaries(two_districts, code_field="code", name_field="名称",
                                           name_en_field="name_en")
    assert list(rows.columns) == list(DISTRICT_COLUMNS)
    assert rows[["adcode", "name", "name_en"]].values.tolist() == [["T1", "一区", "One"],
                                                                   ["T2", "二区", "Two"]]
    assert rows.geometry.iloc[1].geom_type == "MultiPolygon"  # the island stays with T2
    # 0.02° x 0.02° at 39.2°N: 2226 m x cos 39.2° = 1725 m by 2220 m = 3,830,000 m².
    assert rows.to_crs(4548).area.iloc[0] == pytest.approx(3_830_000, rel=0.005)
    assert rows["planning_epsg"].tolist() == [4548, 4548]
    assert rows["source"].tolist() == ["user file districts.geojson (EPSG:4326)"] * 2


def test_missing_column_lists_the_columns(two_districts):
    with pytest.raises(DataFormatError, match=r"districts\.geojson has no column 'adcode'; its "
                                              r"columns are: code, 名称, name_en\. Name the code"):
        boundaries.read_user_boundaries(two_districts, code_field="adcode", name_field="名称")


def test_empty_codes_and_conflicting_names_are_listed(tmp_path):
    path = _file(tmp_path, "bad.geojson",
                 {"code": ["T1", None, "T1"], "name": ["一区", "x", "壹区"]}, SQUARES)
    with pytest.raises(DataFormatError, match=r"bad\.geojson: 2 problem\(s\) with code/name: "
                                              r"row 2: empty code; code T1 has different names: "
                                              r"row 1 '一区', row 3 '壹区'"):
        boundaries.read_user_boundaries(path, code_field="code", name_field="name")


def test_a_feature_without_polygon_is_named(tmp_path):
    path = _file(tmp_path, "mixed.gpkg", {"code": ["T1", "T2"], "name": ["一区", "二区"]},
                 [SQUARES[0], Point(117.4, 39.3)])
    with pytest.raises(DataFormatError, match=r"mixed\.gpkg: 1 feature\(s\) without a polygon: "
                                              r"row 2 \(Point\)"):
        boundaries.read_user_boundaries(path, code_field="code", name_field="name")


def test_numeric_codes_keep_their_digits(tmp_path):
    path = _file(tmp_path, "num.geojson", {"adcode": [120199.0], "name": ["新区"]}, SQUARES[:1])
    rows = boundaries.read_user_boundaries(path, code_field="adcode", name_field="name")
    assert rows["adcode"].tolist() == ["120199"]


# ------------------------------------------------------------------ point 9: GCJ-02 hint


def _gcj02_copy(tmp_path: Path, name: str, adcodes: list[str], **extra: list) -> Path:
    """Bundled districts shifted WGS84 -> GCJ-02, as Amap-derived files hold them."""
    rows = bundled_districts().set_index("adcode").loc[adcodes].reset_index()
    shifted = transform_geometries(rows.geometry, wgs84_to_gcj02)
    return _file(tmp_path, name, {"adcode": adcodes, "name": rows["name"].tolist(), **extra},
                 shifted)


def test_offset_against_the_bundled_boundary_names_the_flag(tmp_path):
    path = _gcj02_copy(tmp_path, "heping.geojson", ["120101"])
    with pytest.warns(PlanWarning) as record:
        read_user_boundary(path, code="120101", name="和平区")
    (warning,) = record
    text = str(warning.message)
    assert text.startswith("heping.geojson may come from a Chinese web map (it lies ")
    assert "m off the bundled boundary of 120101 和平区 and matches it after a GCJ-02 -> WGS84 " \
           "conversion)" in text
    assert "add it again with --coord-system gcj02 (Python: coord_system='gcj02')" in text


def test_hint_for_a_multi_district_file_too(tmp_path):
    path = _gcj02_copy(tmp_path, "tianjin.geojson", ["120101", "120102", "120103"])
    with pytest.warns(PlanWarning, match=r"--coord-system gcj02"):
        rows = boundaries.read_user_boundaries(path, code_field="adcode", name_field="name")
    assert len(rows) == 3


@pytest.mark.parametrize(
    ("name", "fields", "reason"),
    [("amap_districts.geojson", {}, r"file name has 'amap'"),
     ("districts.geojson", {"childrenNum": [0, 0, 0], "acroutes": ["[100000]"] * 3},
      r"fields childrenNum, acroutes are typical of Amap/DataV exports")],
    ids=["file-name", "datav-fields"],
)
def test_hint_from_file_name_or_fields(tmp_path, name, fields, reason):
    path = _file(tmp_path, name, {"code": ["T1", "T2", "T2"], "name": ["一区", "二区", "二区"],
                                  **fields}, SQUARES)
    with pytest.warns(PlanWarning, match=reason):
        boundaries.read_user_boundaries(path, code_field="code", name_field="name")


@pytest.mark.parametrize("coord_system", [None, "wgs84", "gcj02"])
def test_no_hint_without_evidence_or_when_declared(tmp_path, coord_system):
    plain = _file(tmp_path, "districts.geojson", {"code": ["T1"], "name": ["一区"]}, SQUARES[:1])
    shifted = _gcj02_copy(tmp_path, "amap.geojson", ["120101"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_user_boundary(plain, code="T1", name="一区", coord_system=coord_system)
        if coord_system is not None:
            row = read_user_boundary(shifted, code="120101", name="和平区",
                                     coord_system=coord_system)
            assert row["adcode"].tolist() == ["120101"]


def test_no_hint_outside_china(tmp_path):
    path = _file(tmp_path, "amap_paris.geojson", {"n": [1]}, [box(2.3, 48.8, 2.4, 48.9)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_user_boundary(path, code="FR", name="Paris")

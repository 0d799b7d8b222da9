"""Tests of the bureau-file readers of tanmap.layers.ingest.io: FileGDB, DXF, Amap/Baidu POIs.

Also ``load(..., skip_invalid=True)`` and :func:`write_rejects`. Files are written by the tests
(GDAL's OpenFileGDB and DXF writers), a few features each, near Tianjin.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from tanmap.geo.errors import DataFormatError, LayerValidationError, MissingCRSError
from tanmap.layers.ingest.io import (
    REJECT_COLUMNS,
    default_rejects_path,
    load,
    read_vector,
    write_rejects,
)

#: GCJ-02 image of WGS84 (116.404, 39.915) (wandergis/coordtransform README), as in test_io.
GCJ02_REF = (116.41024449916938, 39.91640428150164)
WGS84_REF = (116.404, 39.915)
X0, Y0 = 516_500.0, 4_331_500.0  # EPSG:4548 metres, inside 和平区


def gdb(folder: Path) -> Path:
    """A File Geodatabase with two feature classes (公园 2 parks, 广场 1) and one table."""
    path = folder / "规划.gdb"
    parks = gpd.GeoDataFrame(
        {"编号": ["G-1", "G-2"], "名称": ["人民公园", "水上公园"], "绿地分类": ["G11", "G12"]},
        geometry=[box(X0, Y0, X0 + 50, Y0 + 40), box(X0 + 100, Y0, X0 + 130, Y0 + 30)],
        crs=4548)
    pyogrio.write_dataframe(parks, path, layer="公园", driver="OpenFileGDB")
    pyogrio.write_dataframe(parks.iloc[:1], path, layer="广场", driver="OpenFileGDB")
    pyogrio.write_dataframe(pd.DataFrame({"说明": ["非空间表"]}), path, layer="说明",
                            driver="OpenFileGDB")
    return path


def test_file_geodatabase_needs_a_feature_class_and_lists_them(tmp_path):
    path = gdb(tmp_path)
    with pytest.raises(DataFormatError,
                       match=r"holds 2 layers: 公园, 广场; choose one with layer='NAME' "
                             r"\(CLI: --layer NAME\)"):
        read_vector(path)
    gdf = read_vector(path, layer="公园")
    assert gdf["名称"].tolist() == ["人民公园", "水上公园"]
    assert gdf.crs.to_epsg() == 4548
    with pytest.raises(DataFormatError, match=r"has no layer '道路'; it has: 公园, 广场"):
        read_vector(path, layer="道路")


def test_file_geodatabase_loads_with_chinese_headers_and_zipped(tmp_path):
    path = gdb(tmp_path)
    result = load("park", path, layer="公园")
    assert result.gdf["park_class"].tolist() == ["G11", "G12"]
    assert result.gdf.crs.to_epsg() == 4326
    assert result.gdf.to_crs(4548).area.round(3).tolist() == [2000.0, 900.0]
    archive = tmp_path / "规划.gdb.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in path.iterdir():
            zf.write(part, f"规划.gdb/{part.name}")
    assert read_vector(archive, layer="广场")["编号"].tolist() == ["G-1"]


def gbk_dxf(folder: Path) -> Path:
    """A DXF in GBK ($DWGCODEPAGE ANSI_936), no CRS, EPSG:4548 metres: CAD layers 公园 (a
    hatch 50 m x 40 m and a closed polyline 30 m x 30 m) and 道路 (one line)."""
    drawing = gpd.GeoDataFrame(
        {"Layer": ["公园", "公园", "道路"]},
        geometry=[box(X0, Y0, X0 + 50, Y0 + 40),
                  LineString([(X0 + 100, Y0), (X0 + 130, Y0), (X0 + 130, Y0 + 30),
                              (X0 + 100, Y0 + 30), (X0 + 100, Y0)]),
                  LineString([(X0, Y0 - 10), (X0 + 200, Y0 - 10)])])
    utf8 = folder / "utf8.dxf"
    with warnings.catch_warnings():  # a DXF has no CRS: that is the point
        warnings.simplefilter("ignore", UserWarning)
        pyogrio.write_dataframe(drawing, utf8, driver="DXF")
    text = utf8.read_text(encoding="utf-8").replace("ANSI_1252", "ANSI_936")
    path = folder / "总图.dxf"
    path.write_bytes(text.encode("gbk"))
    return path


def test_dxf_cad_layers_are_listed_and_chosen(tmp_path):
    path = gbk_dxf(tmp_path)
    with pytest.raises(DataFormatError, match=r"2 CAD layers \(图层\): 公园 \(2\), 道路 \(1\)"):
        read_vector(path, source_crs=4548)
    with pytest.raises(MissingCRSError, match="--source-crs"):
        read_vector(path, layer="公园")
    roads = read_vector(path, layer="道路", source_crs=4548)
    assert roads.geometry.length.round(6).tolist() == [200.0]
    assert "Layer" not in roads.columns


def test_dxf_closed_polylines_become_polygons_for_polygon_kinds(tmp_path):
    path = gbk_dxf(tmp_path)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("defaults: {park_class: G12}\n", encoding="utf-8")
    result = load("park", path, layer="公园", source_crs="EPSG:4548", field_map=mapping)
    areas = sorted(result.gdf.to_crs(4548).area.round(3).tolist())
    assert areas == [900.0, 2000.0]
    assert result.gdf["id"].notna().all()  # EntityHandle is a unique id within the drawing
    assert result.gdf["park_class"].tolist() == ["G12", "G12"]
    assert "DXF: 1 closed polyline(s) read as polygons" in result.mapping.notes


@pytest.mark.parametrize("location", [
    f"{GCJ02_REF[0]},{GCJ02_REF[1]}",
    f"{GCJ02_REF[0]}，{GCJ02_REF[1]}",
    json.dumps({"lat": GCJ02_REF[1], "lng": GCJ02_REF[0]}),
], ids=["amap", "full-width-comma", "baidu-dict"])
def test_poi_csv_with_one_location_column(tmp_path, location):
    path = tmp_path / "poi.csv"
    pd.DataFrame({"id": ["B0FFF"], "name": ["充电站"], "type": ["汽车服务"],
                  "location": [location]}).to_csv(path, index=False)
    gdf = read_vector(path, coord_system="gcj02")
    assert "location" not in gdf.columns
    assert gdf.crs.to_epsg() == 4326
    x, y = gdf.geometry.iloc[0].x, gdf.geometry.iloc[0].y
    assert abs(x - WGS84_REF[0]) < 1e-5
    assert abs(y - WGS84_REF[1]) < 1e-5


def test_poi_csv_location_errors_name_the_rows(tmp_path):
    path = tmp_path / "poi.csv"
    pd.DataFrame({"name": ["a", "b"], "location": ["116.4,39.9", "unknown"]}).to_csv(
        path, index=False)
    with pytest.raises(DataFormatError, match=r"row 2 \(location='unknown'\)"):
        read_vector(path, coord_system="gcj02")
    # With --skip-invalid the row is rejected instead of refusing the table.
    path.write_text("id,name,location,access\nA,a,\"116.4,39.9\",public\nB,b,unknown,public\n",
                    encoding="utf-8")
    result = load("charging_station", path, coord_system="gcj02", skip_invalid=True)
    assert result.gdf["id"].tolist() == ["A"]
    assert result.rejected["id"].tolist() == ["B"]
    assert result.rejected[REJECT_COLUMNS[1]].tolist() == ["empty_geometry"]
    with pytest.raises(MissingCRSError, match="gcj02"):
        read_vector(path)


# ------------------------------------------------------------------ skip_invalid, rejects


def buildings(folder: Path) -> Path:
    """Four footprints (EPSG:4548): B1 and B4 valid 10 m squares, B2 a zero-area footprint
    (three collinear points), B3 a bow-tie."""
    frame = gpd.GeoDataFrame(
        {"编号": ["B1", "B2", "B3", "B4"], "建筑类别": ["住宅", "住宅", "商业", "机关"],
         "备注": ["", "zero", "bow", ""]},
        geometry=[box(X0, Y0, X0 + 10, Y0 + 10),
                  Polygon([(X0 + 20, Y0), (X0 + 25, Y0), (X0 + 30, Y0), (X0 + 20, Y0)]),
                  Polygon([(X0 + 40, Y0), (X0 + 50, Y0 + 10), (X0 + 50, Y0), (X0 + 40, Y0 + 10)]),
                  box(X0 + 60, Y0, X0 + 70, Y0 + 10)],
        crs=4548)
    path = folder / "楼栋.gpkg"  # kept in metres: the collinear points stay exactly collinear
    frame.to_file(path, driver="GPKG", layer="楼栋")
    return path


def test_without_skip_invalid_the_load_is_all_or_nothing(tmp_path):
    with pytest.raises(LayerValidationError) as info:
        load("building", buildings(tmp_path))
    problems = {i.feature_id: i.problem for i in info.value.issues}
    assert set(problems) == {"B2", "B3"}
    assert problems["B2"].startswith("geometry is invalid: zero area (degenerate polygon")
    assert "Self-intersection" in problems["B3"]


def test_skip_invalid_keeps_the_valid_and_returns_the_rejected(tmp_path):
    result = load("building", buildings(tmp_path), skip_invalid=True)
    assert result.gdf["id"].tolist() == ["B1", "B4"]
    assert result.gdf["use_category"].tolist() == ["residential", "party_gov"]
    rejected = result.rejected
    assert rejected[REJECT_COLUMNS[0]].tolist() == [2, 3]
    assert rejected["编号"].tolist() == ["B2", "B3"]  # as in the file: original headers
    assert rejected[REJECT_COLUMNS[1]].tolist() == ["invalid_geometry", "invalid_geometry"]
    assert "zero area" in rejected[REJECT_COLUMNS[2]].iloc[0]
    assert [i.row for i in result.rejects] == [2, 3]


def test_skip_invalid_rejects_every_feature_of_a_duplicated_id(tmp_path):
    path = tmp_path / "dup.geojson"
    gpd.GeoDataFrame({"id": ["A", "A", "C"], "use_category": ["residential"] * 3},
                     geometry=[box(X0 + 20 * i, Y0, X0 + 20 * i + 10, Y0 + 10) for i in range(3)],
                     crs=4548).to_crs(4326).to_file(path, driver="GeoJSON")
    result = load("building", path, skip_invalid=True)
    assert result.gdf["id"].tolist() == ["C"]
    assert [(i.row, i.code) for i in result.rejects] == [(1, "duplicate_id"), (2, "duplicate_id")]


def test_layer_level_problems_still_raise_with_skip_invalid(tmp_path):
    path = tmp_path / "nouse.geojson"
    gpd.GeoDataFrame({"id": ["A"]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)],
                     crs=4548).to_crs(4326).to_file(path, driver="GeoJSON")
    with pytest.raises(LayerValidationError, match="use_category"):
        load("building", path, skip_invalid=True)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".csv"])
def test_rejects_file_keeps_the_features_and_their_problems(tmp_path, suffix):
    source = buildings(tmp_path)
    result = load("building", source, skip_invalid=True)
    out = write_rejects(result.rejected, tmp_path / f"rejects{suffix}")
    if suffix == ".csv":
        table = pd.read_csv(out, encoding="utf-8-sig")
        assert table["wkt"].str.startswith("POLYGON").all()
    else:
        table = pyogrio.read_dataframe(out)
        assert table.geometry.iloc[1].equals(result.rejected.geometry.iloc[1])  # the bow-tie
    assert table["编号"].tolist() == ["B2", "B3"]
    assert table["reject_row"].tolist() == [2, 3]
    assert table["reject_problems"].str.contains("fix:").all()
    assert default_rejects_path(source) == tmp_path / "楼栋.rejects.geojson"


def test_points_read_as_polygons_are_not_touched(tmp_path):
    """Only DXF input gets its closed polylines turned into polygons."""
    path = tmp_path / "ring.geojson"
    ring = LineString([(X0, Y0), (X0 + 10, Y0), (X0 + 10, Y0 + 10), (X0, Y0)])
    gpd.GeoDataFrame({"id": ["R"], "park_class": ["G12"]}, geometry=[ring],
                     crs=4548).to_crs(4326).to_file(path, driver="GeoJSON")
    with pytest.raises(LayerValidationError, match="geometry type LineString"):
        load("park", path)
    assert Point(0, 0).geom_type == "Point"


def test_tanmap_shapefile_export_round_trips_its_cut_field_names(tmp_path):
    """write_shapefile_zip cuts installation_year to 'installati'; fields.csv restores it."""
    from tanmap.layers.ingest.io import write_shapefile_zip

    pipes = gpd.GeoDataFrame(
        {"id": ["H1"], "installation_year": [1995], "renewal_year": [2021],
         "completion_year": [1996]},
        geometry=[LineString([(X0, Y0), (X0 + 100, Y0)])], crs=4548)
    report = write_shapefile_zip(pipes, tmp_path / "pipes.zip", encoding="gbk")
    assert report.field_names["installation_year"] == "installati"
    result = load("heating_pipe", tmp_path / "pipes.zip")
    assert result.gdf.loc[0, "installation_year"] == 1995
    assert result.gdf.loc[0, "renewal_year"] == 2021
    assert result.gdf.loc[0, "completion_year"] == 1996
    assert result.mapping.renamed == ()  # restored by the reader, not guessed


@pytest.mark.parametrize("with_cpg", [True, False], ids=["cpg", "no-cpg"])
def test_utf8_shapefile_with_names_cut_mid_character(tmp_path, with_cpg):
    """GDAL cuts UTF-8 names at 10 bytes inside a character (所属区县代码 -> 所属区 + 1 byte);
    pyogrio then cannot decode the file at all. tanmap reads it and maps the cut names."""
    frame = gpd.GeoDataFrame(
        {"编号": ["a"], "绿地分类": ["G12"], "建成年份": [2019], "所属区县代码": ["120101"],
         "是否免费开放": ["是"]},
        geometry=[box(X0, Y0, X0 + 10, Y0 + 10)], crs=4548)
    shp = tmp_path / "utf8.shp"
    with warnings.catch_warnings():  # GDAL says it cut the names
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(frame, shp, encoding="UTF-8")
    if not with_cpg:
        shp.with_suffix(".cpg").unlink()
    with pytest.raises(UnicodeDecodeError):
        pyogrio.read_dataframe(shp, encoding="UTF-8")
    result = load("park", shp)
    row = result.gdf.drop(columns="geometry").iloc[0].to_dict()
    assert row == {"id": "a", "completion_year": 2019, "district": "120101",
                   "park_class": "G12", "open_access": True}
    assert {c.header: c.how for c in result.mapping.renamed}["所属区"] == "dbf"


def test_a_rejects_file_can_be_fixed_and_imported_again(tmp_path):
    """Loading the rejects file again: the bow-tie is repaired, the zero-area footprint cannot
    be (make_valid leaves no polygon) and is rejected again, with fresh reject columns."""
    first = load("building", buildings(tmp_path), skip_invalid=True)
    rejects = write_rejects(first.rejected, tmp_path / "楼栋.rejects.gpkg")
    again = load("building", rejects, skip_invalid=True, repair=True)
    assert again.gdf["id"].tolist() == ["B3"]
    assert again.gdf.geometry.iloc[0].is_valid
    assert again.mapping.ignored == ("reject_row", "reject_codes", "reject_problems")
    assert again.rejected["编号"].tolist() == ["B2"]
    assert again.rejected[REJECT_COLUMNS[1]].tolist() == ["empty_geometry"]
    assert list(again.rejected.columns[:4]) == [*REJECT_COLUMNS, "编号"]


def test_a_rejects_csv_reads_back_with_its_wkt_and_the_declared_crs(tmp_path):
    first = load("building", buildings(tmp_path), skip_invalid=True)
    csv_path = write_rejects(first.rejected, tmp_path / "rejects.csv")
    with pytest.raises(MissingCRSError, match=r"WKT geometry \(wkt\) but no CRS"):
        read_vector(csv_path)
    again = read_vector(csv_path, source_crs="EPSG:4548")
    assert again.crs.to_epsg() == 4548
    assert again.geometry.iloc[1].equals(first.rejected.geometry.iloc[1])  # the bow-tie
    assert again["编号"].tolist() == ["B2", "B3"]

"""Tests of tanmap.layers.ingest.io: readers (encodings, CRS, point tables), load, writers."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon, box

from tanmap.geo.errors import (
    CRSError,
    DataFormatError,
    InputTooLargeError,
    LayerValidationError,
    MissingCRSError,
)
from tanmap.layers.ingest.io import (
    LoadResult,
    ShapefileReport,
    detect_dbf_encoding,
    load,
    read_vector,
    shapefile_field_names,
    write_geojson,
    write_gpkg,
    write_layer,
    write_shapefile_zip,
)
from tanmap.layers.kinds import SPECS, LayerKind
from tests.strategies import EPSG_M, ORIGIN_X_M, ORIGIN_Y_M, boxes_m

DATA = Path(__file__).resolve().parents[1] / "data"
#: Two parks near Tianjin (EPSG:4326): P-01 is a bow-tie (self-intersecting), P-02 a valid square.
BOWTIE_PARKS = DATA / "io_bowtie_park.geojson"
#: Two charging stations in Tianjin given as (lat, lon) instead of (lon, lat).
SWAPPED_STATIONS = DATA / "io_swapped_stations.geojson"
#: One station at GCJ-02 (116.41024449916938, 39.91640428150164), columns id,name,经度,纬度,access.
#: That is the GCJ-02 image of WGS84 (116.404, 39.915), the reference pair published in the
#: wandergis/coordtransform README (wgs84togcj02(116.404, 39.915)).
GCJ02_STATION = DATA / "io_gcj02_station.csv"
WGS84_REF = (116.404, 39.915)
BD09_REF = (116.41662724378733, 39.922699552216216)  # wgs84tobd09(116.404, 39.915), same README

X0, Y0 = ORIGIN_X_M, ORIGIN_Y_M
NAMES_ZH = ["人民公园", "水上公园", "南开区口袋花园"]
GEOD = Geod(ellps="WGS84")


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


@pytest.fixture
def parks_m() -> gpd.GeoDataFrame:
    """Three parks, unit squares 10 m apart near Tianjin (EPSG:4548), with Chinese names."""
    return gpd.GeoDataFrame(
        {
            "id": ["P-01", "P-02", "P-03"],
            "name": NAMES_ZH,
            "park_class": ["G11", "G12", "G14"],
            "area_m2": [1.0, 1.5, None],
            "planned_year": pd.array([2025, None, 2030], dtype="Int64"),
            "open_access": pd.array([True, False, True], dtype="boolean"),
        },
        geometry=[box(X0 + 10 * i, Y0, X0 + 10 * i + 1, Y0 + 1) for i in range(3)],
        crs=EPSG_M,
    )


def gbk_shapefile(folder: Path, *, cpg: bool = False, prj: bool = True) -> Path:
    """A GBK-encoded point Shapefile (EPSG:4326) with a Chinese field name 名称; .cpg removed."""
    gdf = gpd.GeoDataFrame(
        {"id": ["S1", "S2", "S3"], "名称": NAMES_ZH, "access": ["public"] * 3},
        geometry=[Point(117.20, 39.12), Point(117.21, 39.13), Point(117.22, 39.14)],
        crs=4326,
    )
    shp = folder / "bureau.shp"
    pyogrio.write_dataframe(gdf, shp, encoding="GBK")
    if not cpg:
        shp.with_suffix(".cpg").unlink()
    if not prj:
        shp.with_suffix(".prj").unlink()
    return shp


def zip_files(target: Path, files: list[Path], prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for f in files:
            zf.write(f, prefix + f.name)
    return target


# --------------------------------------------------------------------------- Shapefile encodings


def test_gbk_shapefile_without_cpg_reads_correct_chinese(tmp_path):
    shp = gbk_shapefile(tmp_path)
    assert not shp.with_suffix(".cpg").exists()
    dbf = shp.with_suffix(".dbf").read_bytes()
    assert "人民公园".encode("gbk") in dbf  # the fixture really is GBK
    gdf = read_vector(shp)
    assert gdf["名称"].tolist() == NAMES_ZH
    assert gdf.crs.to_epsg() == 4326


def test_gbk_detection_against_gdal_default(tmp_path):
    """Without detection GDAL decodes as ISO-8859-1 and the names come out garbled."""
    shp = gbk_shapefile(tmp_path)
    garbled = pyogrio.read_dataframe(shp)
    assert "名称" not in garbled.columns
    assert detect_dbf_encoding(shp.with_suffix(".dbf").read_bytes()) == "GB18030"


def test_utf8_shapefile_without_cpg(tmp_path, parks_m):
    shp = tmp_path / "u.shp"
    pyogrio.write_dataframe(parks_m[["id", "name", "geometry"]], shp, encoding="UTF-8")
    shp.with_suffix(".cpg").unlink()
    assert read_vector(shp)["name"].tolist() == NAMES_ZH


def test_cpg_is_honoured_and_encoding_option_overrides(tmp_path):
    shp = gbk_shapefile(tmp_path, cpg=True)
    assert shp.with_suffix(".cpg").read_text() == "GBK"
    assert read_vector(shp)["名称"].tolist() == NAMES_ZH
    shp.with_suffix(".cpg").write_text("UTF-8")  # a wrong .cpg ...
    assert read_vector(shp, encoding="GBK")["名称"].tolist() == NAMES_ZH  # ... overridden


def test_zipped_gbk_shapefile_without_cpg(tmp_path):
    shp = gbk_shapefile(tmp_path)
    archive = zip_files(tmp_path / "bureau.zip",
                        [shp.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj")], "data/")
    gdf = read_vector(archive)
    assert gdf["名称"].tolist() == NAMES_ZH
    assert len(gdf) == 3


def test_zip_with_two_shapefiles_is_ambiguous(tmp_path):
    shp = gbk_shapefile(tmp_path)
    files = [shp.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj")]
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as zf:
        for f in files:
            zf.write(f, f.name)
            zf.write(f, "other" + f.suffix)
    with pytest.raises(DataFormatError, match=r"holds 2 Shapefiles: bureau, other; .*--layer"):
        read_vector(tmp_path / "two.zip")
    assert read_vector(tmp_path / "two.zip", layer="other")["名称"].tolist() == NAMES_ZH
    with pytest.raises(DataFormatError, match="has no Shapefile 'x'; it has: bureau, other"):
        read_vector(tmp_path / "two.zip", layer="x")


def test_zip_missing_dbf_and_bad_zip(tmp_path):
    shp = gbk_shapefile(tmp_path)
    archive = zip_files(tmp_path / "nodbf.zip", [shp, shp.with_suffix(".shx")])
    with pytest.raises(DataFormatError, match=r"bureau\.dbf missing next to bureau\.shp"):
        read_vector(archive)
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(DataFormatError, match="not a valid zip file"):
        read_vector(tmp_path / "junk.zip")


def test_shapefile_without_prj_raises_missing_crs(tmp_path):
    shp = gbk_shapefile(tmp_path, prj=False)
    with pytest.raises(MissingCRSError,
                       match=r"bureau\.shp has no coordinate .*\.prj.*--source-crs"):
        read_vector(shp)
    gdf = read_vector(shp, source_crs="cgcs2000")  # the workaround named in the message
    assert gdf.crs.to_epsg() == 4490


def test_shapefile_without_dbf(tmp_path):
    shp = gbk_shapefile(tmp_path)
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(DataFormatError, match=r"bureau\.dbf missing"):
        read_vector(shp)


# --------------------------------------------------------------------------- GeoJSON / GPKG


def test_geopackage_layers_must_be_chosen(tmp_path, parks_m):
    gpkg = tmp_path / "plan.gpkg"
    write_gpkg(parks_m, gpkg, layer="parks")
    write_gpkg(parks_m.iloc[:1], gpkg, layer="gardens")
    with pytest.raises(DataFormatError, match=r"holds 2 layers: .*parks.*--layer"):
        read_vector(gpkg)
    assert len(read_vector(gpkg, layer="parks")) == 3
    with pytest.raises(DataFormatError, match="has no layer 'roads'; it has: "):
        read_vector(gpkg, layer="roads")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("a.txt", b"hello", r"unknown file type '\.txt'; tanmap reads .*\.geojson"),
        ("broken.geojson", b'{"type": "FeatureColl', r"cannot read broken\.geojson"),
        ("broken.gpkg", b"SQLite no",
         r"cannot read broken\.gpkg \(GeoPackage\): it is not a GeoPackage"),
        ("broken.xlsx", b"PK no", r"cannot read broken\.xlsx as an Excel workbook"),
    ],
    ids=["unknown-suffix", "corrupt-geojson", "corrupt-gpkg", "corrupt-xlsx"],
)
def test_unreadable_files(tmp_path, name, content, match):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataFormatError, match=match):
        read_vector(tmp_path / name)


def test_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match=r"cannot read nope\.geojson: no such file"):
        read_vector(tmp_path / "nope.geojson")


def test_oversize_input_is_refused(tmp_path):
    with pytest.raises(InputTooLargeError, match=r"over the limit of .*max_bytes"):
        read_vector(BOWTIE_PARKS, max_bytes=100)
    shp = gbk_shapefile(tmp_path)
    with pytest.raises(InputTooLargeError, match=r"bureau\.shp is"):
        read_vector(shp, max_bytes=200)  # .shp + .shx + .dbf counted together


def test_geojson_in_gcj02_is_converted(tmp_path):
    gcj = gpd.GeoDataFrame({"id": ["C1"]}, geometry=[Point(116.41024449916938, 39.91640428150164)],
                           crs=4326)
    path = tmp_path / "amap.geojson"
    pyogrio.write_dataframe(gcj, path)
    pt = read_vector(path, coord_system="gcj02").geometry.iloc[0]
    assert metres_between((pt.x, pt.y), WGS84_REF) < 0.5


def test_coord_system_on_projected_file(tmp_path, parks_m):
    path = tmp_path / "m.gpkg"
    write_gpkg(parks_m, path, layer="p")
    with pytest.raises(CRSError, match=r"applies to lon/lat data, but the file is in EPSG:4548"):
        read_vector(path, coord_system="gcj02")


# --------------------------------------------------------------------------- CSV / XLSX points


def test_gcj02_csv_converts_to_the_reference_wgs84_point():
    gdf = read_vector(GCJ02_STATION, coord_system="gcj02")
    pt = gdf.geometry.iloc[0]
    assert gdf.crs.to_epsg() == 4326
    assert metres_between((pt.x, pt.y), WGS84_REF) < 0.5
    # Unconverted, the point is ~500-600 m off: the conversion is not a no-op.
    assert metres_between((116.41024449916938, 39.91640428150164), WGS84_REF) > 500
    assert list(gdf.columns) == ["id", "name", "access", "fast_piles", "geometry"]
    assert gdf["name"].tolist() == ["天安门充电站"]
    assert gdf["id"].tolist() == ["C-01"]


def test_bd09_csv(tmp_path):
    path = tmp_path / "baidu.csv"
    path.write_text(f"lng,LAT,id\n{BD09_REF[0]},{BD09_REF[1]},B1\n", encoding="utf-8")
    pt = read_vector(path, coord_system="bd09").geometry.iloc[0]
    assert metres_between((pt.x, pt.y), WGS84_REF) < 0.5


def test_csv_needs_a_declared_system():
    with pytest.raises(MissingCRSError, match=r"--coord-system wgs84\|gcj02\|bd09\|cgcs2000"):
        read_vector(GCJ02_STATION)


def test_csv_unknown_coord_system():
    with pytest.raises(CRSError, match="Unknown coordinate system 'mars'"):
        read_vector(GCJ02_STATION, coord_system="mars")


def test_csv_columns_not_found_lists_columns(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("id,东经,北纬\nA,117.2,39.1\n", encoding="utf-8")
    with pytest.raises(DataFormatError,
                       match=r"no longitude \(x\) column found among id, 东经, 北纬.*--lon-col"):
        read_vector(path, coord_system="wgs84")
    gdf = read_vector(path, coord_system="wgs84", lon_col="东经", lat_col="北纬")
    assert gdf.geometry.iloc[0].equals(Point(117.2, 39.1))
    with pytest.raises(DataFormatError, match="has no column 'lon2'"):
        read_vector(path, coord_system="wgs84", lon_col="lon2", lat_col="北纬")


def test_csv_gbk_encoded_is_detected(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("id,名称,经度,纬度\n01,人民公园,117.2,39.1\n".encode("gbk"))
    gdf = read_vector(path, coord_system="cgcs2000")
    assert gdf["名称"].tolist() == ["人民公园"]
    assert gdf["id"].tolist() == ["01"]  # text codes keep their leading zero
    assert gdf.crs.to_epsg() == 4490


def test_csv_rows_without_coordinates(tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("id,lon,lat\nA,117.2,39.1\nB,,39.2\nC,abc,39.3\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"2 row\(s\) without numeric coordinates: row 2 .*"
                                              r"row 3 \(lon='abc', lat='39.3'\)"):
        read_vector(path, coord_system="wgs84")


def test_csv_in_metres_with_source_crs(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(f"id,x,y\nA,{X0},{Y0}\n", encoding="utf-8")
    gdf = read_vector(path, source_crs="EPSG:4548")
    assert gdf.crs.to_epsg() == 4548
    assert gdf.geometry.iloc[0].equals(Point(X0, Y0))
    with pytest.raises(CRSError, match="is projected; give one or the other"):
        read_vector(path, source_crs="EPSG:4548", coord_system="gcj02")


def test_xlsx_points_and_sheet_choice(tmp_path):
    path = tmp_path / "stations.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"id": ["A"], "经度": [117.2], "纬度": [39.1]}).to_excel(
            xw, sheet_name="站点", index=False)
        pd.DataFrame().to_excel(xw, sheet_name="Sheet2", index=False)
    gdf = read_vector(path, coord_system="wgs84")  # the empty sheet is ignored
    assert gdf.geometry.iloc[0].equals(Point(117.2, 39.1))
    with pd.ExcelWriter(path, mode="a") as xw:
        pd.DataFrame({"id": ["B"], "lon": [117.3], "lat": [39.2]}).to_excel(
            xw, sheet_name="更多", index=False)
    with pytest.raises(DataFormatError, match="holds 2 sheets: 站点, 更多"):
        read_vector(path, coord_system="wgs84")
    assert read_vector(path, coord_system="wgs84", layer="更多")["id"].tolist() == ["B"]


# --------------------------------------------------------------------------- load


def test_load_bowtie_reports_every_error_then_repairs():
    what = r"io_bowtie_park\.geojson \(公园绿地与广场 park\): 1 problem\(s\)"
    with pytest.raises(LayerValidationError, match=what) as info:
        load("park", BOWTIE_PARKS)
    (issue,) = info.value.issues
    assert (issue.code, issue.row, issue.feature_id) == ("invalid_geometry", 1, "P-01")
    result = load("park", BOWTIE_PARKS, repair=True)
    assert isinstance(result, LoadResult)
    (note,) = result.repairs
    assert note.feature_id == "P-01"
    # Two triangles, half of 0.01° x 0.01° at 39.1°N: 0.01° of longitude is 111.32 km x
    # cos(39.1°) / 100 = 864 m, 0.01° of latitude 1110 m; half of 864 m x 1110 m = 479,500 m²,
    # measured in the planning CRS of the place (not 5e-05 square degrees).
    assert note.area_crs == "EPSG:4548"
    assert note.area_after_m2 == pytest.approx(479_500, rel=0.005)
    assert result.gdf["status"].tolist() == ["existing", "existing"]  # 现状 -> code
    assert result.gdf.crs.to_epsg() == 4326


def test_load_swapped_axes_is_rejected():
    with pytest.raises(LayerValidationError, match="look swapped") as info:
        load(LayerKind.CHARGING_STATION, SWAPPED_STATIONS)
    assert [i.code for i in info.value.issues] == ["swapped_axes"]


def test_load_gcj02_csv_with_types_and_target_crs():
    result = load("charging_station", GCJ02_STATION, coord_system="gcj02", target_crs=4548)
    gdf = result.gdf
    assert gdf.crs.to_epsg() == 4548
    assert str(gdf["fast_piles"].dtype) == "Int64"
    assert gdf["fast_piles"].tolist() == [4]
    assert result.warnings == []


def test_load_warns_for_features_outside_district(parks_m, tmp_path):
    path = tmp_path / "parks.gpkg"
    write_gpkg(parks_m, path, layer="parks")
    district = gpd.GeoSeries([box(X0 - 1, Y0 - 1, X0 + 12, Y0 + 2)], crs=EPSG_M)
    result = load("park", path, district=district, target_crs="EPSG:4548")
    assert [(w.code, w.row) for w in result.warnings] == [("outside_district", 3)]
    assert len(result.gdf) == 3
    # A bare geometry is taken to be in target_crs.
    result = load("park", path, district=district.iloc[0], target_crs=4548)
    assert [w.row for w in result.warnings] == [3]


def test_load_unknown_kind():
    with pytest.raises(ValueError, match="unknown layer kind 'parc'"):
        load("parc", BOWTIE_PARKS)


# --------------------------------------------------------------------------- writers


def ring_signed_area(ring: list[list[float]]) -> float:
    xy = np.asarray(ring)
    return 0.5 * float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]))


def test_geojson_is_rfc7946(tmp_path):
    shell_cw = [(X0, Y0), (X0, Y0 + 100), (X0 + 100, Y0 + 100), (X0 + 100, Y0)]
    hole_ccw = [(X0 + 10, Y0 + 10), (X0 + 20, Y0 + 10), (X0 + 20, Y0 + 20), (X0 + 10, Y0 + 20)]
    gdf = gpd.GeoDataFrame({"id": ["A"], "name": ["公园"]},
                           geometry=[Polygon(shell_cw, [hole_ccw])], crs=EPSG_M)
    path = write_geojson(gdf, tmp_path / "out.geojson", precision=6)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert "crs" not in doc
    feature = doc["features"][0]
    assert feature["properties"] == {"id": "A", "name": "公园"}
    shell, hole = feature["geometry"]["coordinates"]
    assert ring_signed_area(shell) > 0  # exterior counter-clockwise
    assert ring_signed_area(hole) < 0  # hole clockwise
    lon, lat = shell[0]
    assert 116.9 < lon < 117.1 and 39.0 < lat < 39.2  # noqa: PT018 - lon/lat order
    assert all(len(str(v).split(".")[1]) <= 6 for v in (lon, lat))
    back = read_vector(path)
    expected = gdf.to_crs(4326).geometry.iloc[0]
    assert shapely.equals_exact(back.geometry.iloc[0].normalize(), expected.normalize(),
                                tolerance=1e-6)


def test_geojson_round_trip_attributes(tmp_path, parks_m):
    path = write_layer(parks_m, tmp_path / "parks.geojson", "geojson")
    spec = SPECS[LayerKind.PARK]
    from tanmap.layers.ingest.validation import coerce_types

    back = coerce_types(read_vector(path), spec)
    pd.testing.assert_frame_equal(
        back.drop(columns="geometry"), coerce_types(parks_m, spec).drop(columns="geometry"),
    )
    assert np.allclose(shapely.get_coordinates(back.geometry.array),
                       shapely.get_coordinates(parks_m.to_crs(4326).geometry.array), atol=1e-7)


def test_gpkg_round_trip_in_gk_zone(tmp_path, parks_m):
    path = tmp_path / "plan.gpkg"
    write_gpkg(parks_m.to_crs(4326), path, layer="parks", crs="EPSG:4548")
    write_layer(parks_m.iloc[:1], path, "gpkg", layer="first")
    assert sorted(pyogrio.list_layers(path)[:, 0].tolist()) == ["first", "parks"]
    back = read_vector(path, layer="parks")
    assert back.crs.to_epsg() == 4548
    assert back["name"].tolist() == NAMES_ZH
    assert back["planned_year"].tolist()[0] == 2025
    assert np.allclose(shapely.get_coordinates(back.geometry.array),
                       shapely.get_coordinates(parks_m.geometry.array), atol=1e-6)


def test_shapefile_zip_round_trip_utf8(tmp_path, parks_m):
    gdf = parks_m.assign(installation_year=[1990, 2000, 2010], installation_no=[1, 2, 3],
                         供热管网名称=["一号", "二号", "三号"])
    report = write_shapefile_zip(gdf, tmp_path / "pipes.zip", crs="EPSG:4548")
    assert isinstance(report, ShapefileReport)
    assert report.encoding == "UTF-8"
    assert report.crs == "EPSG:4548"
    assert report.n_features == 3
    assert report.field_names["installation_year"] == "installati"
    assert report.field_names["installation_no"] == "installa_1"
    assert report.field_names["供热管网名称"] == "供热管"  # 9 UTF-8 bytes
    with zipfile.ZipFile(report.path) as zf:
        assert sorted(zf.namelist()) == ["fields.csv", "pipes.cpg", "pipes.dbf", "pipes.prj",
                                         "pipes.shp", "pipes.shx"]
        assert zf.read("pipes.cpg") == b"UTF-8"
        listing = zf.read("fields.csv").decode("utf-8-sig").splitlines()
    assert listing[0] == "field,original"
    assert "供热管,供热管网名称" in listing
    back = read_vector(report.path)
    assert back.crs.to_epsg() == 4548
    back = back.rename(columns={v: k for k, v in report.field_names.items()})
    assert back["name"].tolist() == NAMES_ZH
    assert back["供热管网名称"].tolist() == ["一号", "二号", "三号"]
    assert back["installation_year"].tolist() == [1990, 2000, 2010]
    assert back["open_access"].tolist() == [True, False, True]
    assert np.allclose(shapely.get_coordinates(back.geometry.array),
                       shapely.get_coordinates(gdf.geometry.array), atol=1e-6)


def test_shapefile_zip_gbk(tmp_path, parks_m):
    report = write_layer(parks_m.rename(columns={"name": "名称"}), tmp_path / "g.zip", "shp",
                         encoding="gbk")
    assert report.encoding == "GBK"
    with zipfile.ZipFile(report.path) as zf:
        assert zf.read("g.cpg") == b"GBK"
        dbf = zf.read("g.dbf")
    assert "人民公园".encode("gbk") in dbf
    assert "名称".encode("gbk") in dbf  # field name in GBK bytes
    assert read_vector(report.path)["名称"].tolist() == NAMES_ZH
    # Without the .cpg (as bureaus often deliver it) the detector still finds GBK.
    (tmp_path / "x").mkdir()
    with zipfile.ZipFile(report.path) as zf:
        zf.extractall(tmp_path / "x")
    (tmp_path / "x" / "g.cpg").unlink()
    assert read_vector(tmp_path / "x" / "g.shp")["名称"].tolist() == NAMES_ZH


def test_shapefile_gbk_cannot_hold_every_character(tmp_path, parks_m):
    parks_m.loc[1, "name"] = "公园😀"
    with pytest.raises(DataFormatError, match=r"characters GBK lacks: row 2 field name value "
                                              r"'公园😀'.*encoding='utf-8'"):
        write_shapefile_zip(parks_m, tmp_path / "g.zip", encoding="gbk")


def test_shapefile_refuses_mixed_families_and_bad_encoding(tmp_path, parks_m):
    parks_m.loc[2, "geometry"] = LineString([(X0, Y0), (X0 + 1, Y0)])
    with pytest.raises(DataFormatError, match="mixes LineString, Polygon"):
        write_shapefile_zip(parks_m, tmp_path / "m.zip")
    with pytest.raises(ValueError, match="encoding must be 'utf-8' or 'gbk', got 'latin-1'"):
        write_shapefile_zip(parks_m, tmp_path / "m.zip", encoding="latin-1")  # type: ignore[arg-type]


def test_shapefile_promotes_mixed_single_and_multi(tmp_path, parks_m):
    parks_m.loc[0, "geometry"] = parks_m.geometry.iloc[0].union(box(X0 + 50, Y0, X0 + 51, Y0 + 1))
    report = write_shapefile_zip(parks_m, tmp_path / "mp.zip")
    back = read_vector(report.path)
    assert back.geometry.area.tolist() == pytest.approx([2.0, 1.0, 1.0])


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp"])
def test_writers_require_a_crs(tmp_path, parks_m, fmt):
    with pytest.raises(MissingCRSError, match=r"has no CRS; call gdf\.set_crs"):
        write_layer(parks_m.set_crs(None, allow_override=True), tmp_path / "x", fmt)


def test_write_layer_unknown_format(tmp_path, parks_m):
    with pytest.raises(ValueError, match="unknown format 'kml'; choose one of geojson, gpkg, shp"):
        write_layer(parks_m, tmp_path / "x.kml", "kml")


def test_geojson_overwrites_atomically(tmp_path, parks_m):
    path = tmp_path / "p.geojson"
    write_geojson(parks_m, path)
    write_geojson(parks_m.iloc[:1], path)
    assert len(read_vector(path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.geojson"]


@settings(max_examples=15, deadline=None)
@given(boxes=st.lists(boxes_m(), min_size=1, max_size=5))
def test_geojson_round_trip_within_precision(tmp_path_factory, boxes):
    gdf = gpd.GeoDataFrame({"id": [str(i) for i in range(len(boxes))]}, geometry=boxes,
                           crs=EPSG_M)
    path = write_geojson(gdf, tmp_path_factory.mktemp("rt") / "b.geojson", precision=7)
    back = read_vector(path)
    expected = gdf.to_crs(4326).geometry.array
    got = back.geometry.array
    # Rounding to 7 decimals moves each vertex by at most 0.5e-7 degree on each axis.
    assert (shapely.get_num_coordinates(got) == shapely.get_num_coordinates(expected)).all()
    assert (shapely.hausdorff_distance(got, expected) <= 0.5e-7 * np.sqrt(2) + 1e-12).all()
    # 0.5e-7 degree is under 6 mm here, so in metres each area moves by < 6 mm x perimeter.
    area_change_m2 = np.abs(back.to_crs(EPSG_M).area - gdf.area)
    assert (area_change_m2 <= 0.006 * gdf.length).all()


@given(names=st.lists(st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s),
                      min_size=1, max_size=12, unique=True))
def test_shapefile_field_names_fit_and_are_unique(names):
    mapping = shapefile_field_names(names)
    assert list(mapping) == names
    assert all(len(v.encode("utf-8")) <= 10 for v in mapping.values())
    assert len({v.lower() for v in mapping.values()}) == len(names)

"""Issue 15 in tanmap.layers.ingest.io and .validation: export names, zip permissions, repair
areas in m², coordinates far outside the CRS's area of use, and the detected DBF encoding.

Layers are unit squares near Tianjin in EPSG:4548 (metres) or 0.01° squares in EPSG:4326.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point, Polygon, box

from tanmap.geo.errors import DataFormatError, LayerValidationError
from tanmap.layers.ingest import io
from tanmap.layers.ingest.io import load, read_vector, write_layer
from tanmap.layers.ingest.validation import repair_geometries, validate
from tanmap.layers.kinds import SPECS, LayerKind
from tests.strategies import EPSG_M, ORIGIN_X_M, ORIGIN_Y_M

X0, Y0 = ORIGIN_X_M, ORIGIN_Y_M
PARK = SPECS[LayerKind.PARK]


@pytest.fixture
def parks_m() -> gpd.GeoDataFrame:
    """Two 1 m parks 10 m apart near Tianjin (EPSG:4548)."""
    return gpd.GeoDataFrame(
        {"id": ["P-01", "P-02"], "name": ["人民公园", "水上公园"], "park_class": ["G11", "G12"]},
        geometry=[box(X0, Y0, X0 + 1, Y0 + 1), box(X0 + 10, Y0, X0 + 11, Y0 + 1)], crs=EPSG_M,
    )


# ------------------------------------------------------------------ 1. extension and format


@pytest.mark.parametrize(
    ("out", "fmt", "expected"),
    [
        ("parks.gpkg", None, ("parks.gpkg", "gpkg")),
        ("parks.GeoJSON", None, ("parks.GeoJSON", "geojson")),
        ("parks.json", None, ("parks.json", "geojson")),
        ("parks.zip", None, ("parks.zip", "shp")),
        ("parks", "shp", ("parks.zip", "shp")),
        ("parks", "gpkg", ("parks.gpkg", "gpkg")),
        ("parks.shp.zip", "shp", ("parks.shp.zip", "shp")),
    ],
    ids=["gpkg", "GeoJSON-upper", "json", "zip", "no-suffix-shp", "no-suffix-gpkg", "shp.zip"],
)
def test_export_target_derives_one_from_the_other(out, fmt, expected):
    path, derived = io.export_target(out, fmt)
    assert (path.name, derived) == expected


@pytest.mark.parametrize(
    ("out", "fmt", "message"),
    [
        ("x.shp", "shp", r"cannot write the layer as zipped Shapefile to x\.shp: the file would be "
                         r"a zip named \.shp, .*Name it x\.zip \(a Shapefile is several files"),
        ("y.geojson", "gpkg", r"as GeoPackage to y\.geojson: .*a GeoPackage named \.geojson.*"
                              r"Name it y\.gpkg, or write GeoJSON with --format geojson"),
        ("z.gpkg", "geojson", r"Name it z\.geojson, or write GeoPackage with --format gpkg"),
        ("w.kml", None, r"cannot tell the format of w\.kml from its extension '\.kml'.*"
                        r"\.gpkg \(gpkg\), \.zip \(shp\)"),
    ],
    ids=["zip-named-shp", "gpkg-named-geojson", "geojson-named-gpkg", "unknown-suffix"],
)
def test_export_target_refuses_a_mismatch(out, fmt, message):
    with pytest.raises(DataFormatError, match=message):
        io.export_target(out, fmt)


def test_write_layer_refuses_a_zip_named_shp_and_writes_nothing(tmp_path, parks_m):
    with pytest.raises(DataFormatError, match=r"Name it x\.zip"):
        write_layer(parks_m, tmp_path / "x.shp", "shp")
    with pytest.raises(DataFormatError, match=r"Name it y\.gpkg"):
        write_layer(parks_m, tmp_path / "y.geojson", "gpkg")
    assert list(tmp_path.iterdir()) == []


def test_shp_zip_holds_the_shapefile_under_its_own_name(tmp_path, parks_m):
    report = write_layer(parks_m, tmp_path / "parks.shp.zip", "shp")
    names = zipfile.ZipFile(report.path).namelist()
    assert "parks.shp" in names
    assert "parks.shp.shp" not in names
    assert read_vector(report.path)["id"].tolist() == ["P-01", "P-02"]


# ------------------------------------------------------------------ 7. zip member permissions


def test_every_member_of_an_exported_zip_is_world_readable(tmp_path, parks_m):
    report = write_layer(parks_m, tmp_path / "parks.zip", "shp")
    with zipfile.ZipFile(report.path) as zf:
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in zf.infolist()}
        assert zf.read("fields.csv").decode("utf-8-sig").startswith("field,original")
    assert modes == dict.fromkeys(
        ["parks.shp", "parks.shx", "parks.dbf", "parks.prj", "parks.cpg", "fields.csv"], 0o644)


# ------------------------------------------------------------------ 2. repair areas in m²


def _bowtie_lonlat() -> Polygon:
    """A bow-tie over the 0.01° square at 117.20 °E, 39.10 °N (two triangles, each a quarter)."""
    return Polygon([(117.20, 39.10), (117.21, 39.11), (117.21, 39.10), (117.20, 39.11)])


def test_repair_of_a_lonlat_layer_reports_square_metres_in_the_planning_crs():
    """0.01° of longitude at 39.1°N is 111.32 km x cos 39.1° / 100 = 864 m, 0.01° of latitude
    1110 m; the repaired bow-tie is two triangles, half the square: 479,500 m² (not 5e-05)."""
    gdf = gpd.GeoDataFrame({"id": ["B"]}, geometry=[_bowtie_lonlat()], crs=4326)
    _, (note,) = repair_geometries(gdf, PARK, source="parks.geojson")
    assert note.area_crs == "EPSG:4548"
    assert note.area_after_m2 == pytest.approx(479_500, rel=0.005)
    assert note.area_before_m2 == pytest.approx(0.0, abs=1.0)  # the halves cancel
    assert str(note).endswith("m² -> 480,144.5 m² (EPSG:4548)")


def test_repair_measures_in_a_given_area_crs():
    square_m = Polygon([(X0, Y0), (X0 + 2, Y0 + 2), (X0 + 2, Y0), (X0, Y0 + 2)])  # 2 x 2 m bow-tie
    gdf = gpd.GeoDataFrame(geometry=[square_m], crs=EPSG_M).to_crs(4326)
    _, (note,) = repair_geometries(gdf, PARK, area_crs="EPSG:4548")
    assert note.area_before_m2 == pytest.approx(0.0, abs=1e-6)
    assert note.area_after_m2 == pytest.approx(2.0, rel=1e-6)
    assert str(note).endswith("-> 2.0 m² (EPSG:4548)")


@pytest.mark.parametrize("crs", [None, 4326], ids=["no-crs", "polar-lonlat"])
def test_repair_without_a_metric_crs_says_so(crs):
    """No CRS, or lon/lat at 85°N where no planning zone (UTM) is defined: no area is made up."""
    gdf = gpd.GeoDataFrame(geometry=[Polygon([(0, 85), (1, 86), (1, 85), (0, 86)])], crs=crs)
    _, (note,) = repair_geometries(gdf)
    assert (note.area_before_m2, note.area_after_m2, note.area_crs) == (None, None, None)
    assert str(note).endswith("area not measured (no CRS, or no metric CRS for the place)")


# ------------------------------------------------------------------ 3. area of use


def test_huge_coordinates_are_named_as_outside_the_area_of_use(parks_m):
    parks_m.loc[1, "geometry"] = box(1e12, 1e12, 1e12 + 10, 1e12 + 10)
    issues = validate(parks_m, PARK, source="huge.geojson")
    assert [(i.code, i.row, i.feature_id) for i in issues] == [
        ("outside_area_of_use", 2, "P-02")]
    text = str(issues[0])
    assert text.startswith("huge.geojson row 2 (id P-02): coordinates such as x=1e+12, y=1e+12 "
                           "lie far outside the area of use of EPSG:4548")
    assert "115.5..118.5 °E, 22.6..49.88 °N" in text
    assert "NaN" not in text
    assert "--source-crs" in text


def test_metres_of_the_wrong_zone_are_caught_too(parks_m):
    """x = 2,000 km is 16° east of zone 4548's central meridian: far outside 115.5–118.5 °E."""
    parks_m.loc[0, "geometry"] = box(2e6, Y0, 2e6 + 1, Y0 + 1)
    (issue,) = validate(parks_m, PARK)
    assert (issue.code, issue.row) == ("outside_area_of_use", 1)


def test_a_district_spilling_into_the_next_zone_still_loads(parks_m):
    """x = 300 km in EPSG:4548 at 39°N is 114.7 °E, 0.8° west of the zone (115.5–118.5 °E):
    inside the 3° margin, so a district crossing the zone edge is not refused."""
    parks_m.loc[0, "geometry"] = box(300_000, Y0, 300_001, Y0 + 1)
    assert validate(parks_m, PARK) == []


def test_load_refuses_huge_coordinates_instead_of_storing_infinity(tmp_path):
    path = tmp_path / "huge.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {"id": "P-01", "park_class": "G12"}, "geometry": '
                    '{"type": "Polygon", "coordinates": [[[1e12, 1e12], [1e12, 2e12], '
                    '[2e12, 2e12], [1e12, 1e12]]]}}]}', encoding="utf-8")
    with pytest.raises(LayerValidationError, match="far outside the area of use") as info:
        load("park", path, source_crs="EPSG:4548")
    assert [i.code for i in info.value.issues] == ["outside_area_of_use"]


def test_nan_coordinates_name_the_feature(parks_m):
    parks_m.loc[1, "geometry"] = Point(float("nan"), Y0)
    (issue,) = [i for i in validate(parks_m, SPECS[LayerKind.CHARGING_STATION])
                if i.code in {"bad_coordinates", "invalid_geometry"}]
    assert (issue.code, issue.row, issue.feature_id) == ("bad_coordinates", 2, "P-02")


# ------------------------------------------------------------------ 6. detected DBF encoding


def _shapefile(folder: Path, names: list[str], *, encoding: str, cpg: bool) -> Path:
    gdf = gpd.GeoDataFrame(
        {"id": [f"P-{i}" for i in range(len(names))], "name": names,
         "park_class": ["G12"] * len(names)},
        geometry=[box(117.2 + 0.01 * i, 39.12, 117.205 + 0.01 * i, 39.125)
                  for i in range(len(names))], crs=4326)
    shp = folder / "bureau.shp"
    pyogrio.write_dataframe(gdf, shp, encoding=encoding)
    if not cpg:
        shp.with_suffix(".cpg").unlink()
    return shp


def test_load_says_which_encoding_was_detected_without_a_cpg(tmp_path):
    shp = _shapefile(tmp_path, ["人民公园", "水上公园"], encoding="GBK", cpg=False)
    result = load("park", shp)
    assert result.gdf["name"].tolist() == ["人民公园", "水上公园"]
    (note,) = [w for w in result.warnings if w.code == "encoding_detected"]
    assert str(note) == (
        "warning: bureau.shp: the Shapefile has no .cpg; its text was detected as GB18030 (GBK) "
        "and read so — fix: if names look garbled, pass the right encoding (--encoding GBK or "
        "UTF-8; API: encoding=...), or put a .cpg file with the encoding name next to the .shp")


def test_zipped_shapefile_detection_is_reported_too(tmp_path):
    shp = _shapefile(tmp_path, ["人民公园"], encoding="UTF-8", cpg=False)
    archive = tmp_path / "bureau.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for suffix in (".shp", ".shx", ".dbf", ".prj"):
            zf.write(shp.with_suffix(suffix), "bureau" + suffix)
    codes = [(w.code, w.problem) for w in load("park", archive).warnings]
    assert ("encoding_detected",
            "the Shapefile has no .cpg; its text was detected as UTF-8 and read so") in codes


@pytest.mark.parametrize(("names", "cpg"), [(["人民公园"], True), (["Renmin Park"], False)],
                         ids=["declared-by-cpg", "pure-ascii"])
def test_no_encoding_note_when_declared_or_irrelevant(tmp_path, names, cpg):
    shp = _shapefile(tmp_path, names, encoding="GBK", cpg=cpg)
    assert [w for w in load("park", shp).warnings if w.code == "encoding_detected"] == []

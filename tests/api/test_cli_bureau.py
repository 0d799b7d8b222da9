"""CLI tests for bureau files: field mapping, --skip-invalid with rejects, known-empty layers.

Runs ``main([...])`` against a private copy of a store holding the bundled boundaries. Files
are written by the tests: GBK Shapefiles without .cpg, footprints on a metre grid in 和平区
(EPSG:4548, 10 m squares), a zero-area footprint and a bow-tie.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Polygon, box

from tanmap.api import cli
from tanmap.api.commands import EXIT_ERROR, EXIT_OK
from tanmap.layers.store import geopackage as store_mod
from tanmap.layers.store import open_store

HEPING = "120101"
X0, Y0 = 516_500.0, 4_331_500.0  # EPSG:4548 metres, inside 和平区


@pytest.fixture(scope="module")
def initialised_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store after ``tanmap init`` (the bundled districts), built once per module."""
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


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gbk_buildings(folder: Path, *, invalid: bool = False) -> Path:
    """A GBK Shapefile (no .cpg), EPSG:4548: 编号 名称 状态 建筑类型 备注; B1, B4 10 m squares.

    With ``invalid``, B2 is a zero-area footprint (three collinear points) and B3 a bow-tie;
    otherwise they are 10 m squares too.
    """
    good = [box(X0 + 20 * i, Y0, X0 + 20 * i + 10, Y0 + 10) for i in range(4)]
    if invalid:
        good[1] = Polygon([(X0 + 20, Y0), (X0 + 25, Y0), (X0 + 30, Y0), (X0 + 20, Y0)])
        good[2] = Polygon([(X0 + 40, Y0), (X0 + 50, Y0 + 10), (X0 + 50, Y0), (X0 + 40, Y0 + 10)])
    frame = gpd.GeoDataFrame(
        {"编号": ["B1", "B2", "B3", "B4"], "名称": ["一号楼", "二号楼", "三号楼", "四号楼"],
         "状态": ["现状", "已建成", "在建", "规划"], "建筑类型": ["住宅", "商业", "公建", "机关"],
         "备注": ["", "", "", "待核"]},
        geometry=good, crs=4548)
    shp = folder / "楼栋.shp"
    pyogrio.write_dataframe(frame, shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink()
    return shp


# ------------------------------------------------------------------ field mapping


def test_gbk_shapefile_with_chinese_headers_imports_without_a_mapping(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shp = gbk_buildings(tmp_path)
    assert b"\xd7\xb4\xcc\xac" in shp.with_suffix(".dbf").read_bytes()  # 状态 in GBK
    assert run(store_path, "--lang", "en", "import", "building", str(shp),
               "--district", HEPING) == EXIT_OK
    out = capsys.readouterr().out
    assert "编号 -> id (built-in alias)" in out
    assert "status: 已建成 -> completed (1 feature(s), built-in alias)" in out
    assert "column '备注' is no field of 建筑 (building)" in out
    stored = open_store(store_path).read("building", district=HEPING)
    assert stored["id"].tolist() == ["B1", "B2", "B3", "B4"]
    assert stored["name"].tolist() == ["一号楼", "二号楼", "三号楼", "四号楼"]
    assert stored["status"].tolist() == ["existing", "completed", "under_construction",
                                         "planned"]
    assert stored["use_category"].tolist() == ["residential", "commercial_industrial", "public",
                                               "party_gov"]


def test_validate_prints_the_mapping_of_a_mapping_file(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "parks.geojson"
    gpd.GeoDataFrame({"GYBM": ["A"], "LB": ["3"], "BZ": ["x"]},
                     geometry=[box(X0, Y0, X0 + 10, Y0 + 10)], crs=4548).to_crs(4326).to_file(
        path, driver="GeoJSON")
    mapping = tmp_path / "映射.yaml"
    mapping.write_text("columns: {GYBM: id, LB: park_class}\nvalues: {park_class: {3: G13}}\n"
                       "ignore: [BZ]\n", encoding="utf-8")
    assert run(store_path, "validate", "park", str(path), "--map", str(mapping)) == EXIT_OK
    out = capsys.readouterr().out
    assert "字段映射 (映射.yaml):" in out
    assert "GYBM -> id (映射文件)" in out
    assert "park_class: 3 -> G13 (1 个要素, 映射文件)" in out
    assert "忽略: BZ" in out


def test_a_missing_required_field_names_the_headers_to_use(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "parks.geojson"
    gpd.GeoDataFrame({"编号": ["A"], "级别": ["G12"]}, geometry=[box(X0, Y0, X0 + 10, Y0 + 10)],
                     crs=4548).to_crs(4326).to_file(path, driver="GeoJSON")
    assert run(store_path, "validate", "park", str(path)) == EXIT_ERROR
    captured = capsys.readouterr()
    assert "编号 -> id (内置别名)" in captured.out  # the mapping is shown on failure too
    assert "未识别（不入库）: 级别" in captured.out
    err = captured.err
    assert "required field park_class" in err
    assert "绿地分类" in err
    assert "not recognised: 级别" in err


# ------------------------------------------------------------------ --skip-invalid


def test_without_skip_invalid_nothing_is_stored(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shp = gbk_buildings(tmp_path, invalid=True)
    assert run(store_path, "import", "building", str(shp), "--district", HEPING) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "zero area" in err
    assert "Self-intersection" in err
    assert "nothing was written" in err
    assert open_store(store_path).version("building", HEPING) is None
    assert not (tmp_path / "楼栋.rejects.geojson").exists()


def test_skip_invalid_stores_the_rest_and_writes_the_rejects_beside_the_input(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shp = gbk_buildings(tmp_path, invalid=True)
    assert run(store_path, "--lang", "en", "import", "building", str(shp), "--district", HEPING,
               "--skip-invalid") == EXIT_OK
    out = capsys.readouterr().out
    assert "rejected 2 invalid feature(s) (invalid_geometry 2)" in out
    assert "stored 2, rejected 2: written with their problems to" in out
    version = open_store(store_path).version("building", HEPING)
    assert version is not None
    assert version.n_features == 2
    assert open_store(store_path).read("building", district=HEPING)["id"].tolist() == ["B1", "B4"]
    rejects = json.loads((tmp_path / "楼栋.rejects.geojson").read_text(encoding="utf-8"))
    props = [f["properties"] for f in rejects["features"]]
    assert [p["编号"] for p in props] == ["B2", "B3"]
    assert props[0]["reject_problems"].startswith("geometry is invalid: zero area")
    assert "Self-intersection" in props[1]["reject_problems"]
    assert not list(tmp_path.glob(".*staged*"))


def test_skip_invalid_with_a_rejects_path_and_dry_run(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shp = gbk_buildings(tmp_path, invalid=True)
    target = tmp_path / "out" / "bad.csv"
    target.parent.mkdir()
    assert run(store_path, "import", "building", str(shp), "--district", HEPING,
               "--skip-invalid", "--dry-run", "--rejects", str(target)) == EXIT_OK
    assert "2 rejected; nothing was written" in capsys.readouterr().out
    assert not target.exists()
    assert open_store(store_path).version("building", HEPING) is None
    assert run(store_path, "import", "building", str(shp), "--district", HEPING,
               "--skip-invalid", "--rejects", str(target)) == EXIT_OK
    assert target.read_text(encoding="utf-8-sig").splitlines()[0].startswith(
        "reject_row,reject_codes,reject_problems,编号")


def test_a_failure_mid_import_leaves_the_store_unchanged(
    tmp_path: Path, store_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The features are already in the private copy when the bookkeeping step fails."""
    shp = gbk_buildings(tmp_path, invalid=True)
    store = open_store(store_path)
    before_hash, before_layers = sha256(store_path), store.layers(HEPING)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full (injected)")

    monkeypatch.setattr(store_mod, "_stored_digest", broken)
    assert run(store_path, "import", "building", str(shp), "--district", HEPING,
               "--skip-invalid") == EXIT_ERROR
    assert "nothing was changed" in capsys.readouterr().err
    assert sha256(store_path) == before_hash
    assert store.layers(HEPING) == before_layers
    assert not (tmp_path / "楼栋.rejects.geojson").exists()
    assert sorted(p.name for p in store_path.parent.iterdir() if p.suffix == ".gpkg") == [
        "store.gpkg"]
    assert not list(tmp_path.glob(".*staged*"))


def test_all_features_invalid_is_an_error_with_the_rejects(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame({"id": ["Z"], "use_category": ["residential"]},
                     geometry=[Polygon([(X0, Y0), (X0 + 5, Y0), (X0 + 9, Y0), (X0, Y0)])],
                     crs=4548).to_file(path, driver="GPKG", layer="bad")
    assert run(store_path, "import", "building", str(path), "--district", HEPING,
               "--skip-invalid") == EXIT_ERROR
    assert "all 1 features of bad.gpkg are invalid; nothing was stored" in capsys.readouterr().err
    assert (tmp_path / "bad.rejects.geojson").exists()
    assert open_store(store_path).version("building", HEPING) is None


# ------------------------------------------------------------------ known-empty layers


def test_import_empty_records_a_versioned_empty_layer(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(store_path, "--lang", "en", "import-empty", "park", "--district", HEPING,
               "--source", "园林局 2026 普查") == EXIT_OK
    assert "version 1 (0 features; metrics count zero)" in capsys.readouterr().out
    version = open_store(store_path).version("park", HEPING)
    assert version is not None
    assert (version.version, version.n_features, version.source) == (1, 0, "园林局 2026 普查")
    assert run(store_path, "--lang", "en", "layers", "--district", HEPING) == EXIT_OK
    assert "0 (known empty)" in capsys.readouterr().out


@pytest.mark.parametrize(("fmt", "suffix", "geometry_type"), [
    ("geojson", ".geojson", None), ("gpkg", ".gpkg", "MultiPolygon"),
    ("shp", ".zip", "Polygon"),  # a Shapefile's polygon type holds Multi- parts
])
def test_export_of_a_known_empty_layer(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, suffix: str,
    geometry_type: str | None,
) -> None:
    assert run(store_path, "-q", "import-empty", "park", "--district", HEPING) == EXIT_OK
    out = tmp_path / f"park{suffix}"
    assert run(store_path, "export", "park", "--district", HEPING, "--format", fmt,
               "--out", str(out)) == EXIT_OK
    assert "recorded as empty (known to have none)" in capsys.readouterr().err
    source = f"/vsizip/{out}/park.shp" if fmt == "shp" else str(out)
    info = pyogrio.read_info(source)
    assert info["features"] == 0
    if geometry_type is not None:  # GeoJSON has no schema without features
        assert info["geometry_type"] == geometry_type
        assert "park_class" in info["fields"]

"""API upload options: a real dry_run, repair, skip_invalid, a mapping file; known-empty route.

Uses the ``client`` fixture (a private copy of the 和平区 demo store, write token, 1 MB limit).
Uploads are GeoJSON files of 40 m squares inside 和平区, written by the tests.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
from fastapi.testclient import TestClient
from shapely.geometry import Polygon

from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import open_store

from .conftest import AUTH

HEPING = "120101"
URL = f"/api/districts/{HEPING}/layers/park/upload"
#: Squares of ~40 m x 40 m inside 和平区 (lon/lat), 0.001° apart.
X, Y, D = 117.2000, 39.1200, 0.00046


def square(i: int) -> list[list[float]]:
    x = X + 0.001 * i
    return [[x, Y], [x + D, Y], [x + D, Y + D], [x, Y + D], [x, Y]]


def bowtie(i: int) -> list[list[float]]:
    x = X + 0.001 * i
    return [[x, Y], [x + D, Y + D], [x + D, Y], [x, Y + D], [x, Y]]


def upload(features: list[tuple[dict, list[list[float]]]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props,
         "geometry": {"type": "Polygon", "coordinates": [ring]}}
        for props, ring in features]}).encode()


def park_version(store_path: Path) -> tuple[int, int]:
    version = open_store(store_path).version(LayerKind.PARK, HEPING)
    assert version is not None
    return version.version, version.n_features


def post(client: TestClient, data: bytes, query: str = "", **files: tuple) -> object:
    return client.post(f"{URL}?{query}", headers=AUTH,
                       files={"file": ("parks.geojson", data, "application/geo+json"), **files})


def test_dry_run_validates_but_does_not_change_the_version(
    client: TestClient, store_path: Path
) -> None:
    before = park_version(store_path)
    data = upload([({"编号": "U-1", "类型": "社区公园"}, square(0))])
    response = post(client, data, "dry_run=true")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True
    assert body["n_valid"] == 1
    assert (body["layer"]["version"], body["layer"]["n_features"]) == before
    assert park_version(store_path) == before
    stored = post(client, data)
    assert stored.status_code == 201
    assert park_version(store_path) == (before[0] + 1, 1)


def test_built_in_aliases_and_the_mapping_are_reported(client: TestClient) -> None:
    data = upload([({"编号": "U-1", "类型": "社区公园", "状态": "已建成", "备注": "x"}, square(0))])
    body = post(client, data).json()
    assert {(c["header"], c["field"]) for c in body["mapping"]["columns"]} == {
        ("编号", "id"), ("类型", "park_class"), ("状态", "status")}
    assert body["mapping"]["unmapped"] == ["备注"]
    assert [w["code"] for w in body["warnings"]] == ["unmapped_column"]


def test_mapping_file_upload(client: TestClient, store_path: Path) -> None:
    data = upload([({"GYBM": "M-1", "LB": "3"}, square(0))])
    mapping = b"columns: {GYBM: id, LB: park_class}\nvalues: {park_class: {'3': G13}}\n"
    response = post(client, data, mapping=("m.yaml", mapping, "application/yaml"))
    assert response.status_code == 201, response.text
    stored = open_store(store_path).read("park", district=HEPING)
    assert stored[["id", "park_class"]].values.tolist() == [["M-1", "G13"]]
    bad = post(client, data, mapping=("m.yaml", b"columns: {GYBM: idd}\n", "application/yaml"))
    assert bad.status_code == 422
    assert "'idd' is not a field of park" in bad.json()["detail"]
    exe = post(client, data, mapping=("m.exe", b"MZ", "application/octet-stream"))
    assert exe.status_code == 422


def test_skip_invalid_stores_the_valid_and_lists_the_rejected(
    client: TestClient, store_path: Path
) -> None:
    data = upload([({"id": "A", "park_class": "G12"}, square(0)),
                   ({"id": "B", "park_class": "G12"}, bowtie(1)),
                   ({"id": "C", "park_class": "G99"}, square(2))])
    before = park_version(store_path)
    refused = post(client, data)
    assert refused.status_code == 422
    assert park_version(store_path) == before
    response = post(client, data, "skip_invalid=true")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["layer"]["n_features"] == 1
    assert [(r["row"], r["codes"]) for r in body["rejected"]] == [
        (2, ["invalid_geometry"]), (3, ["not_in_choices"])]
    assert body["rejected"][0]["problems"][0]["feature_id"] == "B"
    assert open_store(store_path).read("park", district=HEPING)["id"].tolist() == ["A"]


def test_repair_fixes_the_bow_tie(client: TestClient, store_path: Path) -> None:
    data = upload([({"id": "B", "park_class": "G12"}, bowtie(1))])
    response = post(client, data, "repair=true")
    assert response.status_code == 201, response.text
    assert response.json()["repairs"][0].startswith("parks.geojson row 1 (id B): repaired")
    geometry = open_store(store_path).read("park", district=HEPING).geometry.iloc[0]
    assert geometry.is_valid
    assert geometry.geom_type == "MultiPolygon"


def test_skip_invalid_with_nothing_valid_is_422(client: TestClient, store_path: Path) -> None:
    before = park_version(store_path)
    response = post(client, upload([({"id": "B", "park_class": "G12"}, bowtie(1))]),
                    "skip_invalid=true")
    assert response.status_code == 422
    assert "every feature is invalid" in response.json()["detail"]
    assert park_version(store_path) == before


def test_empty_route_records_a_known_empty_layer(client: TestClient, store_path: Path,
                                                 tmp_path: Path) -> None:
    unauthorised = client.post(f"/api/districts/{HEPING}/layers/park/empty")
    assert unauthorised.status_code == 401
    response = client.post(f"/api/districts/{HEPING}/layers/park/empty?source=园林局",
                           headers=AUTH)
    assert response.status_code == 201, response.text
    layer = response.json()["layer"]
    assert (layer["n_features"], layer["source"]) == (0, "园林局")
    listed = {v["kind"]: v for v in client.get(f"/api/districts/{HEPING}/layers").json()}
    assert listed["park"]["n_features"] == 0
    export = client.get(f"/api/districts/{HEPING}/layers/park/export?format=gpkg")
    assert export.status_code == 200
    out = tmp_path / "park.gpkg"
    out.write_bytes(export.content)
    info = pyogrio.read_info(out)
    assert (info["features"], info["geometry_type"]) == (0, "MultiPolygon")


def test_upload_of_a_zipped_file_geodatabase_with_chinese_headers(
    client: TestClient, store_path: Path, tmp_path: Path
) -> None:
    gdb = tmp_path / "园林.gdb"
    parks = gpd.GeoDataFrame({"编号": ["GDB-1"], "名称": ["和平公园"], "类型": ["综合公园"]},
                             geometry=[Polygon(square(0))], crs=4490)
    pyogrio.write_dataframe(parks, gdb, layer="公园", driver="OpenFileGDB")
    pyogrio.write_dataframe(parks, gdb, layer="广场", driver="OpenFileGDB")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for part in gdb.iterdir():
            zf.write(part, f"园林.gdb/{part.name}")
    files = {"file": ("园林.zip", buffer.getvalue(), "application/zip")}
    ambiguous = client.post(URL, headers=AUTH, files=files)
    assert ambiguous.status_code == 422
    # Over HTTP the advice names the query parameter, not the CLI flag.
    assert "holds 2 layers: 公园, 广场; choose one with layer=NAME" in ambiguous.json()["detail"]
    response = client.post(f"{URL}?layer=公园", headers=AUTH, files=files)
    assert response.status_code == 201, response.text
    stored = open_store(store_path).read("park", district=HEPING)
    assert stored[["id", "name", "park_class"]].values.tolist() == [["GDB-1", "和平公园", "G11"]]

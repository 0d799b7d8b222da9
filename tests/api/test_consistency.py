"""The CLI and the HTTP API refuse the same inputs, each naming its own options in the advice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tanmap.api import cli
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import open_store

from .conftest import AUTH

HEPING = "120101"
DATA = Path(__file__).resolve().parents[1] / "data"
#: A 40 m square park in 和平区, in EPSG:4548 metres (CGCS2000 GK CM 117E).
GK_RING = [[517296.0, 4331845.0], [517336.0, 4331845.0], [517336.0, 4331885.0],
           [517296.0, 4331885.0], [517296.0, 4331845.0]]


def gk_parks(crs_name: str = "urn:ogc:def:crs:EPSG::4548") -> dict:
    return {"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": crs_name}},
            "features": [{"type": "Feature",
                          "properties": {"id": "GK-1", "park_class": "G12", "status": "existing"},
                          "geometry": {"type": "Polygon", "coordinates": [GK_RING]}}]}


def park_version(store_path: Path) -> int | None:
    version = open_store(store_path).version(LayerKind.PARK, HEPING)
    return None if version is None else version.version


def cli_import(store_path: Path, path: Path, *extra: str) -> int:
    return cli.main(["--store", str(store_path), "-q", "import", "park", str(path),
                     "--district", HEPING, *extra])


def upload(client: TestClient, name: str, data: bytes, **query: str) -> object:
    return client.post(f"/api/districts/{HEPING}/layers/park/upload", headers=AUTH,
                       params=query, files={"file": (name, data, "application/geo+json")})


def test_projected_geojson_crs_is_refused_by_cli_upload_and_body_alike(
    client: TestClient, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = park_version(store_path)
    path = tmp_path / "gk.geojson"
    path.write_text(json.dumps(gk_parks()), encoding="utf-8")

    assert cli_import(store_path, path) == 1
    err = capsys.readouterr().err
    assert "declares crs EPSG:4548" in err
    assert "--source-crs EPSG:4548" in err
    assert "source_crs=" not in err

    response = upload(client, "gk.geojson", path.read_bytes())
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "declares crs EPSG:4548" in detail
    assert "source_crs=EPSG:4548" in detail
    assert "--source-crs" not in detail

    body = client.post(f"/api/districts/{HEPING}/layers/park", headers=AUTH, json=gk_parks())
    assert body.status_code == 422
    assert "RFC 7946" in body.json()["detail"]
    assert park_version(store_path) == before

    # Confirming the declared CRS is accepted on both interfaces, and lands in the same place.
    assert cli_import(store_path, path, "--source-crs", "EPSG:4548") == 0
    by_cli = open_store(store_path).read(LayerKind.PARK, district=HEPING)
    ok = upload(client, "gk.geojson", path.read_bytes(), source_crs="EPSG:4548")
    assert ok.status_code == 201, ok.text
    by_api = open_store(store_path).read(LayerKind.PARK, district=HEPING)
    assert by_cli.geometry.iloc[0].equals_exact(by_api.geometry.iloc[0], 1e-9)
    assert by_api.geometry.iloc[0].bounds[0] == pytest.approx(117.2, abs=1e-5)


def test_cgcs2000_lonlat_geojson_is_accepted_by_cli_and_body_alike(
    client: TestClient, store_path: Path, tmp_path: Path
) -> None:
    ring = [[117.2, 39.12], [117.20046, 39.12], [117.20046, 39.12036], [117.2, 39.12036],
            [117.2, 39.12]]
    body = gk_parks("EPSG:4490")
    body["features"][0]["geometry"]["coordinates"] = [ring]
    response = client.post(f"/api/districts/{HEPING}/layers/park", headers=AUTH, json=body)
    assert response.status_code == 201, response.text
    path = tmp_path / "cgcs.geojson"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert cli_import(store_path, path) == 0


def test_repair_advice_names_each_interfaces_option(
    client: TestClient, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bowtie = DATA / "io_bowtie_park.geojson"
    assert cli_import(store_path, bowtie) == 1
    err = capsys.readouterr().err
    assert "--repair" in err
    assert "repair=True" not in err
    assert "repair=true" not in err

    response = upload(client, "bowtie.geojson", bowtie.read_bytes())
    assert response.status_code == 422
    fixes = " ".join(issue["fix"] for issue in response.json()["issues"])
    assert "repair=true" in fixes
    assert "--repair" not in fixes
    assert "repair=True" not in fixes


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "is empty (0 bytes"),
    (b'{"type": "FeatureCollection", "features": [', "not valid JSON (line 1, column 44"),
], ids=["empty", "truncated"])
def test_empty_and_unreadable_files_get_the_same_clear_message(
    client: TestClient, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    content: bytes, expected: str,
) -> None:
    path = tmp_path / "parks.geojson"
    path.write_bytes(content)
    assert cli_import(store_path, path) == 1
    err = capsys.readouterr().err
    response = upload(client, "parks.geojson", content)
    assert response.status_code == 422
    detail = response.json()["detail"]
    for text in (err, detail):
        assert expected in text
        assert "GDAL" not in text
        assert "supported file format" not in text

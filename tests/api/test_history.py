"""``tanmap history|revert`` and their HTTP twins: versions listed, a version restored exactly."""

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
SQUARE = [[117.2000, 39.1200], [117.20046, 39.1200], [117.20046, 39.12036],
          [117.2000, 39.12036], [117.2000, 39.1200]]


def parks(*ids: str) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": i, "park_class": "G12", "status": "existing"},
         "geometry": {"type": "Polygon", "coordinates": [SQUARE]}} for i in ids]}


def test_http_history_and_revert(client: TestClient, store_path: Path) -> None:
    start = open_store(store_path).version(LayerKind.PARK, HEPING)
    assert start is not None
    url = f"/api/districts/{HEPING}/layers/park"
    assert client.post(url, headers=AUTH, json=parks("A", "B")).status_code == 201
    assert client.post(f"{url}?mode=append", headers=AUTH, json=parks("C")).status_code == 201

    history = client.get(f"{url}/history").json()
    assert [h["version"] for h in history][-3:] == [start.version, start.version + 1,
                                                    start.version + 2]
    last = history[-1]
    assert (last["author"], last["added"], last["removed"], last["changed"]) == ("api", 1, 0, 0)
    assert last["current"] is True
    assert history[-2]["removed"] == start.n_features

    # Without the token nothing changes; with it, the demo version comes back exactly.
    assert client.post(f"{url}/revert?to={start.version}").status_code == 401
    response = client.post(f"{url}/revert?to={start.version}", headers=AUTH)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == start.version + 3
    assert body["n_features"] == start.n_features
    now = open_store(store_path).version(LayerKind.PARK, HEPING)
    assert now is not None
    assert now.checksum == start.checksum

    again = client.post(f"{url}/revert?to={now.version}", headers=AUTH)
    assert again.status_code == 409
    assert "already the current version" in again.json()["detail"]
    missing = client.post(f"{url}/revert?to=999", headers=AUTH)
    assert missing.status_code == 404
    assert "versions that can be restored" in missing.json()["detail"]


def test_cli_history_and_revert(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = open_store(store_path).version(LayerKind.PARK, HEPING)
    assert start is not None
    path = tmp_path / "parks.geojson"
    path.write_text(json.dumps(parks("X")), encoding="utf-8")
    base = ["--store", str(store_path), "-q"]
    assert cli.main([*base, "import", "park", str(path), "--district", HEPING]) == 0
    capsys.readouterr()

    assert cli.main([*base, "--lang", "en", "history", "park", "--district", HEPING]) == 0
    table = capsys.readouterr().out
    line = next(ln for ln in table.splitlines() if ln.startswith(f"{start.version + 1}*"))
    assert "parks.geojson" in line
    assert line.split()[-4:] == ["1", str(start.n_features), "0", "current"]

    assert cli.main([*base, "history", "park", "--district", HEPING, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[-1]["source"] == "parks.geojson"

    assert cli.main([*base, "revert", "park", "--district", HEPING, "--to",
                     str(start.version), "--author", "张工"]) == 0
    out = capsys.readouterr().out
    assert f"now version {start.version + 2}, {start.n_features} features" in out
    entry = open_store(store_path).history(LayerKind.PARK, HEPING)[-1]
    assert (entry.author, entry.reverted_from, entry.checksum) == ("张工", start.version,
                                                                   start.checksum)

    assert cli.main([*base, "revert", "park", "--district", HEPING, "--to", "99"]) == 1
    assert "is not kept; versions that can be restored" in capsys.readouterr().err

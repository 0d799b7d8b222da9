"""Computed result layers exported over HTTP and from the CLI give the same features."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient

from tanmap.api import cli

HEPING = "120101"
PARAMS = {"kind": "recycling_point", "unit_kind": "community", "min_count": 1}


def test_list_and_export_failing_units_http_equals_cli(
    client: TestClient, store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = f"/api/districts/{HEPING}/metrics/per_unit_min_count/layers"
    listed = client.get(base).json()
    assert {item["layer"] for item in listed} >= {"units", "failing_units"}

    response = client.post(f"{base}/failing_units", json={"params": PARAMS})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    by_http = json.loads(response.content)
    http_ids = sorted(f["properties"]["unit_id"] for f in by_http["features"])
    assert http_ids  # the demo has communities without a recycling point

    out = tmp_path / "failing.geojson"
    args = ["--store", str(store_path), "-q", "result", "per_unit_min_count", "--district",
            HEPING, "--layer", "failing_units", "--out", str(out)]
    for key, value in PARAMS.items():
        args += ["--param", f"{key}={value}"]
    assert cli.main(args) == 0
    assert f"exported {len(http_ids)} features" in capsys.readouterr().out
    assert sorted(gpd.read_file(out)["unit_id"]) == http_ids

    gpkg = client.get(f"/api/districts/{HEPING}/metrics/park_coverage/layers/gaps",
                      params={"format": "gpkg", "crs": 4548})
    assert gpkg.status_code == 200
    path = tmp_path / "gaps.gpkg"
    path.write_bytes(gpkg.content)
    gaps = gpd.read_file(path)
    assert gaps.crs.to_epsg() == 4548
    assert len(gaps) > 0

    missing = client.get(f"{base}/nope")
    assert missing.status_code == 404
    assert "it has: units" in missing.json()["detail"]

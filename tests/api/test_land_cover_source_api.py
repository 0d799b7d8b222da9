"""The land-cover raster path of forest_cover / blue_green_share from the CLI and the API
(store and hand-counted shares: tests/layers/test_land_cover_source.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from tanmap.api import cli
from tanmap.api.app import create_app
from tanmap.api.commands import EXIT_OK, EXIT_USAGE
from tanmap.api.settings import Settings
from tests.layers.test_land_cover_source import _vector_water, store, with_raster  # noqa: F401
from tests.layers.test_runner import ADCODE

from .conftest import TOKEN

if TYPE_CHECKING:
    from tanmap.layers.store import GeoPackageStore


def test_cli_metric_reads_the_raster_and_names_it(
        with_raster: GeoPackageStore, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    base = ["--store", str(with_raster.path), "metric"]
    assert cli.main([*base, "forest_cover", "--district", ADCODE, "--year", "2024",
                     "--json"]) == EXIT_OK
    out = json.loads(capsys.readouterr().out)
    assert out["value"] == pytest.approx(0.25)
    assert out["details"]["land_cover_source"].startswith("land-cover raster")
    _vector_water(with_raster)
    assert cli.main([*base, "forest_cover", "--district", ADCODE, "--year", "2024",
                     "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["value"] == pytest.approx(0.0)  # auto: vector wins
    assert cli.main([*base, "blue_green_share", "--district", ADCODE, "--year", "2024",
                     "--land-cover-source", "raster", "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["value"] == pytest.approx(0.8)
    assert cli.main([*base, "park_coverage", "--district", ADCODE,
                     "--land-cover-source", "raster"]) == EXIT_USAGE
    assert "--land-cover-source applies to forest_cover" in capsys.readouterr().err


def test_api_metric_takes_land_cover_source(with_raster: GeoPackageStore) -> None:  # noqa: F811
    client = TestClient(create_app(Settings(store=str(with_raster.path), api_token=TOKEN)))
    url = f"/api/districts/{ADCODE}/metrics"
    got = client.get(f"{url}/forest_cover", params={"year": 2024})
    assert got.status_code == 200, got.text
    assert got.json()["value"] == pytest.approx(0.25)
    assert [e["kind"] for e in got.json()["lineage"]] == ["raster:land_cover", "eco_zone"]
    _vector_water(with_raster)
    posted = client.post(f"{url}/blue_green_share",
                         json={"params": {"land_cover_source": "raster", "control_level": 2},
                               "year": 2024})
    assert posted.status_code == 200, posted.text
    assert posted.json()["value"] == pytest.approx(1.0)
    bad = client.post(f"{url}/forest_cover", json={"params": {"land_cover_source": "sky"}})
    assert bad.status_code == 422

"""Raster endpoints: upload (token), list, zonal, eco, export, delete (the test_rasters store)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from tanmap.api.app import create_app
from tanmap.api.settings import Settings
from tests.layers.test_rasters import land_cover, store  # noqa: F401 (fixtures)
from tests.layers.test_runner import ADCODE

from .conftest import AUTH, TOKEN

if TYPE_CHECKING:
    from pathlib import Path

    from tanmap.layers.store import GeoPackageStore


def test_raster_api_round_trip(store: GeoPackageStore, land_cover: Path) -> None:  # noqa: F811
    client = TestClient(create_app(Settings(store=str(store.path), api_token=TOKEN)))
    base = f"/api/districts/{ADCODE}/rasters"
    tif = land_cover.read_bytes()
    denied = client.post(f"{base}/land_cover", files={"file": ("lc.tif", tif)})
    assert denied.status_code == 401
    created = client.post(f"{base}/land_cover", headers=AUTH, files={"file": ("lc.tif", tif)})
    assert created.status_code == 201, created.text
    assert (created.json()["version"], created.json()["crs"]) == (1, "EPSG:4548")
    assert [r["kind"] for r in client.get(base).json()] == ["land_cover"]
    zonal = {r["zone_id"]: r for r in client.get(f"{base}/land_cover/zonal").json()}
    assert (zonal["W"]["forest"], zonal["E"]["built"]) == (400.0, 400.0)
    eco = client.get(f"{base}/land_cover/eco", params={"count_farmland": True}).json()
    assert eco["level_1"]["blue_green_share"] == 0.5
    exported = client.get(f"{base}/land_cover/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "image/tiff"
    assert exported.content[:2] in (b"II", b"MM")
    wrong = client.post(f"{base}/elevation", headers=AUTH, files={"file": ("x.png", b"png")})
    assert wrong.status_code == 422
    gone = client.delete(f"{base}/land_cover", headers=AUTH)
    assert (gone.status_code, gone.json()["deleted"]) == (200, True)
    assert client.get(f"{base}/land_cover/export").status_code == 404
    assert client.get(base).json() == []


def test_map_page_draws_the_stored_raster(client: TestClient,
                                          land_cover: Path) -> None:  # noqa: F811
    """The page cache follows raster versions: importing one redraws 和平's map with it."""
    before = client.get("/maps/120101?year=2026").text
    assert "L.imageOverlay" not in before
    created = client.post("/api/districts/120101/rasters/land_cover", headers=AUTH,
                          files={"file": ("lc.tif", land_cover.read_bytes())})
    assert created.status_code == 201
    # The last page answers while the new one is built (stale-while-revalidate), then it has it.
    assert client.get("/maps/120101?year=2026").headers["X-Tanmap-Page"] == "stale"
    assert client.app.state.pages.wait_refreshed(timeout_s=300)  # type: ignore[attr-defined]
    after = client.get("/maps/120101?year=2026").text
    assert "L.imageOverlay" in after
    assert 'tanmap.register("raster_land_cover"' in after
    assert "土地覆盖栅格 Land-cover raster" in after

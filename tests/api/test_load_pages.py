"""Map pages under writes: stale-while-revalidate, labelled with the data versions shown.

After a write the district map answers at once with its last page, marked 数据版本 … 正在更新,
while one background thread rebuilds it; a failed rebuild keeps the last page and says so; a page
is never served for another district, language or theme.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tanmap.api.routers import pages

from .conftest import AUTH

HEPING = "120101"
MAP = f"/maps/{HEPING}?year=2026"


def _point(fid: str, x: float = 117.2, y: float = 39.12) -> dict:
    return {"type": "Feature", "properties": {"id": fid, "status": "existing"},
            "geometry": {"type": "Point", "coordinates": [x, y]}}


def _write_recycling(client: TestClient, *ids: str) -> int:
    response = client.post(f"/api/districts/{HEPING}/layers/recycling_point?mode=replace",
                           headers=AUTH, json={"type": "FeatureCollection",
                                               "features": [_point(i) for i in ids]})
    assert response.status_code == 201, response.text
    return int(response.json()["layer"]["version"])


def _versions_box(html: str) -> str:
    found = re.search(r'<details id="tanmap-data-versions".*?</details>', html)
    assert found is not None, "the page has no data-versions box"
    return found.group(0)


def test_stale_page_is_labelled_then_fresh_after_the_rebuild(client: TestClient) -> None:
    first = client.get(MAP)
    assert first.headers["X-Tanmap-Page"] == "fresh"
    old_box = _versions_box(first.text)
    assert "数据版本" in old_box
    assert "正在更新" not in old_box
    old_version = re.search(r"<li>recycling_point v(\d+)</li>", old_box)
    assert old_version is not None
    new_version = _write_recycling(client, "RP-NEW-1", "RP-NEW-2")
    assert new_version == int(old_version.group(1)) + 1

    stale = client.get(MAP)
    assert stale.headers["X-Tanmap-Page"] == "stale"
    box = _versions_box(stale.text)
    assert "正在更新" in box
    # The label names the versions the page shows (the old ones), not the newest.
    assert f"<li>recycling_point v{old_version.group(1)}</li>" in box
    assert stale.headers["X-Tanmap-Data-Versions"] == first.headers["X-Tanmap-Data-Versions"]
    assert "RP-NEW-1" not in stale.text

    assert client.app.state.pages.wait_refreshed(timeout_s=300)  # type: ignore[attr-defined]
    fresh = client.get(MAP)
    assert fresh.headers["X-Tanmap-Page"] == "fresh"
    assert f"<li>recycling_point v{new_version}</li>" in _versions_box(fresh.text)
    assert fresh.headers["X-Tanmap-Data-Versions"] != first.headers["X-Tanmap-Data-Versions"]
    assert "RP-NEW-1" in fresh.text


def test_english_label(client: TestClient) -> None:
    client.get(MAP + "&lang=en")
    _write_recycling(client, "RP-EN-1")
    stale = client.get(MAP + "&lang=en")
    assert "Data versions" in _versions_box(stale.text)
    assert "updating" in _versions_box(stale.text)
    assert client.app.state.pages.wait_refreshed(timeout_s=300)  # type: ignore[attr-defined]


def test_a_page_of_another_language_or_theme_is_never_served(client: TestClient) -> None:
    zh = client.get(MAP)
    _write_recycling(client, "RP-X-1")
    # Only the Chinese "now" page was rendered: English and the 2030 horizon are built for
    # themselves (fresh), never answered with the Chinese page.
    en = client.get(MAP + "&lang=en")
    assert en.headers["X-Tanmap-Page"] == "fresh"
    assert "Pocket gardens" in en.text
    planned = client.get(MAP + "&horizon=2030")
    assert planned.headers["X-Tanmap-Page"] == "fresh"
    assert planned.text != zh.text
    assert "RP-X-1" in en.text
    assert "RP-X-1" in planned.text
    assert client.app.state.pages.wait_refreshed(timeout_s=300)  # type: ignore[attr-defined]


def test_a_failed_rebuild_keeps_the_last_page_and_reports_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get(MAP).status_code == 200

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("renderer <script>alert(1)</script> broke")

    monkeypatch.setattr(pages, "district_map", broken)
    _write_recycling(client, "RP-FAIL-1")
    client.get(MAP)  # starts the rebuild, which fails
    assert client.app.state.pages.wait_refreshed(timeout_s=300)  # type: ignore[attr-defined]
    kept = client.get(MAP)
    assert kept.status_code == 200
    assert kept.headers["X-Tanmap-Page"] == "stale-error"
    box = _versions_box(kept.text)
    assert "更新失败" in box
    assert "RuntimeError: renderer" in box
    assert "<script>alert(1)</script>" not in box  # the error text is escaped
    assert "&lt;script&gt;" in box
    monkeypatch.undo()
    client.app.state.rebuild_interval_s = 0.0  # type: ignore[attr-defined]  # no pause here
    _write_recycling(client, "RP-FAIL-2")  # new versions: tried again, and it works
    client.get(MAP)
    assert client.app.state.pages.wait_refreshed(timeout_s=300)  # type: ignore[attr-defined]
    healed = client.get(MAP)
    assert healed.headers["X-Tanmap-Page"] == "fresh"
    assert "RP-FAIL-2" in healed.text


def test_unknown_district_is_still_a_404(client: TestClient) -> None:
    response = client.get("/maps/999999")
    assert response.status_code == 404


def test_serve_refuses_a_bad_worker_count(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "tanmap.api.cli", "--store", str(tmp_path / "s.gpkg"), "serve",
         "--workers", "0"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "--workers must be a whole number from 1 to 64, got '0'" in done.stderr


def test_an_upload_does_not_block_other_requests(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: upload_layer (async) read, validated and wrote on the event loop, so every other
    # request waited for the whole import.
    import asyncio
    import json
    import time

    import httpx

    from tanmap.api.app import create_app
    from tanmap.api.routers import layers
    from tanmap.api.settings import Settings

    from .conftest import TOKEN

    real_load = layers.io.load

    def slow_load(*args: object, **kwargs: object) -> object:
        time.sleep(1.5)  # a large file
        return real_load(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(layers.io, "load", slow_load)
    app = create_app(Settings(store=str(store_path), api_token=TOKEN))
    body = json.dumps({"type": "FeatureCollection", "features": [_point("RP-UP-1")]}).encode()
    done: dict[str, float] = {}

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            await http.get("/api/districts")  # the store is opened before timing

            async def upload() -> None:
                r = await http.post(f"/api/districts/{HEPING}/layers/recycling_point/upload",
                                    headers=AUTH,
                                    files={"file": ("points.geojson", body, "application/json")})
                assert r.status_code == 201, r.text
                done["upload"] = time.perf_counter()

            async def other() -> None:
                await asyncio.sleep(0.3)
                r = await http.get(f"/api/districts/{HEPING}")
                assert r.status_code == 200
                done["other"] = time.perf_counter()

            await asyncio.gather(upload(), other())

    asyncio.run(run())
    assert done["other"] < done["upload"] - 0.5

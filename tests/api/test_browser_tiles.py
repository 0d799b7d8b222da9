"""A large layer drawn from vector tiles in a real browser (Debian chromium + playwright).

A synthetic district of 30,000 buildings, above a lowered tile threshold, opens from the app served
by uvicorn: the page embeds no building, asks ``/tiles/...pbf`` for the tiles in view, VectorGrid
draws their features, a click opens an escaped popup, and zooming and panning raise no console
error. The same with the Amap base map (its tiles answered locally), whose tile URLs ask for GCJ-02.
"""
# The fixtures (browser) come from test_browser.py: F811 would flag each use.
# ruff: noqa: F811

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tanmap.layers.store import open_store

from .browser_server import serve
from .test_browser import IMG_XSS, MAP_JS, PageLog, browser  # noqa: F401  (fixture)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .browser_server import LiveServer

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = "120110"  # 东丽区: a district with a catalog (the map page audits it); synthetic box
N_BUILDINGS = 30_000
THRESHOLD = 10_000
#: The synthetic district: 6 km x 5 km east of Tianjin (inside China, so GCJ-02 shifts it).
WEST, SOUTH, EAST, NORTH = 117.30, 39.02, 117.37, 39.065
#: JS: features VectorGrid has drawn in the building tiles now shown (its per-tile renderers
#: keep them by feature id, ``getFeatureId``).
TILE_FEATURES_JS = f"""() => {{
  const e = tanmap.registry['building'];
  if (!e || !{MAP_JS}.hasLayer(e.layer)) {{ return -1; }}
  const l = e.layer;
  let n = 0;
  for (const [key, t] of Object.entries(l._tiles)) {{
    const r = t.current && l._vectorTiles[key];
    if (r && r._features) {{ n += Object.keys(r._features).length; }}
  }}
  return n;
}}"""
#: JS: non-transparent pixels painted on the building tile canvases.
TILE_PIXELS_JS = """() => {
  let n = 0;
  for (const c of document.querySelectorAll('.leaflet-tile-container canvas')) {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) { n++; } }
  }
  return n;
}"""
#: JS: whether the building tile layer has no tile still loading.
TILES_LOADED_JS = """() => {
  const l = tanmap.registry['building'].layer;
  return Object.values(l._tiles).every(t => t.loaded);
}"""
#: A 1x1 transparent PNG answering the Amap base-map tiles (the test runs offline).
BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


def synthetic_buildings(n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """Return ``n`` non-overlapping 12 m x 9 m footprints on a jittered grid in the district."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n * (EAST - WEST) / (NORTH - SOUTH))))
    rows = int(np.ceil(n / side))
    dx, dy = (EAST - WEST) / side, (NORTH - SOUTH) / rows
    i = np.arange(n)
    x = WEST + (i % side) * dx + rng.random(n) * dx * 0.3
    y = SOUTH + (i // side) * dy + rng.random(n) * dy * 0.3
    w, h = 12 / 86_400, 9 / 111_000  # degrees at 39°N
    names = np.where(i % 1000 == 0, IMG_XSS, np.char.add("楼 ", i.astype(str)))
    uses = np.array(["residential", "public", "commercial_industrial", "other"])[i % 4]
    return gpd.GeoDataFrame(
        {"id": [f"T{k}" for k in i], "name": names, "use_category": uses,
         "source": "示例数据 synthetic (tiles test)"},
        geometry=shapely.box(x, y, x + w, y + h), crs="EPSG:4326")


@pytest.fixture(scope="module")
def tiles_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiles-store") / "tanmap.gpkg"
    store = open_store(path, create=True)
    store.put_district(gpd.GeoDataFrame(
        {"adcode": [CODE], "name": ["东丽区（切片测试）"], "name_en": ["Dongli (tile test)"]},
        geometry=[shapely.box(WEST, SOUTH, EAST, NORTH)], crs="EPSG:4326"))
    store.write("building", synthetic_buildings(N_BUILDINGS), district=CODE, source="tiles test")
    return path


@pytest.fixture(scope="module")
def tiles_live(tiles_store: Path) -> Iterator[LiveServer]:
    with serve(tiles_store, tile_threshold=THRESHOLD) as server:
        yield server


def open_page(browser: Any, url: str) -> tuple[Any, Any, PageLog, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(180_000)  # the first request audits 30k buildings
    log = PageLog()
    page.on("console", lambda msg: log.console.append((msg.type, msg.text)))
    page.on("pageerror", lambda err: log.errors.append(str(err)))
    tiles: list[str] = []
    page.on("response", lambda r: tiles.append(f"{r.status} {r.url}") if "/tiles/" in r.url
            else None)
    page.route("**/*.is.autonavi.com/**", lambda route: route.fulfill(
        status=200, content_type="image/png", body=BLANK_PNG))
    page.goto(url)
    page.wait_for_function("() => !!window.tanmap && !!document.querySelector("
                           "'.leaflet-container')")
    # Buildings belong to the rooftop-PV theme (the page opens on park coverage).
    page.check("input[name=tanmap-theme][value=pv]")
    return context, page, log, tiles


def view(page: Any, lat: float, lon: float, zoom: int) -> None:
    page.evaluate(f"() => {{ {MAP_JS}.setView([{lat}, {lon}], {zoom}, {{animate: false}}); }}")


def settle(page: Any) -> int:
    """Wait until the visible building tiles are loaded and drawn; return their features."""
    page.wait_for_function(TILES_LOADED_JS)
    page.wait_for_function(f"() => ({TILE_FEATURES_JS})() > 0")
    return int(page.evaluate(TILE_FEATURES_JS))


def test_large_layer_is_drawn_from_tiles_and_pans_without_errors(browser: Any,
                                                                 tiles_live: LiveServer) -> None:
    context, page, log, tiles = open_page(browser, f"{tiles_live.url}/maps/{CODE}")
    try:
        html = page.content()
        assert "Leaflet.VectorGrid.bundled.min.js" in html
        assert "T12345" not in html  # the buildings are not embedded in the page
        # Below the tiles' zoom the map says to zoom in for the buildings.
        view(page, (SOUTH + NORTH) / 2, (WEST + EAST) / 2, 12)
        note = page.locator(".tanmap-tile-note")
        assert note.is_visible()
        assert note.inner_text() == "放大至 14 级以显示 建筑 Buildings"
        view(page, (SOUTH + NORTH) / 2, (WEST + EAST) / 2, 16)
        first = settle(page)
        assert not note.is_visible()
        # 1280x800 at zoom 16 (2.4 m/px): ~3.1 km x 1.9 km of a 6 km x 5 km district holds
        # about a fifth of the 30,000 buildings (whole tiles are loaded, so a bit more).
        assert 3_000 < first < N_BUILDINGS
        assert page.evaluate(TILE_PIXELS_JS) > 10_000  # painted, not only parsed
        assert tiles
        assert all(t.startswith("200 ") for t in tiles), tiles[:5]
        assert all("basemap=none" in t for t in tiles)
        # Pan and zoom: new tiles come, nothing fails.
        for dx, dy in ((600, 0), (0, 400), (-900, -300)):
            page.evaluate(f"() => {{ {MAP_JS}.panBy([{dx}, {dy}], {{animate: false}}); }}")
            assert settle(page) > 0
        for z in (17, 15, 14):
            page.evaluate(f"() => {{ {MAP_JS}.setZoom({z}, {{animate: false}}); }}")
            assert settle(page) > 0
        # A click on T0, named with a hostile string, opens a popup showing it as text.
        t0 = synthetic_buildings(N_BUILDINGS).geometry.iloc[0].centroid
        view(page, t0.y, t0.x, 19)
        settle(page)
        point = page.evaluate(f"() => {{ const p = {MAP_JS}.latLngToContainerPoint("
                              f"[{t0.y}, {t0.x}]); return [p.x, p.y]; }}")
        box = page.locator(".leaflet-container").bounding_box()
        page.mouse.click(box["x"] + point[0], box["y"] + point[1])
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert IMG_XSS in popup.inner_text()
        assert popup.locator("img").count() == 0
        assert log.errors == []
        assert log.console_errors() == [], log.console
    finally:
        context.close()


def test_amap_base_map_asks_for_gcj02_tiles(browser: Any, tiles_live: LiveServer) -> None:
    context, page, log, tiles = open_page(browser, f"{tiles_live.url}/maps/{CODE}?basemap=amap")
    try:
        view(page, (SOUTH + NORTH) / 2, (WEST + EAST) / 2, 15)
        assert settle(page) > 0
        assert tiles
        assert all("basemap=amap" in t and t.startswith("200 ") for t in tiles)
        assert log.errors == []
        assert log.console_errors() == [], log.console
    finally:
        context.close()


def test_a_capped_tile_asks_to_zoom_in(browser: Any, tiles_live: LiveServer,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from tanmap.layers import vector_tiles

    # The server runs in this process: a low cap and a fresh tile cache make every tile capped.
    monkeypatch.setattr(vector_tiles, "MAX_FEATURES_PER_TILE", 50)
    monkeypatch.setattr(vector_tiles, "_DEFAULT_CACHE", vector_tiles.TileCache())
    context, page, log, tiles = open_page(browser, f"{tiles_live.url}/maps/{CODE}")
    try:
        view(page, (SOUTH + NORTH) / 2, (WEST + EAST) / 2, 16)
        n = settle(page)
        shown = len([t for t in tiles if "/16/" in t])
        assert 0 < n <= 50 * shown  # the cap held
        note = page.locator(".tanmap-tile-note")
        page.wait_for_function("() => { const n = document.querySelector('.tanmap-tile-note');"
                               " return n && n.style.display !== 'none'; }")
        assert note.inner_text() == "建筑 Buildings：要素过多，部分未显示，请放大查看全部"
        assert log.errors == []
        assert log.console_errors() == [], log.console
    finally:
        context.close()
